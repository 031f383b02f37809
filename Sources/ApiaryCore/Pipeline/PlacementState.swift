/// The mutable state of a placement in progress: per-host load and the bookkeeping every
/// feasibility check needs, so that a check is a few array reads.
///
/// Checks run cheapest first and return the first `Rejection`, as Nomad's feasibility
/// iterators and Kubernetes' filter plugins do; the tally of rejections per host is what an
/// operator reads for an unplaced instance.
public struct PlacementState: Sendable {
    public let problem: Problem
    public let index: ProblemIndex
    /// Host of each instance, or -1.
    public private(set) var assignment: [Int]
    /// Load per host, flat: host * dims + d.
    public private(set) var used: [Int64]
    /// Instances per host.
    public private(set) var hostCount: [Int32]
    /// Service index of the exclusive service on each host, or -1.
    public private(set) var exclusiveOwner: [Int32]
    /// (host, service) → instances of the service on the host.
    private var serviceOnHost: PairCounts
    /// (host, package name) → instances of the package name on the host; kept only when
    /// services share package names (`ProblemIndex.packageNamesShared`): otherwise these are
    /// the counts of `serviceOnHost`.
    private var packageOnHost: PairCounts
    /// Per domain-balanced service: instance count per domain id of its key.
    private var domainLoad: [[Int32]]
    /// Number of hosts holding at least one instance.
    public private(set) var hostsUsed: Int

    public init(problem: Problem, index: ProblemIndex? = nil) {
        self.problem = problem
        let index = index ?? ProblemIndex(problem)
        self.index = index
        assignment = Array(repeating: -1, count: problem.instanceCount)
        used = Array(repeating: 0, count: problem.hosts.count * index.dimensionCount)
        hostCount = Array(repeating: 0, count: problem.hosts.count)
        exclusiveOwner = Array(repeating: -1, count: problem.hosts.count)
        serviceOnHost = PairCounts()
        packageOnHost = PairCounts()
        domainLoad = problem.services.indices.map { s in
            let key = index.domainKeyOfService[s]
            return key >= 0 ? Array(repeating: 0, count: index.domainCount[Int(key)]) : []
        }
        hostsUsed = 0
    }

    @inline(__always) private static func pairKey(_ h: Int, _ x: Int32) -> Int64 { Int64(h) << 32 | Int64(x) }

    // MARK: - Queries

    /// Instances of service `s` on host `h`.
    public func count(ofService s: Int, on h: Int) -> Int { Int(serviceOnHost[Self.pairKey(h, Int32(s))]) }

    /// Instances sharing service `s`'s package name on host `h`.
    public func count(ofPackageOf s: Int, on h: Int) -> Int {
        guard index.packageNamesShared else { return count(ofService: s, on: h) }
        return Int(packageOnHost[Self.pairKey(h, index.packageNameID[s])])
    }

    /// Free usable capacity of host `h` in dimension `d`.
    @inline(__always) public func free(_ h: Int, _ d: Int) -> Int64 {
        index.usableFlat[h * index.dimensionCount + d] - used[h * index.dimensionCount + d]
    }

    /// Instance counts per domain of a domain-balanced service (empty for others).
    public func domainLoad(ofService s: Int) -> [Int32] { domainLoad[s] }

    /// Why host `h` cannot take a new instance of service `s`, or `nil` when it can.
    /// `pinned` admits the host even when cordoned (the instance runs there now).
    /// - Complexity: O(dimensions + selector keys + spread domains)
    public func rejection(service s: Int, host h: Int, pinned: Bool = false, ignoreSkew: Bool = false) -> Rejection? {
        // Flags come from the index: copying a `Host` or `Service` here cost more than the checks.
        switch index.hostState[h] {
        case .draining: return .draining
        case .cordoned where !pinned: return .cordoned
        default: break
        }
        if index.hasSelector[s] {
            for (k, v) in problem.services[s].selector where problem.hosts[h].labels[k] != v { return .selector(key: k) }
        }
        let key = index.domainKeyOfService[s]
        var domain: Int32 = -1
        if key >= 0 {
            domain = index.hostDomain[Int(key)][h]
            if domain < 0 { return .spreadDomainMissing }
        }
        let owner = exclusiveOwner[h]
        if owner >= 0, owner != Int32(s) { return .exclusive }
        let exclusive = index.isExclusive[s]
        if exclusive || index.spreadsOverHosts[s] {
            let mine = count(ofService: s, on: h)
            if exclusive, Int(hostCount[h]) > mine { return .exclusive }
            if index.spreadsOverHosts[s], mine > 0 { return .spreadHost }
        }
        if problem.onePackageNamePerHost, count(ofPackageOf: s, on: h) > 0 { return .packageName }
        if domain >= 0, !pinned, !ignoreSkew, !domainAccepts(service: s, domain: domain) { return .spreadSkew }
        let dims = index.dimensionCount
        let base = h * dims
        let rbase = s * dims
        for d in 0..<dims where used[base + d] + index.requestFlat[rbase + d] > index.usableFlat[base + d] {
            return .insufficient(dimension: d)
        }
        return nil
    }

