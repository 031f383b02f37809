/// Options for one planning run. Validated by the CLI; the core trusts them.
public struct PlannerOptions: Sendable, Hashable {
    /// Planning budget in seconds of the reference machine, counted in work done (see
    /// `WorkClock`); the wall clock the caller supplies only stops a run at 2× this + 0.5 s.
    public var timeLimit: Double
    /// Seed of the injected generator: the same seed gives the same plan.
    public var seed: UInt64
    /// Cap on moves versus the current placement (`--max-moves`, else `[policy] max_moves`).
    public var maxMoves: Int?
    /// Skip consolidation when it frees fewer hosts than this (`--min-hosts-freed`).
    public var minHostsFreed: Int
    /// Skip the improvement phase (construction only).
    public var constructionOnly: Bool

    public init(
        timeLimit: Double = 2.0, seed: UInt64 = 1, maxMoves: Int? = nil, minHostsFreed: Int = 0,
        constructionOnly: Bool = false
    ) {
        self.timeLimit = timeLimit
        self.seed = seed
        self.maxMoves = maxMoves
        self.minHostsFreed = minHostsFreed
        self.constructionOnly = constructionOnly
    }
}

/// What the planner reports while it works (for progress on a terminal).
public struct PlannerProgress: Sendable {
    public var phase: String
    public var hostsUsed: Int
    public var lowerBound: Int
}

/// Entry point of the planning core: construction (or the current placement), then
/// improvement, then migration waves; the lower bound comes with every plan.
///
/// Pure: the caller injects the wall clock (`elapsed` returns seconds since the start of the
/// run) and receives progress through a callback. Phases end on planning time (`WorkClock`),
/// so the same problem, options and seed give the same plan on any machine, unless the wall
/// clock has to stop a run at twice its limit (the plan then says so).
public enum Planner {
    public static func plan(
        _ problem: Problem, options: PlannerOptions = PlannerOptions(),
        elapsed: () -> Double = { 0 }, progress: (PlannerProgress) -> Void = { _ in }
    ) -> Plan {
        // With a running fleet, moves the waves cannot order safely are pinned where they run
        // and the fleet re-planned around them (a few rounds at most). Pins can only cost
        // (each round plans around more of them), so the best round's plan is kept.
        var stay = [Int: Int]()
        var plan = plan(problem, options: options, stay: stay, elapsed: elapsed, progress: progress)
        /// Stops what cannot stay; ranks the plan (see `score`), an uneven spread last.
        func settle(_ plan: inout Plan) -> [Int] {
            if !plan.unscheduled.isEmpty {
                let n = plan.unscheduled.count
                plan.notes.append(
                    "\(n) move\(n == 1 ? "" : "s") could not be ordered into safe waves; \(n == 1 ? "that instance stays where it runs" : "those instances stay where they run")"
                )
            }
            let sound = dropInvalidStays(problem, &plan)
            return [sound ? 0 : 1] + Self.score(problem, plan, maxMoves: options.maxMoves)
        }
        var pending = plan.unscheduled
        let firstScore = settle(&plan)
        var best = (plan: plan, score: firstScore)
        var rounds = 0
        while let current = problem.current, !pending.isEmpty, rounds < 3 {
            for m in pending {
                // Stay where it runs when that host may keep it; otherwise it stops.
                if let h = current[m.instance], problem.hosts[h].state != .draining {
                    stay[m.instance] = h
                } else {
                    stay[m.instance] = Int(ProblemIndex.excluded)
                }
            }
            rounds += 1
            // Each round gets half the time limit again: with none left, the improvement
            // would not run and the fleet would stay where it runs.
            let roundStart = elapsed()
            var roundOptions = options
            roundOptions.timeLimit = options.timeLimit / 2
            plan = Self.plan(
                problem, options: roundOptions, stay: stay, elapsed: { elapsed() - roundStart }, progress: progress)
            pending = plan.unscheduled
            let score = settle(&plan)
            if score.lexicographicallyPrecedes(best.score) { best = (plan, score) }
        }
        plan = best.plan
        // The budget counts every move; when the forced ones alone exceed it, no other is added.
        if let cap = options.maxMoves, problem.current != nil {
            let moves = problem.moves(to: plan.assignment)
            if moves > cap {
                plan.notes.append(
                    "\(moves) moves exceed the move budget of \(cap): they are forced (instances on draining hosts, or breaking a rule where they run now) and no other move was added"
                )
            }
        }
        return plan
    }

    /// Whether a from-scratch packing of a running fleet may keep within `cap` moves: a plan on
    /// k hosts moves at least the running instances outside the k hosts that run the most now,
    /// and a from-scratch packing uses about a quarter more hosts than the bound.
    static func scratchMayFit(_ problem: Problem, bound: Int, cap: Int) -> Bool {
        guard let current = problem.current else { return true }
        var count = [Int](repeating: 0, count: problem.hosts.count)
        var running = 0
        for case let h? in current {
            count[h] += 1
            running += 1
        }
        count.sort(by: >)
        return running - count.prefix(bound + bound / 4).reduce(0, +) <= cap
    }

    /// How a finished plan ranks (lower is better): moves over the budget, unplaced instances,
    /// hosts used, moves.
    static func score(_ problem: Problem, _ plan: Plan, maxMoves: Int?) -> [Int] {
        let moves = problem.current == nil ? 0 : problem.moves(to: plan.assignment)
        var used = [Bool](repeating: false, count: problem.hosts.count)
        var unplaced = 0
        for h in plan.assignment {
            if h >= 0 { used[h] = true } else { unplaced += 1 }
        }
        return [max(0, moves - (maxMoves ?? moves)), unplaced, used.lazy.filter { $0 }.count, moves]
    }

