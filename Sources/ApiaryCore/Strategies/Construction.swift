/// The construction phase: first-fit decreasing over hosts in priority order, for several
/// sort keys, keeping the best result. Every constraint is checked in the same pass through
/// `PlacementState.rejection`, so what comes out is valid (possibly with unplaced instances).
///
/// Hosts are found through segment trees (one per distinct selector) that prune on free
/// capacity (see `HostTree`), so a placement costs O(log hosts) when capacity is what binds.
struct Construction {
    let problem: Problem
    let index: ProblemIndex
    let scales: Scales
    let order: [Int]
    /// First fit considers only this many positions before the frontier (0: all hosts).
    let window: Int
    /// `TreeSet.bounds(problem)`.
    let treeBounds: (floor: [Int64], edges: [Int64])
    /// Normalized size of each host (what an exclusive tenant wastes there), in host order.
    let hostSize: [Double]
    /// Zone id of each host (-1 without a zone), and the number of zones.
    let zoneOfHost: [Int]
    let zoneCount: Int

    init(problem: Problem, index: ProblemIndex, scales: Scales, order: [Int]) {
        window = problem.instanceCount > 20_000 ? 512 : 0
        self.problem = problem
        self.index = index
        self.scales = scales
        self.order = order
        treeBounds = TreeSet.bounds(problem)
        hostSize = problem.usable.map { scales.weight($0, .sum) }
        var zoneIDs = [String: Int]()
        zoneOfHost = problem.hosts.map { host in
            guard let z = host.zone else { return -1 }
            if let id = zoneIDs[z] { return id }
            zoneIDs[z] = zoneIDs.count
            return zoneIDs.count - 1
        }
        zoneCount = zoneIDs.count
    }

    /// Services by decreasing sort weight under `key` (ties: lower index first), exclusive
    /// ones or the others.
    func sorted(key: Scales.SortKey, jitter: [Double]?, exclusive wanted: Bool) -> [Int] {
        let dims = index.dimensionCount
        var keyed = [(Double, Int)]()
        keyed.reserveCapacity(problem.services.count)
        index.requestFlat.withUnsafeBufferPointer { flat in
            for s in problem.services.indices where index.isExclusive[s] == wanted {
                let w = scales.weight(UnsafeBufferPointer(rebasing: flat[(s * dims)..<((s + 1) * dims)]), key)
                keyed.append((w * (jitter?[s] ?? 1), s))
            }
        }
        keyed.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        return keyed.map(\.1)
    }

    /// Best fit, as Kubernetes' MostAllocated scores it: each instance goes to the host in use
    /// that is fullest after taking it (mean utilization over dimensions), else to the first
    /// host in priority order that takes it. `key == nil` keeps the inventory's order.
    /// - Complexity: O(instances × hosts in use); for small and medium inputs.
    /// `work` is increased by the hosts looked at (each one's rule check, and its score over
    /// the dimensions when it takes the instance), for the planning-time clock.
    func runBestFit(key: Scales.SortKey?, jitter: [Double]? = nil, work: inout Int) -> (PlacementState, TreeSet) {
        var state = PlacementState(problem: problem, index: index)
        state.placePinned()
        var trees = TreeSet(order: order, problem: problem, bounds: treeBounds)
        for s in problem.services.indices where index.isExclusive[s] {
            placeExclusive(service: s, state: &state, trees: &trees)
        }
        let rest =
            key.map { sorted(key: $0, jitter: jitter, exclusive: false) }
            ?? problem.services.indices.filter { !index.isExclusive[$0] }
        let dims = index.dimensionCount
        var open = [Int]()  // hosts in use, in the order they were opened
        var isOpen = [Bool](repeating: false, count: problem.hosts.count)
        for (h, c) in state.hostCount.enumerated() where c > 0 {
            open.append(h)
            isOpen[h] = true
        }
        for s in rest {
            instances: for i in problem.instanceOffset[s]..<problem.instanceOffset[s + 1]
            where state.assignment[i] < 0 && index.pinnedHost[i] != ProblemIndex.excluded {
                var best = -1
                var bestScore = -Double.infinity
                work += open.count
                for h in open where state.rejection(service: s, host: h) == nil {
                    work += dims
                    var score = 0.0
                    for d in 0..<dims {
                        let cap = index.usableFlat[h * dims + d]
                        if cap > 0 {
                            score += Double(state.used[h * dims + d] + index.requestFlat[s * dims + d]) / Double(cap)
                        }
                    }
                    if score > bestScore {
                        best = h
                        bestScore = score
                    }
                }
                if best < 0 {
                    guard let h = order.first(where: { !isOpen[$0] && state.rejection(service: s, host: $0) == nil })
                    else { break instances }
                    best = h
                    isOpen[h] = true
                    open.append(h)
                }
                state.place(i, on: best)
                trees.refresh(host: best, state: state)
            }
        }
        return (state, trees)
    }