    /// True when host `h` has room for service `s`'s request in every dimension.
    @inline(__always) public func fits(service s: Int, host h: Int) -> Bool {
        let dims = index.dimensionCount
        let base = h * dims
        let rbase = s * dims
        for d in 0..<dims where used[base + d] + index.requestFlat[rbase + d] > index.usableFlat[base + d] {
            return false
        }
        return true
    }

    /// Adding one instance to `domain` keeps max skew ≤ 1 iff that domain holds the minimum
    /// count among the service's eligible domains.
    public func domainAccepts(service s: Int, domain: Int32) -> Bool {
        let load = domainLoad[s]
        let mine = load[Int(domain)]
        for d in index.eligibleDomains[s] where load[Int(d)] < mine { return false }
        return true
    }

    /// Moving one instance of `s` from domain `a` to domain `b` keeps max skew ≤ 1.
    public func domainAcceptsMove(service s: Int, from a: Int32, to b: Int32) -> Bool {
        if a == b { return true }
        let load = domainLoad[s]
        var lo = Int32.max
        var hi = Int32.min
        for d in index.eligibleDomains[s] {
            var c = load[Int(d)]
            if d == a { c -= 1 }
            if d == b { c += 1 }
            lo = min(lo, c)
            hi = max(hi, c)
        }
        return hi - lo <= 1
    }

    /// True when host `h` (already known to pass state, selector and domain checks) could take
    /// an instance of `s` once the instances `ejected` (all on `h`) have left it.
    /// - Complexity: O(dimensions × ejected)
    public func accepts(service s: Int, host h: Int, ejecting ejected: [Int]) -> Bool {
        let svc = problem.services[s]
        var sameService = 0
        var samePackage = 0
        for e in ejected {
            let se = Int(index.serviceOfInstance[e])
            if se == s { sameService += 1 }
            if index.packageNameID[se] == index.packageNameID[s] { samePackage += 1 }
        }
        let owner = exclusiveOwner[h]
        if owner >= 0, owner != Int32(s) { return false }
        let mine = count(ofService: s, on: h) - sameService
        if svc.exclusive, Int(hostCount[h]) - ejected.count > mine { return false }
        if case .host = svc.spread, mine > 0 { return false }
        if problem.onePackageNamePerHost, count(ofPackageOf: s, on: h) - samePackage > 0 { return false }
        let dims = index.dimensionCount
        for d in 0..<dims {
            var load = used[h * dims + d] + index.requestFlat[s * dims + d]
            for e in ejected { load -= index.requestFlat[Int(index.serviceOfInstance[e]) * dims + d] }
            if load > index.usableFlat[h * dims + d] { return false }
        }
        return true
    }

    /// Spread domain of host `h` for service `s` (-1 when the service is not domain-balanced
    /// or the host has no domain).
    public func domain(ofService s: Int, host h: Int) -> Int32 {
        let key = index.domainKeyOfService[s]
        return key >= 0 ? index.hostDomain[Int(key)][h] : -1
    }

    // MARK: - Mutations

    /// Places instance `i` on host `h` (the caller has checked feasibility).
    public mutating func place(_ i: Int, on h: Int) {
        precondition(assignment[i] < 0, "instance already placed")
        let s = Int(index.serviceOfInstance[i])
        assignment[i] = h
        let dims = index.dimensionCount
        let base = h * dims
        let rbase = s * dims
        for d in 0..<dims { used[base + d] += index.requestFlat[rbase + d] }
        if hostCount[h] == 0 { hostsUsed += 1 }
        hostCount[h] += 1
        serviceOnHost.add(Self.pairKey(h, Int32(s)), 1)
        if index.packageNamesShared { packageOnHost.add(Self.pairKey(h, index.packageNameID[s]), 1) }
        if index.isExclusive[s] { exclusiveOwner[h] = Int32(s) }
        let key = index.domainKeyOfService[s]
        if key >= 0 {
            let dom = index.hostDomain[Int(key)][h]
            if dom >= 0 { domainLoad[s][Int(dom)] += 1 }
        }
    }

