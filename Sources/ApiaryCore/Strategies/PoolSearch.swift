/// Tabu pool search: frees one more host when the descent of `Improvement` is stuck.
///
/// A victim host's instances go to a pool, and the search then repeatedly makes the move that
/// leaves the lightest pool: put a pool instance `p` on a used host `h`, ejecting into the pool
/// the lightest set of at most three of `h`'s instances that makes room (none when `p` fits as
/// it is). Unlike the descent, a move may make the pool heavier, so the search walks out of
/// local optima; short-term tabu memory keeps it from undoing its last moves (an instance
/// ejected from `h` may not return to `h`, and an instance just placed may not be ejected, for a
/// few iterations). When the pool empties, the victim is free; when the iteration budget runs
/// out, the attempt is rolled back, so every accepted state is valid. This is the consistent
/// neighbourhood search of Buljubašić & Vasquez (2016) for bin and vector packing, with every
/// constraint checked by `PlacementState`; instances of zone-balanced services stay in the
/// domain they came from, so no domain count ever changes.
///
/// Deterministic for a seed; the clock only decides when to stop.
struct PoolSearch {
    let problem: Problem
    /// Normalized weight of one instance of each service.
    let weight: [Double]
    let idleWatts: [Double]
    var rng: SplitMix64

    init(problem: Problem, scales: Scales, idleWatts: [Double], seed: UInt64) {
        self.problem = problem
        self.idleWatts = idleWatts
        weight = problem.services.map { scales.weight($0.requests, .sum) + 1e-9 }
        rng = SplitMix64(seed: seed ^ 0x7AB0_5EA2_C4C4_0001)
        hasSelector = problem.services.map { !$0.selector.isEmpty }
        // Where no rule but capacity can bind an ejection, covering the deficit is enough.
        let anyExclusive = problem.services.contains { $0.exclusive }
        simple = problem.services.map { svc in
            if anyExclusive || problem.onePackageNamePerHost { return false }
            if case .host = svc.spread { return false }
            return true
        }
    }

    /// Per service: only capacity can stop it taking an ejected instance's place.
    let simple: [Bool]
    /// Victims holding more instances than this are left to the descent.
    static let maxVictimInstances = 32

    /// Pools up to this size try every pair of instances as a two-instance move; larger pools
    /// try `sampledPairs` pairs drawn at random.
    static let allPairsPool = 12
    static let sampledPairs = 66

    /// Where the work done is charged (see `WorkClock`).
    var clock: WorkClock?

    /// Per service: it has a host selector.
    let hasSelector: [Bool]

    /// An attempt's undo log, with the instances on each host kept alongside.
    private struct Workspace {
        var log = PlacementLog()
        /// Instances on each host (unordered).
        var on: [[Int]]
        /// Tabu memory, in iterations counted over every attempt (`clock`): the host each
        /// instance was last ejected from and until when it may not return there, and until
        /// when a just-placed instance may not be ejected again.
        var clock = 0
        var returnHost: [Int]
        var returnUntil: [Int]
        var ejectUntil: [Int]

        init(on: [[Int]], instances: Int) {
            self.on = on
            returnHost = Array(repeating: -1, count: instances)
            returnUntil = Array(repeating: 0, count: instances)
            ejectUntil = Array(repeating: 0, count: instances)
        }

        mutating func place(_ i: Int, _ h: Int, _ s: inout PlacementState, _ t: inout TreeSet) {
            log.place(i, on: h, &s, &t)
            on[h].append(i)
        }

        mutating func remove(_ i: Int, _ s: inout PlacementState, _ t: inout TreeSet) {
            detach(i, from: log.remove(i, &s, &t))
        }

        mutating func undo(_ s: inout PlacementState, _ t: inout TreeSet) {
            var undone = log  // the closure below updates `on`, so the log is moved out first
            log = PlacementLog()
            undone.undo(&s, &t) { op in
                switch op {
                case .place(let i, let h): detach(i, from: h)
                case .remove(let i, let h): on[h].append(i)
                }
            }
        }

