/// Normalization and orderings shared by the strategies: what "big" means for a request
/// and which hosts to fill first for the chosen objective.
struct Scales: Sendable {
    /// Per dimension, 1 / (largest usable capacity among active hosts), 0 when no host has any.
    let inverse: [Double]

    init(_ problem: Problem) {
        let dims = problem.dimensions.count
        var largest = [Int64](repeating: 0, count: dims)
        for (h, host) in problem.hosts.enumerated() where host.state != .draining {
            for d in 0..<dims { largest[d] = max(largest[d], problem.usable[h][d]) }
        }
        inverse = largest.map { $0 > 0 ? 1.0 / Double($0) : 0 }
    }

    /// The ways construction sorts requests, largest first (Panigrahy et al.'s keys).
    enum SortKey: CaseIterable, Sendable {
        case dominantShare
        case l2
        case sum
    }

    func weight(_ r: Resources, _ key: SortKey) -> Double {
        r.values.withUnsafeBufferPointer { weight($0, key) }
    }

    /// `weight` of a request given as one value per dimension.
    func weight(_ r: UnsafeBufferPointer<Int64>, _ key: SortKey) -> Double {
        switch key {
        case .dominantShare:
            var m = 0.0
            for d in r.indices { m = max(m, Double(r[d]) * inverse[d]) }
            return m
        case .l2:
            var s = 0.0
            for d in r.indices {
                let x = Double(r[d]) * inverse[d]
                s += x * x
            }
            return s
        case .sum:
            var s = 0.0
            for d in r.indices { s += Double(r[d]) * inverse[d] }
            return s
        }
    }
}

enum HostOrder {
    /// Active hosts in the order construction opens them: for `hosts`, the largest first
    /// (fewer, fuller hosts); for `energy`, the lowest full-load watts per unit of capacity first.
    /// Ties go to the lower index, so the order is deterministic.
    static func priority(_ problem: Problem, scales: Scales, watts: (Int) -> Double) -> [Int] {
        let active = problem.hosts.indices.filter { problem.hosts[$0].state == .active }
        let size = active.map { h in scales.weight(problem.usable[h], .sum) }
        var keyed = Array(zip(active, size))
        switch problem.policy.objective {
        case .hosts:
            keyed.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        case .energy:
            let cost = Dictionary(uniqueKeysWithValues: keyed.map { ($0.0, $0.1 > 0 ? watts($0.0) / $0.1 : .infinity) })
            keyed.sort { cost[$0.0]! != cost[$1.0]! ? cost[$0.0]! < cost[$1.0]! : $0.0 < $1.0 }
        }
        return keyed.map(\.0)
    }
}