    /// Removes instance `i` from its host.
    public mutating func remove(_ i: Int) {
        let h = assignment[i]
        precondition(h >= 0, "instance not placed")
        let s = Int(index.serviceOfInstance[i])
        assignment[i] = -1
        let dims = index.dimensionCount
        let base = h * dims
        let rbase = s * dims
        for d in 0..<dims { used[base + d] -= index.requestFlat[rbase + d] }
        hostCount[h] -= 1
        if hostCount[h] == 0 { hostsUsed -= 1 }
        let left = serviceOnHost.add(Self.pairKey(h, Int32(s)), -1)
        if left == 0, exclusiveOwner[h] == Int32(s) { exclusiveOwner[h] = -1 }
        if index.packageNamesShared { packageOnHost.add(Self.pairKey(h, index.packageNameID[s]), -1) }
        let key = index.domainKeyOfService[s]
        if key >= 0 {
            let dom = index.hostDomain[Int(key)][h]
            if dom >= 0 { domainLoad[s][Int(dom)] -= 1 }
        }
    }

    /// Places every pinned instance (running on a cordoned host) where it runs.
    public mutating func placePinned() {
        for (i, h) in index.pinnedHost.enumerated() where h >= 0 && assignment[i] < 0 {
            place(i, on: Int(h))
        }
    }

    /// Tallies, over every host, why instance `i` of service `s` cannot go there.
    public func rejections(forService s: Int) -> [Rejection: Int] {
        var tally = [Rejection: Int]()
        for h in problem.hosts.indices {
            if let r = rejection(service: s, host: h) { tally[r, default: 0] += 1 }
        }
        return tally
    }
}

/// Counts per (host, id) pair key, for `PlacementState`: an open-addressing table (linear
/// probing, backward-shift deletion, a fixed multiplicative hash) instead of a `Dictionary`,
/// whose per-process seeded hashing dominated placing and checking. Keys are ≥ 0; a count
/// that drops to 0 removes its key.
struct PairCounts: Sendable {
    private var keys: [Int64]
    private var counts: [Int32]
    private var mask: Int
    private var shift: Int
    private(set) var count = 0

    private static let empty: Int64 = -1

    init() {
        keys = Array(repeating: Self.empty, count: 16)
        counts = Array(repeating: 0, count: 16)
        mask = 15
        shift = 64 - 4
    }

    @inline(__always) private func slot(_ key: Int64) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: key) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// Count of `key` (0 when absent).
    subscript(key: Int64) -> Int32 {
        keys.withUnsafeBufferPointer { k in
            var i = slot(key)
            while true {
                let x = k[i]
                if x == key { return counts[i] }
                if x == Self.empty { return 0 }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds `delta` to the count of `key`; returns the new count.
    @discardableResult
    mutating func add(_ key: Int64, _ delta: Int32) -> Int32 {
        var i = slot(key)
        while true {
            let x = keys[i]
            if x == key {
                let c = counts[i] + delta
                if c == 0 { remove(at: i) } else { counts[i] = c }
                return c
            }
            if x == Self.empty { break }
            i = (i + 1) & mask
        }
        precondition(delta > 0, "count below zero")
        keys[i] = key
        counts[i] = delta
        count += 1
        if count * 2 > keys.count { grow() }
        return delta
    }

    /// Empties slot `i`, shifting back later entries of its probe run.
    private mutating func remove(at slot: Int) {
        var hole = slot
        var i = slot
        count -= 1
        while true {
            i = (i + 1) & mask
            let x = keys[i]
            if x == Self.empty { break }
            // Move x into the hole unless its home lies cyclically in (hole, i].
            let home = self.slot(x)
            let stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !stays {
                keys[hole] = x
                counts[hole] = counts[i]
                hole = i
            }
        }
        keys[hole] = Self.empty
        counts[hole] = 0
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldCounts = counts
        let capacity = oldKeys.count * 2
        keys = Array(repeating: Self.empty, count: capacity)
        counts = Array(repeating: 0, count: capacity)
        mask = capacity - 1
        shift -= 1
        for j in oldKeys.indices where oldKeys[j] != Self.empty {
            var i = slot(oldKeys[j])
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            counts[i] = oldCounts[j]
        }
    }
}