    /// Whether moved instance `i` may instead stay where it runs through every wave and stop
    /// after the last: no later wave brings anything to its host (their loads and rules were
    /// checked with it gone), and its service's skew, replayed wave by wave with it staying
    /// (and without the `withdrawn` moves), never grows past max(1, before) where its service
    /// moves.
    static func mayStayUntilEnd(
        _ i: Int, problem: Problem, index: ProblemIndex, waves: [[Move]], withdrawn: Set<Int>
    ) -> Bool {
        guard let current = problem.current, let from = current[i],
            let w = waves.firstIndex(where: { $0.contains { $0.instance == i } })
        else { return false }
        for later in waves[(w + 1)...] where later.contains(where: { $0.to == from }) { return false }
        let s = Int(index.serviceOfInstance[i])
        let key = index.domainKeyOfService[s]
        guard key >= 0 else { return true }
        let eligible = index.eligibleDomains[s]
        guard !eligible.isEmpty else { return true }
        let lo = problem.instanceOffset[s]
        let hi = problem.instanceOffset[s + 1]
        var count = [Int](repeating: 0, count: index.domainCount[Int(key)])
        func add(_ h: Int?, _ delta: Int) {
            guard let h else { return }
            let d = index.hostDomain[Int(key)][h]
            if d >= 0 { count[Int(d)] += delta }
        }
        func skew() -> Int {
            let c = eligible.map { count[Int($0)] }
            return c.max()! - c.min()!
        }
        for j in lo..<hi { add(current[j], 1) }
        for wave in waves {
            let mine = wave.filter { (lo..<hi).contains($0.instance) && $0.instance != i && !withdrawn.contains($0.instance) }
            guard !mine.isEmpty else { continue }
            let before = skew()
            for m in mine {
                add(m.from, -1)
                add(m.to, 1)
            }
            if skew() > max(1, before) { return false }
        }
        return true
    }

    /// Instances left where they run (moves that could not be ordered) on a host where a rule
    /// now breaks are stopped rather than kept in breach: they are listed as unplaced. A spread
    /// that leaves uneven is evened by leaving out starts, then stopping stays, then withdrawing
    /// moves (`mayStayUntilEnd`). Returns false when a spread stays uneven all the same: the
    /// planner then prefers another round's plan.
    @discardableResult
    static func dropInvalidStays(_ problem: Problem, _ plan: inout Plan) -> Bool {
        guard problem.current != nil else { return true }
        var moved = Set<Int>()
        var starts = Set<Int>()
        for wave in plan.waves {
            for m in wave {
                moved.insert(m.instance)
                if m.from == nil { starts.insert(m.instance) }
            }
        }
        let index = ProblemIndex(problem)
        var state = PlacementState(problem: problem, index: index)
        var order = plan.assignment.indices.filter { plan.assignment[$0] >= 0 }
        // Everything the waves put in place first, then what stays, so a stay is what gives way.
        order.sort { (moved.contains($0) ? 0 : 1, $0) < (moved.contains($1) ? 0 : 1, $1) }
        var dropped = [Int]()
        var notStarted = [Int]()
        var notMoved = [Int]()
        var sound = true
        for i in order {
            let h = plan.assignment[i]
            let s = Int(index.serviceOfInstance[i])
            if !moved.contains(i), state.rejection(service: s, host: h, pinned: true, ignoreSkew: true) != nil {
                dropped.append(i)
                continue
            }
            state.place(i, on: h)
        }
        // Stays also must not leave a spread service skewed by more than one.
        for (s, svc) in problem.services.enumerated() where svc.spread.isDomainBalanced {
            let eligible = index.eligibleDomains[s]
            guard !eligible.isEmpty else { continue }
            while true {
                let load = state.domainLoad(ofService: s)
                let counts = eligible.map { load[Int($0)] }
                guard let hi = counts.max(), let lo = counts.min(), hi - lo > 1 else { break }
                let crowded = Set(eligible.filter { load[Int($0)] == hi })
                let crowdedHere = (problem.instanceOffset[s]..<problem.instanceOffset[s + 1]).filter { i in
                    let h = state.assignment[i]
                    return h >= 0 && crowded.contains(state.domain(ofService: s, host: h)) && index.pinnedHost[i] < 0
                }
                // An instance the waves would start first: it does not run yet, so leaving it
                // out stops nothing and changes no other move of the waves. Then a stay.
                if let victim = crowdedHere.first(where: { starts.contains($0) }) {
                    state.remove(victim)
                    notStarted.append(victim)
                } else if let victim = crowdedHere.first(where: { !moved.contains($0) }) {
                    state.remove(victim)
                    dropped.append(victim)
                } else if let victim = crowdedHere.first(where: {
                    // Only moves are left here (no start, no stay).
                    Self.mayStayUntilEnd(
                        $0, problem: problem, index: index, waves: plan.waves, withdrawn: Set(notStarted + notMoved))
                }) {
                    state.remove(victim)
                    notMoved.append(victim)
                } else {
                    sound = false
                    break
                }
            }
        }
        guard !dropped.isEmpty || !notStarted.isEmpty || !notMoved.isEmpty else { return sound }
        for i in dropped + notStarted + notMoved {
            plan.assignment[i] = -1
            let s = Int(index.serviceOfInstance[i])
            plan.unplaced.append(UnplacedInstance(instance: i, reasons: state.rejections(forService: s)))
        }
        plan.unplaced.sort { $0.instance < $1.instance }
        if !dropped.isEmpty {
            let n = dropped.count
            plan.notes.append(
                "\(n) running instance\(n == 1 ? "" : "s") \(n == 1 ? "breaks" : "break") a rule where \(n == 1 ? "it runs" : "they run") and could not be moved safely: \(n == 1 ? "it stops" : "they stop")"
            )
        }
        if !notStarted.isEmpty || !notMoved.isEmpty {
            let gone = Set(notStarted + notMoved)
            plan.waves = plan.waves.map { $0.filter { !gone.contains($0.instance) } }.filter { !$0.isEmpty }
        }
        if !notMoved.isEmpty {
            plan.notes.append(
                "\(notMoved.count) running instance\(notMoved.count == 1 ? " stays where it runs" : "s stay where they run") until the waves end, then \(notMoved.count == 1 ? "stops" : "stop"): with the running instances that had to stop, moving \(notMoved.count == 1 ? "it" : "them") would leave a spread uneven"
            )
        }
        if !notStarted.isEmpty {
            plan.notes.append(
                "\(notStarted.count) instance\(notStarted.count == 1 ? " that does not run yet is" : "s that do not run yet are") not started: with the running instances that had to stop, \(notStarted.count == 1 ? "it" : "they") would leave a spread uneven"
            )
        }
        return sound
    }

