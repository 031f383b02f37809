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
        // Hosts that can hold anything at all: active ones, and cordoned ones holding pinned instances.
        let index = ProblemIndex(problem)
        let pinnedHosts = Set(index.pinnedHost.filter { $0 >= 0 }.map(Int.init))
        let usableHosts = problem.hosts.indices.filter {
            problem.hosts[$0].state == .active || pinnedHosts.contains($0)
        }
        let placeable = problem.services.indices.map { s in
            usableHosts.contains { h in
                let host = problem.hosts[h]
                return ProblemIndex.matches(selector: problem.services[s].selector, labels: host.labels)
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
        var items = [Resources]()
        for (s, svc) in problem.services.enumerated() where !svc.exclusive && placeable[s] && svc.count > 0 {
            for _ in 0..<svc.count {
                total += svc.requests
                items.append(svc.requests)
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
        let l2 = martelloTothL2(items: items, hosts: usableHosts, problem: problem)
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
    /// - Complexity: O(n log n) per dimension.
    static func martelloTothL2(items: [Resources], hosts: [Int], problem: Problem) -> (Int, Int) {
        guard let first = hosts.first, !items.isEmpty else { return (0, 0) }
        var best = (0, 0)
        for d in problem.dimensions.indices {
            let cap = problem.usable[first][d]
            guard cap > 0, hosts.allSatisfy({ problem.usable[$0][d] == cap }) else { continue }
            let sizes = items.map { $0[d] }.filter { $0 > 0 }.sorted()
            if sizes.isEmpty { continue }
            // Candidate thresholds k: distinct sizes ≤ cap/2, plus 0.
            var thresholds = Set<Int64>([0])
            for x in sizes where x <= cap / 2 { thresholds.insert(x) }
            // Prefix sums over sorted sizes for O(log n) range sums.
            var prefix = [Int64](repeating: 0, count: sizes.count + 1)
            for (i, x) in sizes.enumerated() { prefix[i + 1] = prefix[i] + x }
            func countBelowOrEqual(_ v: Int64) -> Int {  // number of sizes ≤ v
                var lo = 0
                var hi = sizes.count
                while lo < hi {
                    let m = (lo + hi) / 2
                    if sizes[m] <= v { lo = m + 1 } else { hi = m }
                }
                return lo
            }
            for k in thresholds {
                // J1: size > cap - k; J2: cap/2 < size ≤ cap - k; J3: k ≤ size ≤ cap/2.
                let nLeK1 = countBelowOrEqual(cap - k)
                let n1 = sizes.count - nLeK1
                let nHalf = countBelowOrEqual(cap / 2)
                let n2 = nLeK1 - nHalf
                let nBelowK = countBelowOrEqual(k - 1)
                let sumJ3 = prefix[nHalf] - prefix[nBelowK]
                let sumJ2 = prefix[nLeK1] - prefix[nHalf]
                let room = Int64(n2) * cap - sumJ2
                let extra = sumJ3 - room
                let l = n1 + n2 + (extra > 0 ? Int((extra + cap - 1) / cap) : 0)
                if l > best.0 { best = (l, d) }
            }
        }
        return best
    }
}
