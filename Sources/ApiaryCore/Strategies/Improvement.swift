/// The improvement phase: empties hosts one at a time.
///
/// A victim host's instances go to a pool; each pool instance is then placed on another host
/// in use, directly when one has room (first fit through the host trees), otherwise by
/// *ejection*: it takes the place of one or two lighter instances on some host, which join
/// the pool instead. The pool's total weight falls strictly with every ejection, so the
/// search ends; when the pool empties, the victim is free. A failed attempt is rolled back
/// through an undo log, so every accepted state is valid. This follows the idea of
/// consistent neighbourhood search (Buljubašić & Vasquez 2016) for vector packing, with the
/// constraints checked by the same `PlacementState` as construction.
///
/// With a current placement, moves are counted against `maxMoves` and victims are tried
/// cheapest first (fewest instances to move), so a small budget frees the hosts that give
/// the most for it.
struct Improvement {
    let problem: Problem
    let scales: Scales
    /// Normalized weight of one instance of each service.
    let weight: [Double]
    let current: [Int]?
    let maxMoves: Int?
    var rng: SplitMix64

    /// Idle watts per host (the carbon model's figures), for the `energy` objective.
    let idleWatts: [Double]
    /// Where the work done is charged (see `WorkClock`).
    var clock: WorkClock?

    init(problem: Problem, scales: Scales, idleWatts: [Double], maxMoves: Int?, seed: UInt64) {
        self.problem = problem
        self.idleWatts = idleWatts
        self.scales = scales
        weight = problem.services.map { scales.weight($0.requests, .sum) + 1e-9 }
        current = problem.current.map { $0.map { $0 ?? -1 } }
        self.maxMoves = maxMoves
        rng = SplitMix64(seed: seed)
    }

    /// The undo log of an attempt, plus its running move count versus the current placement.
    private struct Journal {
        var log = PlacementLog()
        var moves: Int

        mutating func place(_ i: Int, _ h: Int, _ s: inout PlacementState, _ t: inout TreeSet, _ cur: [Int]?) {
            log.place(i, on: h, &s, &t)
            if let cur, cur[i] >= 0 { moves += cur[i] == h ? -1 : 0 }
        }

        mutating func remove(_ i: Int, _ s: inout PlacementState, _ t: inout TreeSet, _ cur: [Int]?) {
            let h = log.remove(i, &s, &t)
            if let cur, cur[i] >= 0 { moves += cur[i] == h ? 1 : 0 }
        }

        mutating func undo(_ s: inout PlacementState, _ t: inout TreeSet) { log.undo(&s, &t) }
    }

    /// Moves of a state versus the current placement.
    func moves(_ state: PlacementState) -> Int { problem.moves(to: state.assignment) }

    /// Runs until no victim can be emptied, the bound is reached, or `expired()` is true.
    mutating func run(
        state: inout PlacementState, trees: inout TreeSet, lowerBound: Int,
        expired: () -> Bool, progress: (Int) -> Void
    ) {
        var instancesOn = [[Int]](repeating: [], count: problem.hosts.count)
        for (i, h) in state.assignment.enumerated() where h >= 0 { instancesOn[h].append(i) }
        var failures = Set<Int>()  // victims that failed since the last success
        var moves = moves(state)
        // Under a move budget, victims go in passes: one that failed is tried again only in
        // the next pass, after at least one success (otherwise after every success). A running
        // fleet has many hosts of one or two instances, and on most of them a failure stands
        // (an instance no other host in use may take); retrying every one after each success
        // took the budgeted descent's time on a spread-out fleet, so it stopped far short of
        // its budget. Without a budget, the from-scratch packing consolidates such a fleet,
        // and retrying after every success frees more hosts on small fleets (ROADEF a1_3 and
        // a2_2 kept a host more with passes).
        let passes = current != nil && maxMoves != nil
        while state.hostsUsed > lowerBound && !expired() {
            let victims = victimOrder(state: state, instancesOn: instancesOn, skip: failures)
            guard !victims.isEmpty else { break }
            var freed = false
            // A pass sweeps the whole order once computed (ordering every host in use after
            // each host freed took most of the time at 100k instances). The descent never opens
            // a host, so after a sweep every host in use has failed or been freed.
            for victim in passes ? victims[...] : victims.prefix(64) {
                if expired() || state.hostsUsed <= lowerBound { break }
                guard state.hostCount[victim] > 0 else { continue }
                var journal = Journal(moves: moves)
                if tryEmpty(
                    victim, state: &state, trees: &trees, journal: &journal, instancesOn: &instancesOn, expired: expired)
                {
                    moves = journal.moves
                    freed = true
                    progress(state.hostsUsed)
                    if passes { continue }
                    break
                }
                failures.insert(victim)
            }
            if !freed { break }
            failures.removeAll()
        }
    }