    static func plan(
        _ problem: Problem, options: PlannerOptions, stay: [Int: Int],
        elapsed: () -> Double, progress: (PlannerProgress) -> Void
    ) -> Plan {
        let index = ProblemIndex(problem, stay: stay)
        let scales = Scales(problem)
        let bound = LowerBounds.compute(problem)
        // The energy objective ranks hosts with the same power model the carbon estimate uses.
        let power = CarbonModel(problem: problem)
        let watts: (Int) -> Double = { h in power.maxWatts[h] }
        let order = HostOrder.priority(problem, scales: scales, watts: watts)
        let construction = Construction(problem: problem, index: index, scales: scales, order: order)
        func report(_ phase: String, _ used: Int) {
            progress(PlannerProgress(phase: phase, hostsUsed: used, lowerBound: bound.value))
        }
        // Deadlines are in planning time (work done, see WorkClock), so a seed replays on any
        // machine; the wall clock stops only a run that overshoots twice its limit.
        let clock = WorkClock(
            hardStop: options.timeLimit * 2 + 0.5, hosts: problem.hosts.count, dimensions: problem.dimensions.count)
        func expired(_ deadline: Double) -> Bool { clock.expired(deadline, wall: elapsed()) }
        /// Construction passes are charged by size (they run to the end either way): first fit
        /// searches host trees, best fit scans the hosts.
        let dims = problem.dimensions.count
        func chargeConstruction(firstFit: Int, bestFitWork: Int = 0) {
            clock.charge(problem.instanceCount * dims * 35 * firstFit + bestFitWork * Self.bestFitUnits)
        }

        /// Instances a running fleet's state leaves unplaced (not running yet, or on a host that
        /// must let them go) get another chance: first fit on the hosts in use or free, then
        /// (an exclusive tenant with a selector, say, whose hosts all run something) the
        /// emptiest hosts they could take are emptied for them, within the move budget, a few
        /// tries per instance.
        func placeLeftovers(_ state: inout PlacementState, _ trees: inout TreeSet) {
            guard Self.unplacedCount(state) > 0 else { return }
            let filled = construction.run(key: .dominantShare, start: state)
            chargeConstruction(firstFit: 1)
            if Self.unplacedCount(filled.0) < Self.unplacedCount(state) { (state, trees) = filled }
            var improvement = Improvement(
                problem: problem, scales: scales, idleWatts: power.idleWatts, maxMoves: options.maxMoves,
                seed: options.seed)
            improvement.clock = clock
            var failedServices = Set<Int>()
            var attempts = 0
            var emptying = improvement.emptying(state)
            for i in state.assignment.indices
            where state.assignment[i] < 0 && index.pinnedHost[i] != ProblemIndex.excluded {
                let s = Int(index.serviceOfInstance[i])
                guard !failedServices.contains(s) else { continue }
                var tried = Set<Int>()
                while state.assignment[i] < 0, tried.count < 4, attempts < 256 {
                    clock.charge(8 * problem.hosts.count)
                    let load = state.domainLoad(ofService: s)
                    let candidates = problem.hosts.indices.filter { h in
                        guard state.hostCount[h] > 0, index.hostState[h] == .active, state.exclusiveOwner[h] < 0,
                            !tried.contains(h),
                            !index.hasSelector[s]
                                || ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[h].labels)
                        else { return false }
                        guard index.domainKeyOfService[s] >= 0 else { return true }
                        let d = state.domain(ofService: s, host: h)
                        return d >= 0 && (load.isEmpty || state.domainAccepts(service: s, domain: d))
                    }
                    // A host in use with room first (a tenant moved away may have left one).
                    if let h = candidates.first(where: { state.rejection(service: s, host: $0) == nil }) {
                        state.place(i, on: h)
                        trees.refresh(host: h, state: state)
                        emptying.placed(i, on: h)
                        break
                    }
                    guard let h = candidates.min(by: { (state.hostCount[$0], $0) < (state.hostCount[$1], $1) }) else {
                        // Only tenants' hosts could take it: move a tenant to a free host.
                        if tried.isEmpty, relocateTenant(for: i, service: s, &state, &trees) { emptying = improvement.emptying(state) }
                        break
                    }
                    tried.insert(h)
                    attempts += 1
                    // A host emptied and then not taken is still a host freed.
                    guard improvement.empty(h, state: &state, trees: &trees, context: &emptying, expired: { false }),
                        state.rejection(service: s, host: h) == nil
                    else { continue }
                    state.place(i, on: h)
                    trees.refresh(host: h, state: state)
                    emptying.placed(i, on: h)
                }
                if state.assignment[i] < 0 { failedServices.insert(s) }
            }
        }