    /// Runs one construction with the given sort key, from an empty fleet (pinned instances
    /// aside), or completes `start` when given.
    /// `jitter` multiplies each service's sort weight (randomized restarts).
    func run(key: Scales.SortKey, start: PlacementState? = nil, jitter: [Double]? = nil) -> (PlacementState, TreeSet) {
        var state: PlacementState
        if let start {
            state = start
        } else {
            state = PlacementState(problem: problem, index: index)
            state.placePinned()
        }
        var trees = TreeSet(order: order, problem: problem, bounds: treeBounds)
        // Exclusive tenants first: each takes the host it wastes least of.
        for s in sorted(key: key, jitter: jitter, exclusive: true) {
            placeExclusive(service: s, state: &state, trees: &trees)
        }
        for s in sorted(key: key, jitter: jitter, exclusive: false) {
            for i in problem.instanceOffset[s]..<problem.instanceOffset[s + 1]
            where state.assignment[i] < 0 && index.pinnedHost[i] != ProblemIndex.excluded {
                // Construction only adds load, so once an instance of a service finds no host,
                // its later instances find none either.
                if !placeFirstFit(instance: i, service: s, state: &state, trees: &trees) { break }
            }
        }
        return (state, trees)
    }

    @discardableResult @inline(never)
    func placeFirstFit(instance i: Int, service s: Int, state: inout PlacementState, trees: inout TreeSet) -> Bool {
        let t = trees.tree(forService: s, state: state)
        guard let pos = firstFit(service: s, trees: trees, tree: t, state: state) else { return false }
        trees.frontier[t] = max(trees.frontier[t], pos + 1)
        let h = trees.trees[t].hosts[pos]
        state.place(i, on: h)
        trees.refresh(host: h, state: state)
        return true
    }

    /// Position in tree `t` of the host first fit picks for service `s`, or `nil`.
    private func firstFit(service s: Int, trees: TreeSet, tree t: Int, state: PlacementState) -> Int? {
        let dims = index.dimensionCount
        let tree = trees.trees[t]
        return index.requestFlat.withUnsafeBufferPointer { all -> Int? in
            let req = UnsafeBufferPointer(rebasing: all[(s * dims)..<((s + 1) * dims)])
            // Pruning can still be poor when many hosts are nearly full in different
            // dimensions, so on large inputs a search that visits too many nodes gives up and
            // first fit looks only at the most recently opened hosts (a window in priority
            // order; older hosts are nearly full anyway) and the improvement phase revisits
            // the rest.
            // (The host test is written out here rather than passed as a closure: a closure
            // capturing `state` copies it, retaining every array, on each search.)
            var budget = window > 0 ? TreeSet.searchBudget : Int.max
            var search = tree.search(covering: req)
            while let pos = tree.next(&search, covering: req, budget: &budget) {
                if state.rejection(service: s, host: tree.hosts[pos]) == nil { return pos }
            }
            guard budget < 0 else { return nil }
            var unlimited = Int.max
            search = tree.search(from: max(0, trees.frontier[t] - window), covering: req)
            while let pos = tree.next(&search, covering: req, budget: &unlimited) {
                if state.rejection(service: s, host: tree.hosts[pos]) == nil { return pos }
            }
            return nil
        }
    }