    /// What `empty` keeps between calls: the instances on each host and the moves so far.
    struct Emptying {
        var instancesOn: [[Int]]
        var moves: Int
        let current: [Int]?

        /// Records an instance the caller placed on `h` (it was unplaced).
        mutating func placed(_ i: Int, on h: Int) {
            instancesOn[h].append(i)
            if let current, current[i] >= 0, current[i] != h { moves += 1 }
        }
    }

    func emptying(_ state: PlacementState) -> Emptying {
        var instancesOn = [[Int]](repeating: [], count: problem.hosts.count)
        for (i, h) in state.assignment.enumerated() where h >= 0 { instancesOn[h].append(i) }
        clock?.charge(8 * problem.instanceCount)
        return Emptying(instancesOn: instancesOn, moves: moves(state), current: current)
    }

    /// Empties host `victim` (within the move budget); false leaves the state as it was.
    mutating func empty(
        _ victim: Int, state: inout PlacementState, trees: inout TreeSet, context: inout Emptying,
        expired: () -> Bool
    ) -> Bool {
        guard !context.instancesOn[victim].isEmpty,
            !context.instancesOn[victim].contains(where: { state.index.pinnedHost[$0] >= 0 })
        else { return false }
        var journal = Journal(moves: context.moves)
        guard
            tryEmpty(
                victim, state: &state, trees: &trees, journal: &journal, instancesOn: &context.instancesOn,
                expired: expired)
        else { return false }
        context.moves = journal.moves
        return true
    }

    /// Used hosts that may be emptied, cheapest first: fewest instances when moves count,
    /// else the lightest load (for `energy`, the most idle watts per unit of load first).
    private func victimOrder(state: PlacementState, instancesOn: [[Int]], skip: Set<Int>) -> [Int] {
        var keyed = [(Int, Double)]()
        // Under a move budget, hosts of an exclusive tenant are left out (below): its hosts
        // are counted first.
        let skipTenants = current != nil && maxMoves != nil
        clock?.charge(2_000 + (skipTenants ? 12 : 10) * problem.hosts.count)
        var ownedHosts = [Int](repeating: 0, count: skipTenants ? problem.services.count : 0)
        if skipTenants {
            for h in problem.hosts.indices where state.exclusiveOwner[h] >= 0 { ownedHosts[Int(state.exclusiveOwner[h])] += 1 }
        }
        for h in problem.hosts.indices where state.hostCount[h] > 0 && !skip.contains(h) {
            if problem.hosts[h].state != .active { continue }  // cordoned hosts keep what they run
            if instancesOn[h].contains(where: { state.index.pinnedHost[$0] >= 0 }) { continue }
            // Under a move budget, hosts of an exclusive tenant are left out: its instances may
            // only join another host of the same tenant (the descent never opens a host).
            if skipTenants, state.exclusiveOwner[h] >= 0, ownedHosts[Int(state.exclusiveOwner[h])] < 2 { continue }
            var load = 0.0
            for i in instancesOn[h] { load += weight[Int(state.index.serviceOfInstance[i])] }
            var key = load
            if current != nil { key = Double(instancesOn[h].count) * 1000 + load }
            if problem.policy.objective == .energy {
                key = key / max(idleWatts[h], 1)
            }
            keyed.append((h, key))
        }
        keyed.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return keyed.map(\.0)
    }