        /// Places unplaced instance `i` of service `s` on a host an exclusive tenant holds alone
        /// (its whole content fitting on one free host, where it goes), when a selector leaves
        /// `i` nothing else: a tenant placed first may have taken the one host others need. Only
        /// without a move budget (the tenant's moves would count). False leaves the state as is.
        func relocateTenant(for i: Int, service s: Int, _ state: inout PlacementState, _ trees: inout TreeSet) -> Bool {
            guard options.maxMoves == nil else { return false }
            clock.charge(16 * problem.hosts.count)
            var onHost = [Int: [Int]]()
            for (x, h) in state.assignment.enumerated() where h >= 0 && state.exclusiveOwner[h] >= 0 && index.pinnedHost[x] < 0 {
                onHost[h, default: []].append(x)
            }
            let free = order.filter { state.hostCount[$0] == 0 }
            for (h, tenants) in onHost.sorted(by: { $0.key < $1.key }) {
                guard index.hostState[h] == .active,
                    !index.hasSelector[s]
                        || ProblemIndex.matches(selector: problem.services[s].selector, labels: problem.hosts[h].labels)
                else { continue }
                let t = Int(index.serviceOfInstance[tenants[0]])
                for x in free {
                    for y in tenants { state.remove(y) }
                    var moved = [Int]()
                    for y in tenants where state.rejection(service: t, host: x) == nil {
                        state.place(y, on: x)
                        moved.append(y)
                    }
                    if moved.count == tenants.count, state.rejection(service: s, host: h) == nil {
                        state.place(i, on: h)
                        trees.refresh(host: x, state: state)
                        trees.refresh(host: h, state: state)
                        return true
                    }
                    for y in moved { state.remove(y) }
                    for y in tenants { state.place(y, on: h) }
                }
            }
            return false
        }

        /// `assignment` with its hosts renamed and instances sent home (`homed`), then moves cut
        /// further by the stay search until planning time `end`: the target (before `ReturnHome`)
        /// and the result, whichever of the stay search's and `ReturnHome`'s moves fewer.
        func cutMoves(_ assignment: [Int], seed: UInt64, until end: Double) -> (aligned: [Int], cut: [Int]) {
            let (aligned, homed) = Self.homed(problem, index: index, assignment)
            var stays = StaySearch(problem: problem, index: index, scales: scales, seed: seed)
            stays.clock = clock
            let searched = MigrationScheduler.alignInstances(
                problem, target: stays.run(assignment: homed, expired: { expired(end) }))
            return (aligned, problem.moves(to: searched) < problem.moves(to: homed) ? searched : homed)
        }

        var state: PlacementState
        var trees: TreeSet
        var baseline: PlacementState?
        var altStart: (PlacementState, TreeSet)?
        if problem.current != nil {
            // Start from where instances run now: they stay unless the improvement phase
            // empties their host. Instances that cannot stay (draining host, broken rule, not
            // running yet) are placed first fit.
            let start = currentStart(problem, index: index)
            (state, trees) = construction.run(key: .dominantShare, start: start)
            chargeConstruction(firstFit: 2)
            baseline = state
            // Under a move budget, before the improvement spends it on hosts (placing an
            // instance ranks first); without one, the improvement frees hosts anyway.
            if options.maxMoves != nil, !options.constructionOnly { placeLeftovers(&state, &trees) }
            // A spread-out fleet: start instead from the fullest hosts kept, when that frees
            // hosts within the move budget (see MoveAwareStart).
            // Both starts are improved below; the better one wins (hosts, then moves).
            if let alt = MoveAwareStart.run(
                problem: problem, index: index, scales: scales, order: order, construction: construction),
                options.maxMoves.map({ MoveAwareStart.moves(problem, alt.0) <= $0 }) ?? true
            {
                altStart = alt
            }
        } else {
            (state, trees) = Self.fromScratch(problem, construction: construction) { chargeConstruction(firstFit: $0, bestFitWork: $1) }
        }
        report("construction", state.hostsUsed)