    /// Places an exclusive tenant's instances on hosts of its own: hosts it already holds
    /// first, then, while instances are left, the smallest host that takes all of them, or
    /// failing that the host that takes the most (the smaller on a tie). Placing one instance
    /// at a time on the smallest host would open a host per instance when they could share
    /// a larger one (replicas not spread over hosts, no Habitat rule). Among hosts as good,
    /// one that is not the last empty host of its zone: a zone-spread service needs room in
    /// every zone.
    func placeExclusive(service s: Int, state: inout PlacementState, trees: inout TreeSet) {
        var left = (problem.instanceOffset[s]..<problem.instanceOffset[s + 1]).filter {
            state.assignment[$0] < 0 && index.pinnedHost[$0] != ProblemIndex.excluded
        }
        let dims = index.dimensionCount
        /// Instances of `s` host `h` may take by capacity and the one-per-host rules.
        func room(_ h: Int) -> Int {
            var n = left.count
            for d in 0..<dims where index.requestFlat[s * dims + d] > 0 {
                let free = index.usableFlat[h * dims + d] - state.used[h * dims + d]
                n = min(n, Int(max(0, free / index.requestFlat[s * dims + d])))
            }
            if index.spreadsOverHosts[s] || problem.onePackageNamePerHost { n = min(n, 1) }
            return n
        }
        /// Fills `h` with instances while every rule holds.
        func fill(_ h: Int) {
            while let i = left.first, state.rejection(service: s, host: h) == nil {
                state.place(i, on: h)
                left.removeFirst()
            }
            trees.refresh(host: h, state: state)
        }
        for h in order where state.hostCount[h] > 0 && state.rejection(service: s, host: h) == nil {
            if left.isEmpty { break }
            fill(h)
        }
        // Empty active hosts per zone: a tenant leaves a zone's last empty host to others when
        // a host as good elsewhere exists (a zone-spread service needs a host in every zone).
        var emptyInZone = [Int](repeating: 0, count: zoneCount)
        for h in order where state.hostCount[h] == 0 && zoneOfHost[h] >= 0 { emptyInZone[zoneOfHost[h]] += 1 }
        while !left.isEmpty {
            var best = -1
            var bestKey = (0, 0.0, 0, 0)
            for (rank, h) in order.enumerated() where state.rejection(service: s, host: h) == nil {
                let n = room(h)
                guard n > 0 else { continue }
                // All of them on the smallest host that takes them; else the most on one host.
                // Among hosts as good, one that is not its zone's last empty host.
                let last = zoneOfHost[h] >= 0 && state.hostCount[h] == 0 && emptyInZone[zoneOfHost[h]] <= 1 ? 1 : 0
                let key = (n >= left.count ? 0 : left.count - n, hostSize[h], last, rank)
                if best < 0 || key < bestKey {
                    best = h
                    bestKey = key
                }
            }
            guard best >= 0 else { break }
            let before = left.count
            if state.hostCount[best] == 0, zoneOfHost[best] >= 0 { emptyInZone[zoneOfHost[best]] -= 1 }
            fill(best)
            if left.count == before { break }
        }
    }
}

/// Segment trees over the active hosts in priority order, one per distinct selector,
/// built on first use and kept in step with the placement state.
struct TreeSet {
    let order: [Int]
    let problem: Problem
    private(set) var trees: [HostTree] = []
    /// Per tree, one past the last position where construction placed an instance.
    var frontier: [Int] = []
    /// Nodes one host search may visit before it gives up (see `HostTree.first`).
    static let searchBudget = 4096
    private var treeOfSelector: [String: Int] = [:]
    /// The tree of services without a selector, once built (-1 before).
    private var emptySelectorTree = -1
    /// Free capacity of the host being refreshed, per dimension.
    private var scratch: [Int64] = []
    private var treeOfService: [Int]
    /// (tree, position) of each host in every tree that contains it.
    private var memberships: [[(Int, Int)]]