    private mutating func tryEmpty(
        _ victim: Int, state: inout PlacementState, trees: inout TreeSet, journal: inout Journal,
        instancesOn: inout [[Int]], expired: () -> Bool
    ) -> Bool {
        var pool = instancesOn[victim]
        for i in pool { journal.remove(i, &state, &trees, current) }
        // Where each pool instance came from: domain-balanced services stay in that domain,
        // so the per-domain counts, and with them the skew, never change.
        var origin = [Int: Int]()
        for i in pool { origin[i] = victim }
        let closed = Set<Int>([victim])
        var steps = 0
        let stepLimit = 40 * pool.count + 200
        // Hosts in use besides the victim, for ejections and relocations: built when first
        // needed (most attempts place everything directly; on a fleet of 12,000 hosts building
        // it for each attempt took most of the descent's time). Placements go to hosts in use
        // only, and neither an ejection nor a relocation empties a host, so the list holds.
        var usedHosts: [Int]?
        func used(_ state: PlacementState) -> [Int] {
            if let usedHosts { return usedHosts }
            clock?.charge(problem.hosts.count)
            let hostState = state.index.hostState
            let list = problem.hosts.indices.filter { state.hostCount[$0] > 0 && $0 != victim && hostState[$0] == .active }
            usedHosts = list
            return list
        }
        // Instances that found no place yet; they get another chance after every ejection,
        // which changes what fits where.
        var stuck = [Int]()
        clock?.charge(pool.count)
        while let p = pool.popLast() {
            steps += 1
            clock?.charge(8)
            if steps > stepLimit || (steps & 7 == 0 && expired()) {
                pool.append(p)
                break
            }
            let s = Int(state.index.serviceOfInstance[p])
            let home = state.domain(ofService: s, host: origin[p]!)
            if let h = directTarget(instance: p, service: s, home: home, state: state, trees: &trees, closed: closed) {
                journal.place(p, h, &state, &trees, current)
            } else if let (h, ejected) = ejection(
                instance: p, service: s, home: home, state: state, instancesOn: instancesOn, used: used(state))
            {
                for e in ejected {
                    journal.remove(e, &state, &trees, current)
                    origin[e] = h
                    pool.append(e)
                }
                journal.place(p, h, &state, &trees, current)
                pool += stuck
                stuck.removeAll()
            } else if relocate(
                instance: p, service: s, home: home, victim: victim, state: &state, trees: &trees, journal: &journal,
                instancesOn: instancesOn, used: used(state))
            {
                pool += stuck
                stuck.removeAll()
            } else {
                stuck.append(p)
                continue
            }
            if let maxMoves, journal.moves > maxMoves {
                break
            }
            // Keep the pool's heaviest instance last so it is placed next.
            pool.sort { weight[Int(state.index.serviceOfInstance[$0])] < weight[Int(state.index.serviceOfInstance[$1])] }
        }
        let ok = pool.isEmpty && stuck.isEmpty && (maxMoves == nil || journal.moves <= maxMoves!)
        // Every placement and removal refreshes the host trees (twice when rolled back).
        clock?.chargePlacements(journal.log.ops.count, rolledBack: !ok)
        if !ok {
            journal.undo(&state, &trees)
            return false
        }
        // Update the instance lists of touched hosts from the journal, each kept in instance
        // order (as a rebuild from the assignment would give, without its pass over every
        // instance: at 100k instances that pass took most of a descent's wall time).
        var affected = Set<Int>([victim])
        for op in journal.log.ops {
            switch op {
            case .place(let i, let h):
                instancesOn[h].append(i)
                affected.insert(h)
            case .remove(let i, let h):
                if let k = instancesOn[h].firstIndex(of: i) { instancesOn[h].remove(at: k) }
                affected.insert(h)
            }
        }
        for h in affected { instancesOn[h].sort() }
        return true
    }