        var notes = [String]()
        if !options.constructionOnly {
            let deadline = options.timeLimit
            var improvement = Improvement(
                problem: problem, scales: scales, idleWatts: power.idleWatts, maxMoves: options.maxMoves,
                seed: options.seed)
            improvement.clock = clock
            /// The tabu pool search (see PoolSearch) on a state until planning time `end`.
            func poolSearch(
                _ state: inout PlacementState, _ trees: inout TreeSet, until end: Double, moveCap: Int? = nil,
                progress: (Int) -> Void
            ) {
                var search = PoolSearch(problem: problem, scales: scales, idleWatts: power.idleWatts, seed: options.seed)
                search.clock = clock
                search.run(
                    state: &state, trees: &trees, lowerBound: bound.value,
                    iterationCap: Self.poolIterations(timeLimit: deadline, instances: problem.instanceCount),
                    moveCap: moveCap, expired: { expired(end) }, progress: progress)
            }
            // Randomized restarts (GRASP-style, at most 64) while time remains on inputs where a
            // construction is cheap: sort weights jittered by up to ±15 %, first fit and best fit
            // in turn, each improved in turn; the best state wins. Seeded, so runs replay.
            func restarts(
                _ state: inout PlacementState, _ trees: inout TreeSet, improver: inout Improvement,
                alsoWhileUnplaced: Bool = false, progress: (Int, Int) -> Void
            ) {
                var rng = SplitMix64(seed: options.seed ^ 0x5DEE_CE66_D1CE_4E5B)
                var round = 0
                while round < 64, !expired(deadline),
                    state.hostsUsed > bound.value || (alsoWhileUnplaced && Self.unplacedCount(state) > 0)
                {
                    round += 1
                    let jitter = problem.services.indices.map { _ in
                        0.85 + 0.3 * Double(rng.next() >> 11) / Double(1 << 53)
                    }
                    let key = Scales.SortKey.allCases[round % Scales.SortKey.allCases.count]
                    var bestFitWork = 0
                    var candidate =
                        round % 2 == 0
                        ? construction.run(key: key, jitter: jitter)
                        : construction.runBestFit(key: key, jitter: jitter, work: &bestFitWork)
                    chargeConstruction(firstFit: round % 2 == 0 ? 1 : 0, bestFitWork: bestFitWork)
                    let slice = min(deadline, clock.now + max(0.05, deadline / 20))
                    improver.run(
                        state: &candidate.0, trees: &candidate.1, lowerBound: bound.value,
                        expired: { expired(slice) }, progress: { _ in })
                    if Self.better(candidate.0, than: state) {
                        (state, trees) = candidate
                        progress(round, state.hostsUsed)
                    }
                }
            }
            // With a running fleet, half the time goes to improving the move-aware start and
            // half to a from-scratch plan: fewest hosts come first, then fewest moves. A fleet
            // spread out over 1.5× the hosts of its lower bound or more is consolidated by the
            // from-scratch plan (its moves are then cut by relabelling and ReturnHome), which
            // then gets four fifths.
            let spreadOut = state.hostsUsed * 2 >= bound.value * 3
            // Under a move budget, a from-scratch packing is built only when a plan on about as
            // many hosts as it would use (a quarter above the bound) could keep within the
            // budget: any plan on k hosts moves at least the running instances outside the k
            // hosts that run the most now. Its time then goes to the running fleet's plan, and
            // the shares count from now (placing leftovers may have taken some).
            let budgeted = options.maxMoves != nil && problem.current != nil
            let scratchPlanned = problem.current != nil && (!budgeted || Self.scratchMayFit(problem, bound: bound.value, cap: options.maxMoves!))
            let share = scratchPlanned ? (spreadOut ? 0.2 : 0.5) : 0.5
            let moveAwareDeadline =
                problem.current == nil ? deadline
                : budgeted ? clock.now + (deadline - clock.now) * share : deadline * share
            var firstDeadline = altStart != nil ? moveAwareDeadline / 2 : moveAwareDeadline
            // From scratch, the descent gets a share of the time; the tabu pool search below
            // does better with the rest.
            if problem.current == nil {
                firstDeadline = deadline * Self.descentShare(instances: problem.instanceCount)
            }
            // The lower bound is for placing every instance: with instances unplaced, reaching it
            // proves nothing, so this first descent goes on (it stops by itself when a pass frees
            // no host). The later phases, which would take the whole time limit on such inputs,
            // still stop at the bound.
            improvement.run(
                state: &state, trees: &trees, lowerBound: Self.unplacedCount(state) > 0 ? 0 : bound.value,
                expired: { expired(firstDeadline) }, progress: { report("improvement", $0) })
            if var alt = altStart {
                improvement.run(
                    state: &alt.0, trees: &alt.1, lowerBound: bound.value,
                    expired: { expired(moveAwareDeadline) }, progress: { report("improvement", $0) })
                let sameHosts = !Self.better(state, than: alt.0) && !Self.better(alt.0, than: state)
                if Self.better(alt.0, than: state)
                    || (sameHosts && problem.moves(to: alt.0.assignment) < problem.moves(to: state.assignment))
                {
                    (state, trees) = alt
                }
            }
            // Also when the running fleet's plan leaves instances unplaced: a packing that does
            // not start from where they run may place more of them.
            if scratchPlanned, state.hostsUsed > bound.value || Self.unplacedCount(state) > 0 {
                var scratch = Self.fromScratch(problem, construction: construction) { chargeConstruction(firstFit: $0, bestFitWork: $1) }
                // Packed as if nothing ran yet: the descent then picks victims by load, not by
                // how few instances they run now (which would trade hosts for moves here).
                var empty = problem
                empty.current = nil
                var scratchImprovement = Improvement(
                    problem: empty, scales: scales, idleWatts: power.idleWatts, maxMoves: nil, seed: options.seed)
                scratchImprovement.clock = clock
                // The descent for its from-scratch share of the time left, then the pool search.
                let descentEnd =
                    clock.now + max(0, deadline - clock.now) * Self.descentShare(instances: problem.instanceCount)
                scratchImprovement.run(
                    state: &scratch.0, trees: &scratch.1, lowerBound: bound.value,
                    expired: { expired(descentEnd) }, progress: { _ in })
                // With a move budget, a from-scratch packing that moves more than it allows once
                // renamed and sent home is dropped here: packing it further would only add moves,
                // and the time left goes to the running fleet's plan within the budget (below).
                let scratchFits =
                    options.maxMoves.map { problem.moves(to: Self.homed(problem, index: index, scratch.0.assignment).homed) <= $0 }
                    ?? true
                if scratchFits, scratch.0.hostsUsed > bound.value {
                    poolSearch(&scratch.0, &scratch.1, until: deadline) { _ in }
                }
                // When the running fleet's plan leaves instances unplaced, what the pool search
                // leaves (it stops at its iteration cap) goes to restarts, as from scratch.
                // Otherwise it goes back to the running fleet's plan (below).
                if problem.instanceCount <= 5_000, Self.unplacedCount(state) > 0 {
                    restarts(&scratch.0, &scratch.1, improver: &scratchImprovement, alsoWhileUnplaced: true) { _, _ in }
                }
                if scratchFits, Self.better(scratch.0, than: state) {
                    // With a move budget, only when it keeps within it once hosts are renamed and
                    // instances sent home as the plan's last steps will (counted only then: at
                    // 100k instances each count is a quarter of a second).
                    let withinBudget =
                        options.maxMoves.map { problem.moves(to: Self.homed(problem, index: index, scratch.0.assignment).homed) <= $0 }
                        ?? true
                    if withinBudget {
                        (state, trees) = scratch
                        notes.append(
                            "a from-scratch packing needs fewer hosts than consolidating in place; hosts are renamed and instances sent back where they run to keep moves down")
                    }
                }
            }
            // Time the from-scratch packing left (it may stop early at the bound, or fail to
            // place everything on a fleet that is nearly full) goes to the running fleet's best
            // state: the descent, then the tabu pool search (with a move budget, checked on
            // every host it frees). With a budget, a third of it is kept for the rounds below.
            if problem.current != nil, state.hostsUsed > bound.value, !expired(deadline) {
                let end = budgeted ? clock.now + (deadline - clock.now) * 2 / 3 : deadline
                // The pool search leaves hosts of many instances to the descent.
                let poolHelps = problem.instanceCount <= state.hostsUsed * PoolSearch.maxVictimInstances
                let descentEnd = poolHelps ? clock.now + (end - clock.now) / 2 : end
                improvement.run(
                    state: &state, trees: &trees, lowerBound: bound.value,
                    expired: { expired(descentEnd) }, progress: { report("improvement", $0) })
                if poolHelps, state.hostsUsed > bound.value {
                    let before = (state, trees)
                    poolSearch(&state, &trees, until: end, moveCap: options.maxMoves) { report("pool search", $0) }
                    if Self.better(before.0, than: state) { (state, trees) = before }
                }
            }
            // With a move budget the descent stops where the next host would cost more moves
            // than are left; but the moves it counts include instances the renaming and the
            // stay search would bring back. Rounds of both give moves back to the budget, and
            // the descent spends them on more hosts.
            var round = 0
            while budgeted, state.hostsUsed > bound.value, !expired(deadline), round < 8 {
                round += 1
                let moves = problem.moves(to: state.assignment)
                let cut = cutMoves(
                    state.assignment, seed: options.seed &+ UInt64(round), until: clock.now + (deadline - clock.now) / 3
                ).cut
                clock.charge(40 * problem.instanceCount)
                guard problem.moves(to: cut) < moves else { break }
                var rebuilt = PlacementState(problem: problem, index: index)
                for (i, h) in cut.enumerated() where h >= 0 { rebuilt.place(i, on: h) }
                var next = construction.run(key: .dominantShare, start: rebuilt)
                chargeConstruction(firstFit: 1)
                improvement.run(
                    state: &next.0, trees: &next.1, lowerBound: bound.value,
                    expired: { expired(deadline) }, progress: { report("improvement", $0) })
                guard Self.better(next.0, than: state) else { break }
                (state, trees) = next
            }
            // Tabu pool search on the best state so far (see PoolSearch): it walks out of the
            // local optima the descent stops in.
            if problem.current == nil, state.hostsUsed > bound.value {
                let before = (state, trees)
                let poolDeadline = min(deadline, clock.now + deadline * Self.poolShare)
                poolSearch(&state, &trees, until: poolDeadline) { report("pool search", $0) }
                if Self.better(before.0, than: state) { (state, trees) = before }
            }
            if problem.current == nil, problem.instanceCount <= 5_000 {
                restarts(&state, &trees, improver: &improvement) { report("restart \($0)", $1) }
            }
        }

