/// Proven lower bounds on the number of hosts any valid placement needs.
///
/// The instances counted are the *placeable* ones: those some host could take on its own
/// (state, selector, capacity when empty). An instance no host can ever take is unplaced in
/// every plan and does not raise the bound.
///
/// Exclusive services and everything else use disjoint sets of hosts, so their bounds add:
/// - each exclusive service needs at least as many hosts as its own bound (one host per
///   instance when replicas must not share a host: spread = host or the Habitat rule);
/// - the rest needs at least the largest of: per-dimension volume (the fewest largest hosts
///   whose usable capacity covers the total request; Martello–Toth L2 for identical hosts),
///   and the distinct hosts forced by spread = host replicas and by the Habitat rule.
public enum LowerBounds {
    public static func compute(_ problem: Problem) -> LowerBound {
        let dims = problem.dimensions.count
        // Hosts that can hold anything at all: active ones, and cordoned ones holding pinned
        // instances (those running on a cordoned host, as `ProblemIndex` pins them).
        var pinnedHosts = Set<Int>()
        if let current = problem.current {
            for case let h? in current where problem.hosts[h].state == .cordoned { pinnedHosts.insert(h) }
        }
        let usableHosts = problem.hosts.indices.filter {
            problem.hosts[$0].state == .active || pinnedHosts.contains($0)
        }
        let placeable = problem.services.indices.map { s in
            usableHosts.contains { h in
                ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[h].labels)
                    && problem.services[s].requests.fits(in: problem.usable[h])
            }
        }

        var argument = [String]()
        var exclusiveTotal = 0
        for (s, svc) in problem.services.enumerated() where svc.exclusive && placeable[s] && svc.count > 0 {
            let separate = svc.spread == .host || problem.onePackageNamePerHost
            let need: Int
            if separate {
                need = svc.count
            } else {
                var total = Resources(zeros: dims)
                for _ in 0..<svc.count { total += svc.requests }
                need = volumeBound(total: total, hosts: usableHosts, problem: problem).0
            }
            exclusiveTotal += need
        }
        if exclusiveTotal > 0 { argument.append("exclusive tenants: \(exclusiveTotal) hosts of their own") }

        // Everything else.
        var total = Resources(zeros: dims)
        var perPackage = [String: Int]()
        var spreadNeed = 0
        var spreadName = ""
        // Per dimension, the request of every instance counted (for L2).
        var sizes = [[Int64]](repeating: [], count: dims)
        for (s, svc) in problem.services.enumerated() where !svc.exclusive && placeable[s] && svc.count > 0 {
            let requests = svc.requests
            for d in 0..<dims {
                for _ in 0..<svc.count { total.values[d] += requests[d] }
                sizes[d].append(contentsOf: repeatElement(requests[d], count: svc.count))
            }
            if problem.onePackageNamePerHost { perPackage[svc.package.name, default: 0] += svc.count }
            if svc.spread == .host, svc.count > spreadNeed {
                spreadNeed = svc.count
                spreadName = svc.name
            }
        }
        var restBound = 0
        var restWhy = ""
        let (volume, volumeDim) = volumeBound(total: total, hosts: usableHosts, problem: problem)
        if volume > restBound {
            restBound = volume
            restWhy = "\(problem.dimensions[volumeDim].name) volume: \(volume) hosts"
        }
        let l2 = martelloTothL2(sizes: sizes, hosts: usableHosts, problem: problem)
        if l2.0 > restBound {
            restBound = l2.0
            restWhy = "Martello–Toth L2 on \(problem.dimensions[l2.1].name): \(l2.0) hosts"
        }
        if spreadNeed > restBound {
            restBound = spreadNeed
            restWhy = "\(spreadName): \(spreadNeed) replicas on distinct hosts"
        }
        if let (name, n) = perPackage.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
            n > restBound
        {
            restBound = n
            restWhy = "package \(name): \(n) instances, at most one per host (Habitat)"
        }
        if restBound > 0 { argument.append(restWhy) }
        let value = exclusiveTotal + restBound
        return LowerBound(value: value, argument: argument)
    }

    /// The fewest hosts (largest usable capacity first) whose capacity covers `total` in
    /// every dimension; returns the bound and the dimension that sets it.
    static func volumeBound(total: Resources, hosts: [Int], problem: Problem) -> (Int, Int) {
        var best = (0, 0)
        for d in total.values.indices where total[d] > 0 {
            let caps = hosts.map { problem.usable[$0][d] }.sorted(by: >)
            var sum: Int64 = 0
            var k = 0
            while sum < total[d] && k < caps.count {
                sum += caps[k]
                k += 1
            }
            if sum < total[d] { k = caps.count }  // cannot all fit: the bound is every host
            if k > best.0 { best = (k, d) }
        }
        return best
    }

    /// Martello–Toth L2 per dimension, valid when all usable hosts have the same capacity in
    /// that dimension: items larger than half a host each need their own host, and the small
    /// ones that cannot join them fill hosts by volume. Maximized over the threshold.
    /// - Parameter sizes: per dimension, the size of every item.
    /// - Complexity: O(n log n) per dimension (one sort, then one sweep over the thresholds).
    static func martelloTothL2(sizes all: [[Int64]], hosts: [Int], problem: Problem) -> (Int, Int) {
        guard let first = hosts.first else { return (0, 0) }
        var best = (0, 0)
        for d in problem.dimensions.indices where d < all.count {
            let cap = problem.usable[first][d]
            guard cap > 0, hosts.allSatisfy({ problem.usable[$0][d] == cap }) else { continue }
            var sizes = all[d].filter { $0 > 0 }
            if sizes.isEmpty { continue }
            sizes.sort()
            let n = sizes.count
            // Prefix sums over sorted sizes for O(1) range sums.
            var prefix = [Int64](repeating: 0, count: n + 1)
            for (i, x) in sizes.enumerated() { prefix[i + 1] = prefix[i] + x }
            // Number of sizes ≤ v.
            func countBelowOrEqual(_ v: Int64) -> Int {
                var lo = 0
                var hi = n
                while lo < hi {
                    let m = (lo + hi) / 2
                    if sizes[m] <= v { lo = m + 1 } else { hi = m }
                }
                return lo
            }
            let nHalf = countBelowOrEqual(cap / 2)
            // Thresholds k: 0, then the distinct sizes ≤ cap/2 in increasing order. As k grows,
            // the count of sizes below k only grows and the count ≤ cap - k only shrinks.
            var nBelowK = 0  // sizes < k
            var nLeK1 = countBelowOrEqual(cap)  // sizes ≤ cap - k
            var k: Int64 = 0
            while true {
                while nBelowK < n && sizes[nBelowK] < k { nBelowK += 1 }
                while nLeK1 > 0 && sizes[nLeK1 - 1] > cap - k { nLeK1 -= 1 }
                // J1: size > cap - k; J2: cap/2 < size ≤ cap - k; J3: k ≤ size ≤ cap/2.
                let n1 = n - nLeK1
                let n2 = nLeK1 - nHalf
                let sumJ3 = prefix[nHalf] - prefix[nBelowK]
                let sumJ2 = prefix[nLeK1] - prefix[nHalf]
                let room = Int64(n2) * cap - sumJ2
                let extra = sumJ3 - room
                let l = n1 + n2 + (extra > 0 ? Int((extra + cap - 1) / cap) : 0)
                if l > best.0 { best = (l, d) }
                // Next threshold: the smallest size > k, while it is ≤ cap/2.
                var next = nBelowK
                while next < n && sizes[next] <= k { next += 1 }
                guard next < nHalf else { break }
                k = sizes[next]
            }
        }
        return best
    }
}
