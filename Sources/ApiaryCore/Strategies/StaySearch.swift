/// Cuts moves at a fixed host count: brings a moved instance back to the host it runs on now
/// (when that host stays on) by ejecting instances that are away from home there, then finds
/// the ejected instances places among the hosts in use, ejecting again where needed, until
/// none is left over. An attempt succeeds only when every instance has a place again, so each
/// accepted attempt keeps the hosts, keeps every rule and lowers the move count by at least
/// one; a failed one is rolled back.
///
/// `ReturnHome` makes room on the home host with one ejected instance that must fit as it is
/// on one of a few hosts. On a fleet packed near its capacity (the from-scratch packing of a
/// spread-out fleet, renamed onto the hosts that run the most now), the room for an instance
/// is spread over many hosts in slivers, and only a chain of ejections reaches it: this is the
/// pool search of `PoolSearch` (Buljubašić & Vasquez's consistent neighbourhood search) with
/// the instances at home never ejected and the pool's weight as its objective, so a move may
/// make the pool heavier and the search walks on; short tabu memory keeps it from undoing its
/// last moves.
///
/// Then, while time remains, host swaps: a host in use gives way to an unused host of the
/// same shape (capacity, power figures, embodied carbon; the same zone too under the `energy`
/// objective) that more instances run on now. The renaming of a packing's hosts keeps each
/// content in its class, zone included, so on a zoned fleet the hosts that run the most now
/// may lie in a zone the packing put fewer hosts in; a swap moves a host's worth of content
/// across, with spread-balanced instances kept in their domain. It succeeds only when more
/// instances come home than the closed host had at home, and every instance has a place.
///
/// Deterministic for a seed; the clock only decides when to stop.
struct StaySearch {
    let problem: Problem
    let index: ProblemIndex
    /// Normalized weight of one instance of each service.
    let weight: [Double]
    var rng: SplitMix64
    /// Where the work done is charged (see `WorkClock`).
    var clock: WorkClock?

    init(problem: Problem, index: ProblemIndex, scales: Scales, seed: UInt64) {
        self.problem = problem
        self.index = index
        weight = problem.services.map { scales.weight($0.requests, .sum) + 1e-9 }
        rng = SplitMix64(seed: seed ^ 0x57A1_5EA2_C400_0002)
    }

    /// Hosts sampled per pool instance and iteration when more hosts are in use.
    static let sampledHosts = 48
    /// Iterations of the first attempt at each instance; failed instances are tried again at
    /// twice the budget while time remains, up to `maxBudget`.
    static let firstBudget = 24
    static let maxBudget = 384