        if !options.constructionOnly { placeLeftovers(&state, &trees) }
        if let baseline, options.minHostsFreed > 0 {
            let freed = baseline.hostsUsed - state.hostsUsed
            if freed < options.minHostsFreed {
                // The baseline is the current placement with only what it forces changed
                // (instances on draining hosts or breaking a rule, instances not running yet).
                let forced = problem.moves(to: baseline.assignment) > 0
                    || zip(problem.current ?? [], baseline.assignment).contains { $0 != nil && $1 < 0 }
                    || baseline.assignment.indices.contains { problem.current?[$0] == nil && baseline.assignment[$0] >= 0 }
                let hosts = "\(freed) host\(freed == 1 ? "" : "s")"
                notes.append(
                    forced
                        ? "consolidation would free \(hosts) more than the changes the current placement forces (< --min-hosts-freed \(options.minHostsFreed)): only those changes are planned"
                        : "consolidation would free \(hosts) (< --min-hosts-freed \(options.minHostsFreed)): keeping the current placement"
                )
                state = baseline
            }
        }
        if clock.overran {
            notes.append(
                "the wall clock (2 × the time limit + 0.5 s) stopped the search before its work budget: this machine is slower or busier than the reference, and a rerun may give another plan"
            )
        }
        var plan = finish(state: &state, bound: bound)
        plan.notes += notes
        if problem.current != nil {
            // Hosts renamed to keep the most instances where they run, or onto the hosts that
            // run the most instances now (more for ReturnHome to bring back): whichever moves
            // fewer once instances are renumbered and sent back where they can.
            // Then the stay search cuts moves further at the same hosts (see StaySearch), with
            // its own share of the time on top of the limit: taken from the packing, it would
            // cost hosts on fleets whose from-scratch packing needs all of it.
            var (aligned, homed) =
                options.constructionOnly
                ? Self.homed(problem, index: index, plan.assignment)
                : cutMoves(plan.assignment, seed: options.seed, until: clock.now + options.timeLimit * Self.stayShare)
            // Fewer moves leave kept hosts fuller while the waves run. When that stops the
            // scheduler from ordering every move, the hosts of those moves keep the content the
            // target before ReturnHome gives them and the rest is sent home again (a few
            // rounds); failing that, the target before ReturnHome is scheduled when it leaves
            // fewer such moves.
            var schedule = MigrationScheduler.schedule(problem, target: homed)
            var latest = schedule
            var frozen = Set<Int>()
            var rounds = 0
            while !schedule.unscheduled.isEmpty, rounds < 4 {
                rounds += 1
                for m in latest.unscheduled {
                    frozen.insert(m.to)
                    if let from = m.from { frozen.insert(from) }
                }
                let again = ReturnHome.run(problem, index: index, assignment: aligned, frozen: frozen)
                latest = MigrationScheduler.schedule(problem, target: again)
                if latest.unscheduled.count < schedule.unscheduled.count { (homed, schedule) = (again, latest) }
            }
            if schedule.unscheduled.isEmpty {
                aligned = homed
            } else {
                let plain = MigrationScheduler.schedule(problem, target: aligned)
                if plain.unscheduled.count <= schedule.unscheduled.count {
                    schedule = plain
                } else {
                    aligned = homed
                }
            }
            // Instances the plan cannot place validly stop (they are listed as unplaced), rather
            // than keep running where a rule is broken; moves the scheduler could not order
            // leave their instance where the last wave left it.
            var final = schedule.finalAssignment
            for i in schedule.kept { final[i] = aligned[i] }
            // Running instances the plan cannot place (no host may take them) stop before the
            // first wave, which may then use their room.
            let stops = schedule.kept.filter { final[$0] < 0 }.count
            if stops > 0 {
                plan.notes.append(
                    "\(stops) running instance\(stops == 1 ? "" : "s") that no host may take stop\(stops == 1 ? "s" : "") before the first wave (listed as unplaced, with reasons)"
                )
            }
            plan.assignment = final
            plan.unscheduled = schedule.unscheduled
            plan.waves = schedule.waves
            plan.spareHosts = schedule.spareHosts
            plan.notes += schedule.notes
            // Unplaced entries follow the final assignment (instances kept running are placed).
            let placedNow = Set(plan.assignment.indices.filter { plan.assignment[$0] >= 0 })
            plan.unplaced.removeAll { placedNow.contains($0.instance) }
            let listed = Set(plan.unplaced.map(\.instance))
            // Instances left out after the waves get their reasons from the final placement.
            let missing = plan.assignment.indices.filter { plan.assignment[$0] < 0 && !listed.contains($0) }
            if !missing.isEmpty {
                var placed = PlacementState(problem: problem, index: index)
                for (i, h) in plan.assignment.enumerated() where h >= 0 { placed.place(i, on: h) }
                for i in missing {
                    let s = Int(index.serviceOfInstance[i])
                    plan.unplaced.append(UnplacedInstance(instance: i, reasons: placed.rejections(forService: s)))
                }
            }
            plan.unplaced.sort { $0.instance < $1.instance }
        }
        report("done", Set(plan.assignment.filter { $0 >= 0 }).count)
        return plan
    }

    /// The best of several constructions from an empty fleet: first fit under every sort key
    /// (one key above 20,000 instances), and best fit in sorted and inventory order up to 5,000.
    /// `charge` is told how many first-fit passes ran and the best-fit passes' work.
    static func fromScratch(
        _ problem: Problem, construction: Construction, charge: (_ firstFit: Int, _ bestFitWork: Int) -> Void
    ) -> (PlacementState, TreeSet) {
        let keys: [Scales.SortKey] = problem.instanceCount <= 20_000 ? Scales.SortKey.allCases : [.dominantShare]
        var best: (PlacementState, TreeSet)?
        for key in keys {
            let candidate = construction.run(key: key)
            if best == nil || Self.better(candidate.0, than: best!.0) { best = candidate }
        }
        var bestFitWork = 0
        if problem.instanceCount <= 5_000 {
            for key in [nil] + Scales.SortKey.allCases.map(Optional.some) {
                let candidate = construction.runBestFit(key: key, work: &bestFitWork)
                if Self.better(candidate.0, than: best!.0) { best = candidate }
            }
        }
        charge(keys.count, bestFitWork)
        return best!
    }

    /// Planning-time units per unit of best-fit work (a host looked at, or one dimension of
    /// its score): such a unit took 9–25 ns on the reference machine (see the ROADEF notes
    /// in `benchmarks/README.md`).
    static let bestFitUnits = 2

    /// The plan's last steps on an assignment: hosts renamed (by overlap, or onto the crowded
    /// hosts, whichever ends with fewer moves) and instances renumbered (`aligned`), then moved
    /// instances sent back where they run (`homed`).
    static func homed(_ problem: Problem, index: ProblemIndex, _ assignment: [Int]) -> (aligned: [Int], homed: [Int]) {
        var best: (aligned: [Int], homed: [Int])?
        var fewest = Int.max
        for crowded in [false, true] {
            let renamed = HostRelabel.relabel(problem, index: index, assignment: assignment, crowded: crowded)
            let aligned = MigrationScheduler.alignInstances(problem, target: renamed)
            let returned = ReturnHome.run(problem, index: index, assignment: aligned)
            let moves = problem.moves(to: returned)
            if moves < fewest {
                (best, fewest) = ((aligned, returned), moves)
            }
        }
        return best!
    }

    /// Share of the time limit the stay search gets on a running fleet, after the packing's
    /// time (see `StaySearch`). At 0.3 it ran out of time on fleets packed near full; 0.5 costs
    /// about 0.4 s more wall time on a 10k fleet (`benchmarks/README.md`).
    static let stayShare = 0.5
    /// Share of the time limit the tabu pool search gets before the randomized restarts.
    static let poolShare = 0.9
    /// Iterations the pool search may make in all (a bound besides the planning-time clock,
    /// which alone decides when most searches stop).
    static func poolIterations(timeLimit: Double, instances: Int) -> Int {
        Int(min(timeLimit, 600) * 50_000) + 100 * instances
    }

    /// Share of the time limit the descent gets on from-scratch inputs: a fifth up to 5,000
    /// instances; more above, where the pool search only samples hosts and the descent's
    /// host trees scale better.
    static func descentShare(instances: Int) -> Double { instances <= 5_000 ? 0.2 : 0.6 }

    /// The current placement as a starting state: every running instance whose host may keep
    /// it (pinned on a cordoned host, or on an active host with every rule holding).
    static func currentStart(_ problem: Problem, index: ProblemIndex) -> PlacementState {
        var state = PlacementState(problem: problem, index: index)
        state.placePinned()
        guard let current = problem.current else { return state }
        for (i, h) in current.enumerated() {
            guard let h, state.assignment[i] < 0, problem.hosts[h].state == .active,
                index.pinnedHost[i] != ProblemIndex.excluded
            else { continue }
            let s = Int(index.serviceOfInstance[i])
            // Spread skew is checked on the whole service below: taken one instance at a time,
            // a valid spread (two in zone a, one in b) would lose instances on the way.
            if state.rejection(service: s, host: h, ignoreSkew: true) == nil { state.place(i, on: h) }
        }
        // A zone/label spread skewed by more than one loses instances from its fullest domains
        // (the last in instance order first) until it is even again.
        for s in problem.services.indices where index.domainKeyOfService[s] >= 0 {
            let eligible = index.eligibleDomains[s]
            guard !eligible.isEmpty else { continue }
            var placed = (problem.instanceOffset[s]..<problem.instanceOffset[s + 1]).filter {
                state.assignment[$0] >= 0 && index.pinnedHost[$0] < 0
            }
            while true {
                let load = state.domainLoad(ofService: s)
                let counts = eligible.map { load[Int($0)] }
                guard let hi = counts.max(), let lo = counts.min(), hi - lo > 1,
                    let k = placed.lastIndex(where: { load[Int(state.domain(ofService: s, host: state.assignment[$0]))] == hi })
                else { break }
                state.remove(placed.remove(at: k))
            }
        }
        return state
    }

    /// Instances a state leaves unplaced.
    static func unplacedCount(_ state: PlacementState) -> Int {
        state.assignment.lazy.filter { $0 < 0 }.count
    }

    /// Fewer unplaced instances first; then, for `energy`, lower total power under the carbon
    /// model (linear curve); for `hosts` (and on equal power), fewer hosts.
    static func better(_ a: PlacementState, than b: PlacementState) -> Bool {
        let ua = unplacedCount(a)
        let ub = unplacedCount(b)
        if ua != ub { return ua < ub }
        if a.problem.policy.objective == .energy {
            let model = CarbonModel(problem: a.problem)
            let wa = watts(a, model)
            let wb = watts(b, model)
            if abs(wa - wb) > 1e-6 { return wa < wb }
        }
        return a.hostsUsed < b.hostsUsed
    }

    /// Total wall power of the hosts a state keeps on (freed hosts at `off_watts`).
    static func watts(_ state: PlacementState, _ model: CarbonModel) -> Double {
        let dims = state.index.dimensionCount
        var total = 0.0
        for h in state.problem.hosts.indices {
            let cpu = model.cpuDimension.map { state.used[h * dims + $0] } ?? 0
            total += model.hostWatts(h, cpuUsed: cpu, on: state.hostCount[h] > 0, curve: .linear)
        }
        return total
    }

    /// Turns a final state into a plan: unplaced instances get their rejection tallies.
    static func finish(state: inout PlacementState, bound: LowerBound) -> Plan {
        var unplaced = [UnplacedInstance]()
        var tallies = [Int: [Rejection: Int]]()
        for (i, h) in state.assignment.enumerated() where h < 0 {
            let s = Int(state.index.serviceOfInstance[i])
            if tallies[s] == nil { tallies[s] = state.rejections(forService: s) }
            unplaced.append(UnplacedInstance(instance: i, reasons: tallies[s]!))
        }
        return Plan(assignment: state.assignment, unplaced: unplaced, lowerBound: bound)
    }
}