    /// Smallest request per dimension over all services (see `HostTree.floor`).
    let floor: [Int64]
    /// Band edges of the trees' key dimension: quantiles of the requests in dimension 0.
    let edges: [Int64]
    /// Bands per tree (see `HostTree`): 32, fewer above 65,536 hosts so that a tree's
    /// staircase stays within about 2^21 values per dimension (32 MiB for two dimensions).
    static func bands(hosts: Int) -> Int {
        var size = 1
        while size < hosts { size <<= 1 }
        return max(4, min(32, (1 << 21) / size))
    }

    init(order: [Int], problem: Problem) {
        self.init(order: order, problem: problem, bounds: Self.bounds(problem))
    }

    /// - Parameter bounds: `TreeSet.bounds(problem)`, computed once for several sets.
    init(order: [Int], problem: Problem, bounds: (floor: [Int64], edges: [Int64])) {
        self.order = order
        self.problem = problem
        floor = bounds.floor
        edges = bounds.edges
        treeOfService = Array(repeating: -1, count: problem.services.count)
        memberships = Array(repeating: [], count: problem.hosts.count)
    }

    /// The trees' floor (smallest request per dimension over services with instances) and
    /// band edges (quantiles of those services' requests in dimension 0).
    static func bounds(_ problem: Problem) -> (floor: [Int64], edges: [Int64]) {
        let dims = problem.dimensions.count
        var floor = [Int64](repeating: Int64.max, count: dims)
        var sizes = [Int64]()
        sizes.reserveCapacity(problem.services.count)
        problem.services.withUnsafeBufferPointer { services in
            for s in services.indices where services[s].count > 0 {
                services[s].requests.values.withUnsafeBufferPointer { r in
                    for d in 0..<dims { floor[d] = min(floor[d], r[d]) }
                    if dims >= 2 { sizes.append(r[0]) }
                }
            }
        }
        sizes.sort()
        var edges = [Int64]()
        let bands = Self.bands(hosts: problem.hosts.count)
        for k in 1..<bands where !sizes.isEmpty {
            let x = sizes[k * sizes.count / bands]
            if x > 0, x > (edges.last ?? 0) { edges.append(x) }
        }
        return (floor.map { $0 == Int64.max ? 0 : $0 }, edges)
    }

    mutating func tree(forService s: Int, state: PlacementState) -> Int {
        if treeOfService[s] >= 0 { return treeOfService[s] }
        if emptySelectorTree >= 0, !state.index.hasSelector[s] {
            treeOfService[s] = emptySelectorTree
            return emptySelectorTree
        }
        let selector = problem.services[s].selector
        let signature = selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if let t = treeOfSelector[signature] {
            treeOfService[s] = t
            return t
        }
        let hosts = order.filter { ProblemIndex.matches(selector: selector, labels: problem.hosts[$0].labels) }
        let t = trees.count
        trees.append(HostTree(hosts: hosts, dims: state.index.dimensionCount, floor: floor, edges: edges) { h, d in state.free(h, d) })
        for (pos, h) in hosts.enumerated() { memberships[h].append((t, pos)) }
        frontier.append(hosts.lastIndex { state.hostCount[$0] > 0 }.map { $0 + 1 } ?? 0)
        treeOfSelector[signature] = t
        if selector.isEmpty { emptySelectorTree = t }
        treeOfService[s] = t
        return t
    }

    mutating func refresh(host h: Int, state: PlacementState) {
        // Free capacity through an array, not a closure over `state` (which would copy it).
        let dims = state.index.dimensionCount
        if scratch.count != dims { scratch = Array(repeating: 0, count: dims) }
        for d in 0..<dims { scratch[d] = state.free(h, d) }
        let values = scratch
        for m in memberships[h].indices {
            let (t, pos) = memberships[h][m]
            trees[t].update(position: pos, free: values)
        }
    }
}