        private mutating func detach(_ i: Int, from h: Int) {
            if let k = on[h].firstIndex(of: i) { on[h].swapAt(k, on[h].count - 1) }
            on[h].removeLast()
        }
    }

    /// Frees hosts until the bound is reached, every victim has failed at the largest
    /// iteration budget, or `expired()` is true. With `moveCap` (a running fleet's move
    /// budget), a host freed only counts when the state then moves at most that many running
    /// instances (once instances are renumbered within their service); otherwise it is undone.
    mutating func run(
        state: inout PlacementState, trees: inout TreeSet, lowerBound: Int, iterationCap: Int,
        moveCap: Int? = nil, expired: () -> Bool, progress: (Int) -> Void
    ) {
        var on = [[Int]](repeating: [], count: problem.hosts.count)
        for (i, h) in state.assignment.enumerated() where h >= 0 { on[h].append(i) }
        var work = Workspace(on: on, instances: problem.instanceCount)
        // Budgets grow when every candidate victim fails at the current one.
        var budget = 1_000
        let maxBudget = 32_000
        // A work cap, so runs without a clock (or with a generous one) end on their own and
        // replay exactly: iterations in all, in proportion to the time limit and the input.
        var left = iterationCap
        var failed = Set<Int>()
        var overBudget = 0
        while state.hostsUsed > lowerBound, left > 0, !expired() {
            let victims = victimOrder(state: state, on: work.on).filter { !failed.contains($0) }
            guard !victims.isEmpty else {
                if budget >= maxBudget { break }
                budget *= 2
                failed.removeAll()
                continue
            }
            // Two victims: the lightest host not yet failed, and one of the next few lightest
            // (seeded). Only one has to end up empty.
            let first = victims[0]
            let others = victimOrder(state: state, on: work.on).filter { $0 != first }.prefix(4)
            var pair = [first]
            if !others.isEmpty { pair.append(others[Int(rng.next() % UInt64(others.count))]) }
            work.log.clear()
            let spend = min(budget, left)
            var used = 0
            let freed = attempt(pair, state: &state, trees: &trees, work: &work, budget: spend, used: &used, expired: expired)
            // Every placement and removal refreshes the host trees (twice when rolled back).
            clock?.chargePlacements(work.log.ops.count, rolledBack: !freed)
            left -= max(used, 1)
            if freed, let moveCap, !Self.withinMoves(problem, state.assignment, cap: moveCap, clock: clock) {
                work.undo(&state, &trees)
                clock?.chargePlacements(work.log.ops.count, rolledBack: true)
                failed.insert(first)
                // The budget binds, not the search: a few hosts freed beyond it end the search.
                overBudget += 1
                if overBudget >= Self.overBudgetLimit { break }
            } else if freed {
                failed.removeAll()
                progress(state.hostsUsed)
            } else {
                work.undo(&state, &trees)
                failed.insert(first)
            }
        }
    }

    /// Hosts freed beyond the move budget after which the search stops.
    static let overBudgetLimit = 4

    /// True when `assignment` moves at most `cap` running instances, counted as the plan will
    /// count them (instances renumbered within each service first).
    static func withinMoves(_ problem: Problem, _ assignment: [Int], cap: Int, clock: WorkClock?) -> Bool {
        clock?.charge(4 * problem.instanceCount)
        if problem.moves(to: assignment) <= cap { return true }
        clock?.charge(40 * problem.instanceCount)
        return problem.moves(to: MigrationScheduler.alignInstances(problem, target: assignment)) <= cap
    }