    /// The assignment with more instances where they run now, on as many hosts or fewer (a
    /// host may be swapped for one of the same shape). Hosts in `frozen` keep their content and
    /// are never swapped in.
    mutating func run(assignment: [Int], frozen: Set<Int> = [], expired: () -> Bool) -> [Int] {
        guard let current = problem.current else { return assignment }
        var search = Search(
            problem: problem, index: index, weight: weight, current: current, assignment: assignment, frozen: frozen,
            rng: rng, clock: clock)
        guard !search.hosts.isEmpty else { return assignment }
        // Instances away from a home that stays on, lightest first (they need the least room).
        func awayFromOpenHome(_ i: Int) -> Bool {
            let h = search.state.assignment[i]
            return h >= 0 && search.open[h] && search.homeOf(i) >= 0 && search.homeOf(i) != h
        }
        /// Attempts on `pending`, the failed ones again at twice the budget, while time remains.
        func bringHome(_ pending: [Int]) {
            var pending = pending.sorted {
                (weight[Int(index.serviceOfInstance[$0])], $0) < (weight[Int(index.serviceOfInstance[$1])], $1)
            }
            var budget = Self.firstBudget
            while !pending.isEmpty, !expired() {
                var failed = [Int]()
                for i in pending {
                    if expired() { break }
                    guard awayFromOpenHome(i) else { continue }
                    search.log.removeAll(keepingCapacity: true)
                    if search.attempt(i, budget: budget, expired: expired) {
                        clock?.charge(search.placementCost * search.log.count)
                    } else {
                        clock?.charge(2 * search.placementCost * search.log.count)
                        search.undo()
                        failed.append(i)
                    }
                }
                clock?.charge(search.evals)
                search.evals = 0
                if budget >= Self.maxBudget { break }
                budget *= 2
                pending = failed
            }
        }
        bringHome(search.state.assignment.indices.filter(awayFromOpenHome))

        // Then swaps of a host in use for an unused one of the same shape that more instances
        // run on now (on a zoned fleet, a packing's hosts per zone are fixed by its contents,
        // so the hosts that run the most now may sit in another zone).
        struct Shape: Hashable {
            var usable: Resources
            var power: PowerProfile?
            var embodied: Double?
            var lifetime: Double?
            var zone: String?
        }
        // Under the energy objective hosts in other zones may draw on another grid: same zone only.
        let energy = problem.policy.objective == .energy
        let shape = problem.hosts.indices.map { h in
            let host = problem.hosts[h]
            return Shape(
                usable: problem.usable[h], power: host.power, embodied: host.embodiedKgCO2e,
                lifetime: host.lifetimeYears, zone: energy ? host.zone : nil)
        }
        var failedSwaps = Set<Int64>()
        while !expired() {
            let homes = search.homeCounts()
            let atHome = search.atHomeCounts()
            clock?.charge(4 * problem.instanceCount)
            let unused = problem.hosts.indices.filter {
                !search.open[$0] && search.state.hostCount[$0] == 0 && problem.hosts[$0].state == .active
                    && !frozen.contains($0) && homes[$0] >= 2
            }.sorted { (homes[$0], -$0) > (homes[$1], -$1) }
            var swapped = -1
            outer: for u in unused.prefix(8) {
                let closable = search.hosts.filter {
                    // An exclusive tenant needs a host of its own: it would only take u's place.
                    shape[$0] == shape[u] && atHome[$0] + 1 < homes[u] && search.state.exclusiveOwner[$0] < 0
                        && !failedSwaps.contains(Int64($0) << 32 | Int64(u))
                }.sorted { (atHome[$0], search.state.hostCount[$0], $0) < (atHome[$1], search.state.hostCount[$1], $1) }
                for k in closable.prefix(3) {
                    if expired() { break outer }
                    search.log.removeAll(keepingCapacity: true)
                    if search.swap(close: k, open: u, budget: Self.maxBudget, expired: expired) {
                        clock?.charge(search.placementCost * search.log.count)
                        swapped = u
                        break outer
                    }
                    clock?.charge(2 * search.placementCost * search.log.count)
                    search.undo()
                    failedSwaps.insert(Int64(k) << 32 | Int64(u))
                }
            }
            clock?.charge(search.evals)
            search.evals = 0
            guard swapped >= 0 else { break }
            // Instances of u that could not come back with the swap may now.
            bringHome(search.state.assignment.indices.filter { current[$0] == swapped && awayFromOpenHome($0) })
        }
        rng = search.rng
        return search.state.assignment
    }

    /// The state of one run, with the search's moves as methods (local functions capturing the
    /// state would retain and check it on every call).
    private struct Search {
        let problem: Problem
        let index: ProblemIndex
        let weight: [Double]
        let current: [Int?]
        var state: PlacementState
        /// Instances on each host (unordered).
        var on: [[Int]]
        /// Hosts the search may use: in use, active, not frozen.
        var open: [Bool]
        /// The open hosts, as a list (sampled in the pool search).
        var hosts: [Int]
        var rng: SplitMix64
        let clock: WorkClock?
        /// Work not yet charged to the clock.
        var evals = 0
        /// Units one placement or removal costs.
        let placementCost = 24
        /// This attempt's moves (host -1: not placed), for the undo.
        var log = [(instance: Int, from: Int, to: Int)]()
        // Tabu memory, in iterations over all attempts.
        var tick = 0
        var returnHost: [Int]
        var returnUntil: [Int]
        var ejectUntil: [Int]
        /// Spread domain each pool instance must stay in (the one it left).
        var poolDomain: [Int32]
        // Scratch.
        var members = [Int]()
        var memberWeight = [Double]()
        var deficit: [Int64]
        var places = [Int]()
        var ejected = [Int]()
        var bestEjected = [Int]()

        init(
            problem: Problem, index: ProblemIndex, weight: [Double], current: [Int?], assignment: [Int],
            frozen: Set<Int>, rng: SplitMix64, clock: WorkClock?
        ) {
            self.rng = rng
            self.clock = clock
            self.problem = problem
            self.index = index
            self.weight = weight
            self.current = current
            state = PlacementState(problem: problem, index: index)
            on = Array(repeating: [], count: problem.hosts.count)
            for (i, h) in assignment.enumerated() where h >= 0 {
                state.place(i, on: h)
                on[h].append(i)
            }
            open = Array(repeating: false, count: problem.hosts.count)
            for h in problem.hosts.indices
            where state.hostCount[h] > 0 && problem.hosts[h].state == .active && !frozen.contains(h) {
                open[h] = true
            }
            hosts = problem.hosts.indices.filter { [open] in open[$0] }
            let n = problem.instanceCount
            returnHost = Array(repeating: -1, count: n)
            returnUntil = Array(repeating: 0, count: n)
            ejectUntil = Array(repeating: 0, count: n)
            poolDomain = Array(repeating: -1, count: n)
            deficit = Array(repeating: 0, count: index.dimensionCount)
        }