    /// Makes room for `p` on some used host A by moving one or two of A's instances to other
    /// used hosts where they fit as they are (an ejection chain of depth two), then places `p`
    /// on A. The pool only shrinks, so the search still ends.
    private mutating func relocate(
        instance p: Int, service s: Int, home: Int32, victim: Int, state: inout PlacementState, trees: inout TreeSet,
        journal: inout Journal, instancesOn: [[Int]], used: [Int]
    ) -> Bool {
        let index = state.index
        let dims = index.dimensionCount
        let svc = problem.services[s]
        var candidates = used
        if candidates.count > 96 {
            candidates = (0..<96).map { _ in used[Int(rng.next() % UInt64(used.count))] }
        }
        clock?.charge(12 * candidates.count)
        for a in candidates {
            guard state.hostCount[a] > 0, ProblemIndex.matches(selector: svc.selector, labels: problem.hosts[a].labels),
                state.domain(ofService: s, host: a) == home
            else { continue }
            clock?.charge(12 * (4 + 2 * instancesOn[a].count))
            var deficit = [Int64](repeating: 0, count: dims)
            for d in 0..<dims {
                deficit[d] = max(0, state.used[a * dims + d] + index.requestFlat[s * dims + d] - index.usableFlat[a * dims + d])
            }
            let members = instancesOn[a].filter { state.assignment[$0] == a && index.pinnedHost[$0] < 0 }
                .sorted { weight[Int(index.serviceOfInstance[$0])] < weight[Int(index.serviceOfInstance[$1])] }
            func covers(_ xs: [Int]) -> Bool {
                for d in 0..<dims where deficit[d] > 0 {
                    var freed: Int64 = 0
                    for x in xs { freed += index.requestFlat[Int(index.serviceOfInstance[x]) * dims + d] }
                    if freed < deficit[d] { return false }
                }
                return true
            }
            var sets = [[Int]]()
            for x in members where covers([x]) { sets.append([x]) }
            let few = members.prefix(8)
            for (k, x) in few.enumerated() { for y in few.dropFirst(k + 1) where covers([x, y]) { sets.append([x, y]) } }
            for set in sets.prefix(6) where charged(state.accepts(service: s, host: a, ejecting: set)) {
                // Move each member of the set to another used host where it fits as it is.
                var done = [(Int, Int)]()
                var ok = true
                for x in set {
                    let sx = Int(index.serviceOfInstance[x])
                    let homeX = state.domain(ofService: sx, host: a)
                    journal.remove(x, &state, &trees, current)
                    if let b = directTarget(
                        instance: x, service: sx, home: homeX, state: state, trees: &trees, closed: [victim, a])
                    {
                        journal.place(x, b, &state, &trees, current)
                        done.append((x, b))
                    } else {
                        journal.place(x, a, &state, &trees, current)
                        ok = false
                        break
                    }
                }
                if ok, state.rejection(service: s, host: a, ignoreSkew: true) == nil {
                    journal.place(p, a, &state, &trees, current)
                    return true
                }
                // Put back what moved.
                for (x, _) in done.reversed() {
                    journal.remove(x, &state, &trees, current)
                    journal.place(x, a, &state, &trees, current)
                }
            }
        }
        return false
    }

    /// Charges one rule check (hash-table lookups) to the clock and passes its result on.
    private func charged(_ result: Bool) -> Bool {
        clock?.charge(5)
        return result
    }

