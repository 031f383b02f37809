import Testing

@testable import ApiaryCore

@Suite("Construction structures")
struct ConstructionTests {
    /// A small deterministic generator for the checks below.
    struct Draw {
        var inner: SplitMix64
        init(_ seed: UInt64) { inner = SplitMix64(seed: seed) }
        mutating func int(_ n: Int) -> Int { Int(inner.next() % UInt64(n)) }
    }

    @Test("host tree search finds the first covering, accepted host a scan finds, through updates")
    func hostTreeMatchesScan() {
        for seed in UInt64(1)...40 {
            var draw = Draw(seed)
            let dims = 1 + draw.int(3)
            let count = 1 + draw.int(300)
            let cap = 1000
            var free = (0..<count).map { _ in (0..<dims).map { _ in Int64(draw.int(cap + 1)) } }
            let floor = (0..<dims).map { _ in Int64(draw.int(50)) }
            var edges = (0..<draw.int(20)).map { _ in Int64(1 + draw.int(cap)) }
            edges = Array(Set(edges)).sorted()
            let hosts = (0..<count).map { $0 * 3 }  // host index = 3 × position
            var tree = HostTree(hosts: hosts, dims: dims, floor: floor, edges: edges) { h, d in free[h / 3][d] }
            for _ in 0..<300 {
                if draw.int(3) == 0 {
                    let pos = draw.int(count)
                    free[pos] = (0..<dims).map { _ in Int64(draw.int(cap + 1)) }
                    tree.update(position: pos, free: free[pos])
                }
                let request = (0..<dims).map { _ in Int64(draw.int(cap / 2)) }
                let start = draw.int(count + 1)
                let modulus = 1 + draw.int(4)
                let accept: (Int) -> Bool = { h in (h / 3) % modulus != 0 || modulus == 1 }
                let expected = (start..<count).first { pos in
                    let closed = (0..<dims).contains { free[pos][$0] < floor[$0] }
                    return !closed && (0..<dims).allSatisfy { free[pos][$0] >= request[$0] } && accept(hosts[pos])
                }
                var budget = Int.max
                let found = request.withUnsafeBufferPointer { req in
                    tree.first(from: start, covering: req, budget: &budget, where: accept)
                }
                #expect(found == expected, "seed \(seed)")
            }
        }
    }

    @Test("pair counts agree with a dictionary through adds and removals")
    func pairCountsMatchDictionary() {
        var draw = Draw(7)
        var table = PairCounts()
        var reference = [Int64: Int32]()
        for _ in 0..<20_000 {
            let key = Int64(draw.int(64)) << 32 | Int64(draw.int(40))
            if let c = reference[key], draw.int(2) == 0 {
                let left = table.add(key, -1)
                #expect(left == c - 1)
                reference[key] = c == 1 ? nil : c - 1
            } else {
                table.add(key, 1)
                reference[key, default: 0] += 1
            }
            let probe = Int64(draw.int(64)) << 32 | Int64(draw.int(40))
            #expect(table[probe] == reference[probe] ?? 0)
        }
        #expect(table.count == reference.count)
        for (k, v) in reference { #expect(table[k] == v) }
    }

    @Test("Martello-Toth L2 sweep equals the bound over every threshold")
    func l2MatchesDirect() {
        for seed in UInt64(1)...30 {
            var draw = Draw(seed)
            let cap = Int64(50 + draw.int(200))
            let dims = [Dimension(name: "cpu", kind: .count)]
            let hosts = (0..<3).map { Host(name: "h\($0)", capacity: Resources([cap])) }
            let items = (0..<(1 + draw.int(60))).map { _ in Int64(draw.int(Int(cap) + 1)) }
            let problem = Problem(
                dimensions: dims, hosts: hosts,
                services: [Service(name: "s", package: PackageIdent(origin: "o", name: "s"), count: 1, requests: Resources([1]))],
                policy: Policy(headroom: [1]))
            let (bound, _) = LowerBounds.martelloTothL2(sizes: [items], hosts: [0, 1, 2], problem: problem)
            // Direct: every threshold 0 and every size ≤ cap/2.
            let sizes = items.filter { $0 > 0 }
            var expected = 0
            for k in [Int64(0)] + sizes.filter({ $0 <= cap / 2 }) where !sizes.isEmpty {
                let j1 = sizes.filter { $0 > cap - k }
                let j2 = sizes.filter { $0 > cap / 2 && $0 <= cap - k }
                let j3 = sizes.filter { $0 >= k && $0 <= cap / 2 }
                let extra = j3.reduce(0, +) - (Int64(j2.count) * cap - j2.reduce(0, +))
                expected = max(expected, j1.count + j2.count + (extra > 0 ? Int((extra + cap - 1) / cap) : 0))
            }
            #expect(bound == expected, "seed \(seed)")
        }
    }
}