        /// Host instance `i` may return to: where it runs now, when that host is open.
        func homeOf(_ i: Int) -> Int {
            guard index.pinnedHost[i] < 0, let c = current[i], open[c] else { return -1 }
            return c
        }

        mutating func move(_ i: Int, to h: Int) {
            let from = state.assignment[i]
            if from >= 0 { detach(i, from) }
            if h >= 0 {
                state.place(i, on: h)
                on[h].append(i)
            }
            log.append((i, from, h))
        }

        private mutating func detach(_ i: Int, _ h: Int) {
            evals += on[h].count / 4
            state.remove(i)
            if let k = on[h].firstIndex(of: i) { on[h].swapAt(k, on[h].count - 1) }
            on[h].removeLast()
        }

        mutating func undo() {
            for op in log.reversed() {
                if op.to >= 0 { detach(op.instance, op.to) }
                if op.from >= 0 {
                    state.place(op.instance, on: op.from)
                    on[op.from].append(op.instance)
                }
            }
            log.removeAll(keepingCapacity: true)
        }

        /// The lightest set of at most `limit` instances on `h` that may leave (away from
        /// home, unpinned, not just placed) whose leaving lets an instance of `s` in, lighter
        /// than `cap`, into `ejected`; returns its weight, or nil when there is none.
        mutating func lightestEjection(_ s: Int, on h: Int, limit: Int, cap: Double) -> Double? {
            let dims = index.dimensionCount
            let req = index.requestFlat
            let svcOf = index.serviceOfInstance
            var need = false
            for d in 0..<dims {
                deficit[d] = state.used[h * dims + d] + req[s * dims + d] - index.usableFlat[h * dims + d]
                if deficit[d] > 0 { need = true }
            }
            evals += 4 + dims
            ejected.removeAll(keepingCapacity: true)
            if !need {
                evals += 3
                return state.rejection(service: s, host: h, ignoreSkew: true) == nil ? 0 : nil
            }
            members.removeAll(keepingCapacity: true)
            evals += on[h].count / 2
            for e in on[h] where index.pinnedHost[e] < 0 && current[e] != h && ejectUntil[e] <= tick {
                members.append(e)
                if members.count == 32 { break }
            }
            let n = members.count
            guard n > 0 else { return nil }
            // Lightest first (insertion sort: at most 32 members).
            memberWeight.removeAll(keepingCapacity: true)
            for k in 0..<n {
                let e = members[k]
                let w = weight[Int(svcOf[e])]
                var j = k
                memberWeight.append(w)
                while j > 0, memberWeight[j - 1] > w {
                    memberWeight[j] = memberWeight[j - 1]
                    members[j] = members[j - 1]
                    j -= 1
                }
                memberWeight[j] = w
                members[j] = e
            }
            evals += 2 * n + n * n / 8
            var found = false
            var bound = cap
            for a in 0..<n {
                let wa = memberWeight[a]
                if wa >= bound { break }
                evals += 1
                let ra = Int(svcOf[members[a]]) * dims
                var coversA = true
                for d in 0..<dims where deficit[d] > 0 && req[ra + d] < deficit[d] {
                    coversA = false
                    break
                }
                if coversA {
                    if admits(s, h, [members[a]]) {
                        (found, bound) = (true, wa)
                        bestEjected = [members[a]]
                    }
                    continue
                }
                guard limit >= 2 else { continue }
                for b in (a + 1)..<max(a + 1, n) {
                    let wab = wa + memberWeight[b]
                    if wab >= bound { break }
                    evals += 1
                    let rb = Int(svcOf[members[b]]) * dims
                    var coversAB = true
                    for d in 0..<dims where deficit[d] > 0 && req[ra + d] + req[rb + d] < deficit[d] {
                        coversAB = false
                        break
                    }
                    if coversAB {
                        if admits(s, h, [members[a], members[b]]) {
                            (found, bound) = (true, wab)
                            bestEjected = [members[a], members[b]]
                        }
                        continue
                    }
                    guard limit >= 3, n <= 16 else { continue }
                    for c in (b + 1)..<max(b + 1, n) {
                        let wabc = wab + memberWeight[c]
                        if wabc >= bound { break }
                        evals += 1
                        let rc = Int(svcOf[members[c]]) * dims
                        var coversABC = true
                        for d in 0..<dims where deficit[d] > 0 && req[ra + d] + req[rb + d] + req[rc + d] < deficit[d] {
                            coversABC = false
                            break
                        }
                        if coversABC, admits(s, h, [members[a], members[b], members[c]]) {
                            (found, bound) = (true, wabc)
                            bestEjected = [members[a], members[b], members[c]]
                        }
                    }
                }
            }
            guard found else { return nil }
            ejected = bestEjected
            return bound
        }