    /// A used host other than the closed ones that takes `p` as it is, first in priority order.
    private func directTarget(
        instance p: Int, service s: Int, home: Int32, state: PlacementState, trees: inout TreeSet, closed: Set<Int>
    ) -> Int? {
        let t = trees.tree(forService: s, state: state)
        let dims = state.index.dimensionCount
        // Through a pointer: a closure that captures the state itself copies it (a retain and
        // release of each of its arrays) on every host it looks at.
        let pos = withUnsafePointer(to: state) { sp in
            state.index.requestFlat.withUnsafeBufferPointer { all in
                let req = UnsafeBufferPointer(rebasing: all[(s * dims)..<((s + 1) * dims)])
                var budget = Int.max
                let found = trees.trees[t].first(covering: req, budget: &budget) { h in
                    sp.pointee.hostCount[h] > 0 && !closed.contains(h) && sp.pointee.domain(ofService: s, host: h) == home
                        && sp.pointee.rejection(service: s, host: h, ignoreSkew: true) == nil
                }
                clock?.charge(2 * (Int.max - budget))  // nodes visited
                return found
            }
        }
        return pos.map { trees.trees[t].hosts[$0] }
    }

    /// The best host where `p` fits after ejecting one or two instances lighter than `p`
    /// together; `nil` when none exists.
    private mutating func ejection(
        instance p: Int, service s: Int, home: Int32, state: PlacementState, instancesOn: [[Int]], used: [Int]
    ) -> (Int, [Int])? {
        let wp = weight[s]
        let dims = state.index.dimensionCount
        let index = state.index
        var best: (Int, [Int])?
        var bestWeight = wp
        // Candidate hosts: every used host when few, else a seeded sample.
        var candidates = [Int]()
        if used.count <= 256 {
            candidates = used
        } else {
            for _ in 0..<256 { candidates.append(used[Int(rng.next() % UInt64(used.count))]) }
        }
        let svc = problem.services[s]
        clock?.charge(candidates.count)
        for h in candidates {
            let host = problem.hosts[h]
            guard state.hostCount[h] > 0, ProblemIndex.matches(selector: svc.selector, labels: host.labels),
                state.domain(ofService: s, host: h) == home
            else { continue }
            // Current members of h (the list may be stale for hosts touched in this attempt).
            let members = instancesOn[h].filter { state.assignment[$0] == h }
            // Deficit per dimension if p were added.
            var deficit = [Int64](repeating: 0, count: dims)
            var need = false
            for d in 0..<dims {
                let over = state.used[h * dims + d] + index.requestFlat[s * dims + d] - index.usableFlat[h * dims + d]
                if over > 0 {
                    deficit[d] = over
                    need = true
                }
            }
            if !need { continue }  // it fits capacity-wise, so some other constraint binds
            func covers(_ removed: [Int]) -> Bool {
                for d in 0..<dims where deficit[d] > 0 {
                    var freed: Int64 = 0
                    for e in removed { freed += index.requestFlat[Int(index.serviceOfInstance[e]) * dims + d] }
                    if freed < deficit[d] { return false }
                }
                return true
            }
            
            clock?.charge(2 * members.count)
            let light = members.filter { e in
                let se = Int(index.serviceOfInstance[e])
                return weight[se] < wp && index.pinnedHost[e] < 0
            }
            for (a, e1) in light.enumerated() {
                let w1 = weight[Int(index.serviceOfInstance[e1])]
                if w1 >= bestWeight { continue }
                clock?.charge(light.count - a)
                
                if covers([e1]), charged(state.accepts(service: s, host: h, ejecting: [e1])) {
                    best = (h, [e1])
                    bestWeight = w1
                    continue
                }
                for e2 in light[(a + 1)...] {
                    let w = w1 + weight[Int(index.serviceOfInstance[e2])]
                    if w >= bestWeight { continue }
                    if covers([e1, e2]), charged(state.accepts(service: s, host: h, ejecting: [e1, e2])) {
                        best = (h, [e1, e2])
                        bestWeight = w
                    }
                }
            }
        }
        return best
    }
}