    /// Used hosts that may be emptied, lightest first (for `energy`, most idle watts per load).
    private func victimOrder(state: PlacementState, on: [[Int]]) -> [Int] {
        clock?.charge(2_000 + 8 * problem.hosts.count)
        var keyed = [(Int, Double)]()
        for h in problem.hosts.indices where state.hostCount[h] > 0 && problem.hosts[h].state == .active {
            if on[h].contains(where: { state.index.pinnedHost[$0] >= 0 }) { continue }
            // Hosts of many small instances are the descent's work; here every iteration looks
            // at every pool instance, so pools stay small.
            if on[h].count > Self.maxVictimInstances { continue }
            var load = 0.0
            for i in on[h] { load += weight[Int(state.index.serviceOfInstance[i])] }
            let key = problem.policy.objective == .energy ? load / max(idleWatts[h], 1) : load
            keyed.append((h, key))
        }
        keyed.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return keyed.map(\.0)
    }

    /// Empties the victims into the pool and searches until the pool fits on one of them
    /// (or is empty): one host fewer. `false` leaves the undo to the caller.
    private mutating func attempt(
        _ victims: [Int], state: inout PlacementState, trees: inout TreeSet, work: inout Workspace, budget: Int,
        used: inout Int, expired: () -> Bool
    ) -> Bool {
        let index = state.index
        let dims = index.dimensionCount
        var pool = [Int]()
        // Home domain of each pool instance (the domain of the host it left).
        var home = [Int: Int32]()
        for v in victims {
            for i in work.on[v] {
                pool.append(i)
                home[i] = state.domain(ofService: Int(index.serviceOfInstance[i]), host: v)
            }
        }
        for i in pool { work.remove(i, &state, &trees) }
        clock?.charge(2_000 + 8 * problem.hosts.count)
        // Hoisted so the hot loop reads plain local arrays.
        let req = index.requestFlat
        let usable = index.usableFlat
        let svcOf = index.serviceOfInstance
        let pinned = index.pinnedHost
        let weight = self.weight
        let hasSelector = self.hasSelector
        let closed = Set(victims)
        let hosts = problem.hosts.indices.filter {
            !closed.contains($0) && state.hostCount[$0] > 0 && problem.hosts[$0].state == .active
        }
        /// Puts the whole pool on one victim when it fits there: the search has succeeded.
        func settle(_ state: inout PlacementState, _ trees: inout TreeSet, _ work: inout Workspace) -> Bool {
            if pool.isEmpty { return true }
            for v in victims {
                var ok = true
                for d in 0..<dims {
                    var sum: Int64 = 0
                    for i in pool { sum += req[Int(svcOf[i]) * dims + d] }
                    if sum > usable[v * dims + d] {
                        ok = false
                        break
                    }
                }
                guard ok else { continue }
                var placed = [Int]()
                for i in pool {
                    let s = Int(svcOf[i])
                    guard state.domain(ofService: s, host: v) == home[i]!,
                        ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[v].labels),
                        state.rejection(service: s, host: v, ignoreSkew: true) == nil
                    else {
                        ok = false
                        break
                    }
                    work.place(i, v, &state, &trees)
                    placed.append(i)
                }
                if ok {
                    pool.removeAll()
                    return true
                }
                for i in placed.reversed() { work.remove(i, &state, &trees) }
            }
            return false
        }
        if settle(&state, &trees, &work) { return true }
        guard !hosts.isEmpty else { return false }
        // The search minimizes how far the pool exceeds one victim's capacity (summed over
        // dimensions, normalized), then the pool's weight.
        var target = [Int64](repeating: 0, count: dims)
        for v in victims { for d in 0..<dims { target[d] = max(target[d], usable[v * dims + d]) } }
        let inverseTarget = target.map { $0 > 0 ? 1 / Double($0) : 0 }
        var poolSum = [Int64](repeating: 0, count: dims)
        for i in pool { for d in 0..<dims { poolSum[d] += req[Int(svcOf[i]) * dims + d] } }
        var rest = [Int64](repeating: 0, count: dims)
        var base = 0.0
        let excessWeight = 10.0
        let start = work.clock
        defer { work.clock += used }
        let sample = hosts.count > 64
        // Scratch of `weigh`, passed to it inout: a local function that captures mutable locals
        // has their accesses checked for exclusivity at run time.
        var buf = WeighBuffers(dims: dims)
        var pairs = [(Int, Int)]()  // pool pairs tried as two-instance moves this iteration
        defer { clock?.charge(buf.evals) }