        private mutating func admits(_ s: Int, _ h: Int, _ set: [Int]) -> Bool {
            evals += 3
            return state.accepts(service: s, host: h, ejecting: set)
        }

        /// Brings `i` home and finds the ejected instances places; false leaves the undo to
        /// the caller.
        mutating func attempt(_ i: Int, budget: Int, expired: () -> Bool) -> Bool {
            let c = homeOf(i)
            let from = state.assignment[i]
            let s = Int(index.serviceOfInstance[i])
            guard c >= 0, from >= 0, from != c else { return false }
            if index.hasSelector[s],
                !ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[c].labels)
            {
                return false
            }
            if index.domainKeyOfService[s] >= 0 {
                let a = state.domain(ofService: s, host: from)
                let b = state.domain(ofService: s, host: c)
                guard b >= 0, state.domainAcceptsMove(service: s, from: a, to: b) else { return false }
            }
            move(i, to: -1)
            guard lightestEjection(s, on: c, limit: 3, cap: .infinity) != nil else { return false }
            var pool = [Int]()
            for e in ejected {
                poolDomain[e] = state.domain(ofService: Int(index.serviceOfInstance[e]), host: c)
                move(e, to: -1)
                returnHost[e] = c
                returnUntil[e] = tick + budget
                pool.append(e)
            }
            move(i, to: c)
            ejectUntil[i] = Int.max
            defer { ejectUntil[i] = 0 }
            return settle(&pool, hints: [from], budget: budget, expired: expired)
        }

        /// Finds every pool instance a place among the open hosts (in its spread domain), by
        /// the pool search: each step makes the move that leaves the lightest pool, ejecting
        /// into it at most two instances that are away from home; `hints` are hosts with room
        /// freed by this attempt (tried besides a sample of the open hosts). False leaves the
        /// undo to the caller.
        mutating func settle(_ pool: inout [Int], hints: [Int], budget: Int, expired: () -> Bool) -> Bool {
            var step = 0
            while !pool.isEmpty {
                if step >= budget || expired() { return false }
                step += 1
                tick += 1
                clock?.charge(evals)
                evals = 20
                var best = (p: -1, h: -1, ejected: [Int]())
                var bestCost = Double.infinity
                var ties = 0
                for p in pool {
                    let sp = Int(index.serviceOfInstance[p])
                    let wp = weight[sp]
                    places.removeAll(keepingCapacity: true)
                    let home = homeOf(p)
                    if home >= 0 { places.append(home) }
                    places += hints
                    if hosts.count <= StaySearch.sampledHosts {
                        places += hosts
                    } else {
                        for _ in 0..<StaySearch.sampledHosts { places.append(hosts[Int(rng.next() % UInt64(hosts.count))]) }
                    }
                    for k in places.indices {
                        let h = places[k]
                        evals += 1
                        guard open[h], state.domain(ofService: sp, host: h) == poolDomain[p],
                            !index.hasSelector[sp]
                                || ProblemIndex.matches(selector: problem.services[sp].selector, labels: problem.hosts[h].labels)
                        else { continue }
                        // An instance back at home earns a move less.
                        let bonus = h == current[p] ? 0.5 * wp : 0
                        guard let we = lightestEjection(sp, on: h, limit: 2, cap: bestCost + wp + bonus + 1e-12) else {
                            continue
                        }
                        let tabu = returnHost[p] == h && returnUntil[p] > tick
                        if tabu && !(ejected.isEmpty && pool.count == 1) { continue }
                        let cost = we - wp - bonus
                        if cost < bestCost - 1e-12 {
                            (best, bestCost, ties) = ((p, h, ejected), cost, 1)
                        } else if abs(cost - bestCost) <= 1e-12 {
                            ties += 1
                            if rng.next() % UInt64(ties) == 0 { best = (p, h, ejected) }
                        }
                    }
                }
                guard best.p >= 0 else { return false }
                let tenure = 3 + Int(rng.next() % 8)
                for e in best.ejected {
                    poolDomain[e] = state.domain(ofService: Int(index.serviceOfInstance[e]), host: best.h)
                    move(e, to: -1)
                    returnHost[e] = best.h
                    returnUntil[e] = tick + tenure
                    pool.append(e)
                }
                move(best.p, to: best.h)
                ejectUntil[best.p] = tick + tenure
                if let k = pool.firstIndex(of: best.p) { pool.remove(at: k) }
            }
            return true
        }