        for iteration in 0..<budget {
            used = iteration + 1
            let now = start + iteration
            clock?.charge(buf.evals)
            buf.evals = 40
            if expired() { return false }
            var best: (p: Int, q: Int, h: Int, ejected: [Int])?
            var bestCost = Double.infinity
            var ties = 0
            let candidates: [Int] =
                sample ? (0..<64).map { _ in hosts[Int(rng.next() % UInt64(hosts.count))] } : hosts
            /// Keeps the cheapest move; ties broken uniformly at random (reservoir sampling).
            /// A tabu move is allowed only when it empties the pool (aspiration).
            func consider(
                _ delta: Double, p: Int, q: Int = -1, h: Int, ejected: [Int], tabu: Bool, poolWeightAfterIsZero: Bool
            ) {
                if tabu && !poolWeightAfterIsZero { return }
                var cost = delta
                if !ejected.isEmpty {
                    var over = 0.0
                    for d in 0..<dims {
                        var v = rest[d]
                        for e in ejected { v += req[Int(svcOf[e]) * dims + d] }
                        if v > target[d] { over += Double(v - target[d]) * inverseTarget[d] }
                    }
                    cost += excessWeight * over
                } else {
                    cost += base
                }
                if cost < bestCost - 1e-12 {
                    bestCost = cost
                    best = (p, q, h, ejected)
                    ties = 1
                } else if abs(cost - bestCost) <= 1e-12 {
                    ties += 1
                    if rng.next() % UInt64(ties) == 0 { best = (p, q, h, ejected) }
                }
            }

            /// Weighs putting pool instance `p`, and `q` too when it is ≥ 0 (weighing `w` together),
            /// on host `h`: as they are when they fit, else ejecting the lightest sets of the
            /// host's instances that cover the deficit (up to three for one newcomer, two for
            /// two). `rest` and `base` hold the pool without the newcomers. The state is passed in,
            /// borrowed: a local function that captures it copies it (a retain and release of
            /// each of its arrays) on every call.
            func weigh(
                _ p: Int, _ q: Int, on h: Int, weight w: Double, tabu: Bool, _ st: borrowing PlacementState,
                _ buf: inout WeighBuffers
            ) {
                let s = Int(svcOf[p])
                let s2 = q >= 0 ? Int(svcOf[q]) : -1
                buf.evals += 16 + dims / 2
                var need = false
                for d in 0..<dims {
                    var over = st.used[h * dims + d] + req[s * dims + d] - usable[h * dims + d]
                    if q >= 0 { over += req[s2 * dims + d] }
                    buf.deficit[d] = over
                    if over > 0 { need = true }
                }
                let rules = !simple[s] || (q >= 0 && !simple[s2])
                if !need {
                    if q < 0 {
                        buf.evals += 3
                        if st.rejection(service: s, host: h, ignoreSkew: true) == nil {
                            consider(-w, p: p, h: h, ejected: [], tabu: tabu, poolWeightAfterIsZero: pool.count == 1)
                        }
                    } else if Self.admits(st, rules, s, s2, h, [], &buf.evals) {
                        consider(-w, p: p, q: q, h: h, ejected: [], tabu: tabu, poolWeightAfterIsZero: pool.count == 2)
                    }
                    return
                }
                buf.members.removeAll(keepingCapacity: true)
                for e in work.on[h] where pinned[e] < 0 && work.ejectUntil[e] <= now {
                    buf.members.append(e)
                }
                if buf.members.isEmpty { return }
                // Lightest first, so each loop below can stop at the first set heavier than
                // the best move found. On hosts of many instances, a bounded subset (ejection
                // sets are small).
                let cap = q < 0 ? 48 : 24
                if buf.members.count > cap { buf.members.removeLast(buf.members.count - cap) }
                buf.members.sort { weight[Int(svcOf[$0])] < weight[Int(svcOf[$1])] }
                buf.memberService.removeAll(keepingCapacity: true)
                for e in buf.members { buf.memberService.append(Int(svcOf[e]) * dims) }
                buf.short.removeAll(keepingCapacity: true)
                for d in 0..<dims where buf.deficit[d] > 0 { buf.short.append(d) }
                // Sets of one, two and (one newcomer, small hosts) three instances.
                let triples = q < 0 && buf.members.count <= 12
                let n = buf.members.count
                buf.evals += 2 * n
                for a in 0..<n {
                    let wa = weight[buf.memberService[a] / dims]
                    if base + wa - w >= bestCost { break }
                    let ra = buf.memberService[a]
                    var coversA = true
                    for d in buf.short where req[ra + d] < buf.deficit[d] {
                        coversA = false
                        break
                    }
                    if coversA {
                        if Self.admits(st, rules, s, s2, h, [buf.members[a]], &buf.evals) {
                            consider(wa - w, p: p, q: q, h: h, ejected: [buf.members[a]], tabu: tabu, poolWeightAfterIsZero: false)
                        }
                        continue  // supersets only weigh more
                    }
                    for b in (a + 1)..<max(a + 1, n) {
                        buf.evals += 1
                        let wab = wa + weight[buf.memberService[b] / dims]
                        if base + wab - w >= bestCost { break }
                        let rb = buf.memberService[b]
                        var coversAB = true
                        for d in buf.short where req[ra + d] + req[rb + d] < buf.deficit[d] {
                            coversAB = false
                            break
                        }
                        if coversAB {
                            let set = [buf.members[a], buf.members[b]]
                            if Self.admits(st, rules, s, s2, h, set, &buf.evals) {
                                consider(wab - w, p: p, q: q, h: h, ejected: set, tabu: tabu, poolWeightAfterIsZero: false)
                            }
                            continue
                        }
                        guard triples else { continue }
                        for c in (b + 1)..<max(b + 1, n) {
                            buf.evals += 1
                            let wabc = wab + weight[buf.memberService[c] / dims]
                            if base + wabc - w >= bestCost { break }
                            let rc = buf.memberService[c]
                            var coversABC = true
                            for d in buf.short where req[ra + d] + req[rb + d] + req[rc + d] < buf.deficit[d] {
                                coversABC = false
                                break
                            }
                            if coversABC {
                                let set = [buf.members[a], buf.members[b], buf.members[c]]
                                if Self.admits(st, rules, s, s2, h, set, &buf.evals) {
                                    consider(wabc - w, p: p, h: h, ejected: set, tabu: tabu, poolWeightAfterIsZero: false)
                                }
                            }
                        }
                    }
                }
            }

            for p in pool {
                let s = Int(svcOf[p])
                // The pool without p, and what it exceeds one host by: a lower bound on every
                // move of p (ejections only add to the pool).
                var over = 0.0
                for d in 0..<dims {
                    rest[d] = poolSum[d] - req[s * dims + d]
                    if rest[d] > target[d] { over += Double(rest[d] - target[d]) * inverseTarget[d] }
                }
                base = excessWeight * over
                let ph = home[p]!
                for h in candidates {
                    // Hosts may have been emptied by ejections; they stay closed.
                    guard state.hostCount[h] > 0, state.domain(ofService: s, host: h) == ph,
                        !hasSelector[s]
                            || ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[h].labels)
                    else { continue }
                    let tabu = work.returnHost[p] == h && work.returnUntil[p] > now
                    weigh(p, -1, on: h, weight: weight[s], tabu: tabu, state, &buf)
                }
            }