        /// Instances each host would take back (placed on another host, unpinned, running on it
        /// now).
        func homeCounts() -> [Int] {
            var n = [Int](repeating: 0, count: problem.hosts.count)
            for (i, h) in state.assignment.enumerated() where h >= 0 {
                if index.pinnedHost[i] < 0, let c = current[i], c != h { n[c] += 1 }
            }
            return n
        }

        /// Instances at home on each host.
        func atHomeCounts() -> [Int] {
            var n = [Int](repeating: 0, count: problem.hosts.count)
            for (i, h) in state.assignment.enumerated() where h >= 0 && current[i] == h { n[h] += 1 }
            return n
        }

        /// Swaps open host `k` for unused host `u` of the same shape: `u`'s instances that run
        /// there now and can go back do, `k`'s instances go to the pool and the pool search
        /// places them. Succeeds only when more instances come home to `u` than were at home
        /// on `k`; false leaves the undo (of the state; `open` and `hosts` are restored here) to
        /// the caller.
        mutating func swap(close k: Int, open u: Int, budget: Int, expired: () -> Bool) -> Bool {
            let svcOf = index.serviceOfInstance
            evals += current.count / 8
            guard !on[k].contains(where: { index.pinnedHost[$0] >= 0 }) else { return false }
            let position = hosts.firstIndex(of: k)!
            open[u] = true
            var restored = false
            defer {
                if !restored {
                    open[k] = true
                    open[u] = false
                    hosts[position] = k
                }
            }
            // u's own instances back first, from wherever on the open hosts the plan put them
            // (k included), while every other instance is still in place: a spread domain's
            // count is checked against the counts it will end with (the pool below keeps
            // its domains).
            var hints = [Int]()
            var gained = 0
            for j in current.indices where current[j] == u && index.pinnedHost[j] < 0 {
                let from = state.assignment[j]
                guard from >= 0, open[from], from != u else { continue }
                let sj = Int(svcOf[j])
                evals += 4
                if index.domainKeyOfService[sj] >= 0 {
                    let b = state.domain(ofService: sj, host: u)
                    guard b >= 0, state.domainAcceptsMove(service: sj, from: state.domain(ofService: sj, host: from), to: b)
                    else { continue }
                }
                guard state.rejection(service: sj, host: u, ignoreSkew: true) == nil else { continue }
                if from != k { hints.append(from) }
                move(j, to: u)
                gained += 1
            }
            // Then k's remaining instances go to the pool, and k closes.
            var pool = [Int]()
            var lost = 0
            for e in on[k] {
                if current[e] == k { lost += 1 }
                pool.append(e)
            }
            guard gained > lost else { return false }
            // They may not come back to k even if a later swap reopens it (except as the move
            // that empties a pool).
            for e in pool {
                poolDomain[e] = state.domain(ofService: Int(svcOf[e]), host: k)
                move(e, to: -1)
                returnHost[e] = k
                returnUntil[e] = Int.max
            }
            open[k] = false
            hosts[position] = u
            hints.append(u)
            // Largest first, each where it fits tightest (its home first): the search only
            // handles what is left.
            pool.sort { weight[Int(svcOf[$0])] > weight[Int(svcOf[$1])] }
            var left = [Int]()
            for p in pool {
                let sp = Int(svcOf[p])
                var best = -1
                var bestRoom = Double.infinity
                let home = homeOf(p)
                if home >= 0, state.domain(ofService: sp, host: home) == poolDomain[p],
                    state.rejection(service: sp, host: home, ignoreSkew: true) == nil
                {
                    best = home
                } else {
                    for h in hints + hosts where open[h] && state.domain(ofService: sp, host: h) == poolDomain[p] {
                        evals += 4
                        guard state.fits(service: sp, host: h), state.rejection(service: sp, host: h, ignoreSkew: true) == nil
                        else { continue }
                        var room = 0.0
                        for d in 0..<index.dimensionCount {
                            room += Double(state.free(h, d)) / Double(max(1, index.usableFlat[h * index.dimensionCount + d]))
                        }
                        if room < bestRoom { (best, bestRoom) = (h, room) }
                    }
                }
                if best >= 0 { move(p, to: best) } else { left.append(p) }
            }
            guard settle(&left, hints: hints, budget: budget, expired: expired) else { return false }
            restored = true
            return true
        }
    }
}