            // Two pool instances onto one host, ejecting at most two of its instances: the
            // moves that fill a host's last slack exactly (e.g. triplets in 1-D packing), which
            // one instance at a time cannot reach without a worse intermediate pool.
            // Every pair of a small pool; a seeded sample of pairs from a large one, so an
            // iteration stays cheap.
            pairs.removeAll(keepingCapacity: true)
            if pool.count >= 2 {
                if pool.count <= Self.allPairsPool {
                    for x in 0..<(pool.count - 1) { for y in (x + 1)..<pool.count { pairs.append((pool[x], pool[y])) } }
                } else {
                    for _ in 0..<Self.sampledPairs {
                        let x = Int(rng.next() % UInt64(pool.count))
                        let y = Int(rng.next() % UInt64(pool.count - 1))
                        pairs.append((pool[x], pool[y < x ? y : y + 1]))
                    }
                }
            }
            for (p, q) in pairs {
                let s = Int(svcOf[p])
                let s2 = Int(svcOf[q])
                // Rules between the two newcomers (each is checked against the host in `weigh`).
                if !simple[s] || !simple[s2] {
                    if problem.services[s].exclusive || problem.services[s2].exclusive { continue }
                    if s == s2, case .host = problem.services[s].spread { continue }
                    if problem.onePackageNamePerHost, index.packageNameID[s] == index.packageNameID[s2] { continue }
                }
                let wpq = weight[s] + weight[s2]
                var over = 0.0
                for d in 0..<dims {
                    rest[d] = poolSum[d] - req[s * dims + d] - req[s2 * dims + d]
                    if rest[d] > target[d] { over += Double(rest[d] - target[d]) * inverseTarget[d] }
                }
                base = excessWeight * over
                if base - wpq >= bestCost { continue }
                let ph = home[p]!
                let qh = home[q]!
                for h in candidates {
                    guard state.hostCount[h] > 0, state.domain(ofService: s, host: h) == ph,
                        state.domain(ofService: s2, host: h) == qh,
                        !hasSelector[s]
                            || ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[h].labels),
                        !hasSelector[s2]
                            || ProblemIndex.matches(selector: problem.services[s2].selector, labels: problem.hosts[h].labels)
                    else { continue }
                    let tabu =
                        (work.returnHost[p] == h && work.returnUntil[p] > now)
                        || (work.returnHost[q] == h && work.returnUntil[q] > now)
                    weigh(p, q, on: h, weight: wpq, tabu: tabu, state, &buf)
                }
            }

            guard let move = best else { return false }
            let tenure = 3 + Int(rng.next() % 8)
            for e in move.ejected {
                let se = Int(svcOf[e])
                home[e] = state.domain(ofService: se, host: move.h)
                work.remove(e, &state, &trees)
                for d in 0..<dims { poolSum[d] += req[se * dims + d] }
                work.returnHost[e] = move.h
                work.returnUntil[e] = now + tenure
                pool.append(e)
            }
            for p in move.q >= 0 ? [move.p, move.q] : [move.p] {
                work.place(p, move.h, &state, &trees)
                let sp = Int(svcOf[p])
                for d in 0..<dims { poolSum[d] -= req[sp * dims + d] }
                work.ejectUntil[p] = now + tenure
                if let k = pool.firstIndex(of: p) { pool.remove(at: k) }
                home[p] = nil
            }
            if settle(&state, &trees, &work) { return true }
        }
        return false
    }

    /// `PlacementState.accepts` for the newcomers `s` and, when ≥ 0, `s2` on `h` with `set`
    /// ejected, when a rule besides capacity can bind (`rules`); 3 evals per check.
    @inline(__always)
    static func admits(
        _ st: borrowing PlacementState, _ rules: Bool, _ s: Int, _ s2: Int, _ h: Int, _ set: [Int], _ evals: inout Int
    ) -> Bool {
        guard rules else { return true }
        evals += 3
        guard st.accepts(service: s, host: h, ejecting: set) else { return false }
        guard s2 >= 0 else { return true }
        evals += 3
        return st.accepts(service: s2, host: h, ejecting: set)
    }
}

/// Scratch arrays of `PoolSearch`'s move weighing, reused across calls, and the work counted.
struct WeighBuffers {
    var deficit: [Int64]
    var members = [Int]()
    var memberService = [Int]()  // service index × dims of each member
    var short = [Int]()  // dimensions where the host lacks room
    var evals = 0  // work of the iteration, charged to the clock at the next one

    init(dims: Int) { deficit = Array(repeating: 0, count: dims) }
}
