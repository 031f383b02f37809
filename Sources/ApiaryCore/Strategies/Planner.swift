/// Options for one planning run. Validated by the CLI; the core trusts them.
public struct PlannerOptions: Sendable, Hashable {
    /// Wall-clock budget of the improvement phase, in seconds (the caller supplies the clock).
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

/// Entry point of the planning core: construction, then improvement, then the lower bound.
///
/// Pure: the caller injects the clock (`elapsed` returns seconds since the start of the
/// run) and receives progress through a callback; the same problem, options and seed give
/// the same plan whenever the time limit is not what stops the improvement phase.
public enum Planner {
    public static func plan(
        _ problem: Problem, options: PlannerOptions = PlannerOptions(),
        elapsed: () -> Double = { 0 }, progress: (PlannerProgress) -> Void = { _ in }
    ) -> Plan {
        let index = ProblemIndex(problem)
        let scales = Scales(problem)
        let bound = LowerBounds.compute(problem)
        let watts: (Int) -> Double = { h in
            problem.hosts[h].power?.maxWatts ?? CarbonSettings.defaultMaxWatts
        }
        let order = HostOrder.priority(problem, scales: scales, watts: watts)
        let construction = Construction(problem: problem, index: index, scales: scales, order: order)
        // Several sort keys on inputs small enough to afford it; keep the best.
        let keys: [Scales.SortKey] = problem.instanceCount <= 20_000 ? Scales.SortKey.allCases : [.dominantShare]
        var best: PlacementState?
        for key in keys {
            let candidate = construction.run(key: key)
            if best == nil || Self.better(candidate, than: best!) { best = candidate }
        }
        var state = best!
        progress(PlannerProgress(phase: "construction", hostsUsed: state.hostsUsed, lowerBound: bound.value))
        _ = elapsed
        return finish(state: &state, bound: bound)
    }

    /// Fewer unplaced instances first, then fewer hosts.
    static func better(_ a: PlacementState, than b: PlacementState) -> Bool {
        let ua = a.assignment.lazy.filter { $0 < 0 }.count
        let ub = b.assignment.lazy.filter { $0 < 0 }.count
        if ua != ub { return ua < ub }
        return a.hostsUsed < b.hostsUsed
    }

    /// Turns a final state into a plan: unplaced instances get their rejection tallies.
    static func finish(state: inout PlacementState, bound: LowerBound) -> Plan {
        var unplaced = [UnplacedInstance]()
        for (i, h) in state.assignment.enumerated() where h < 0 {
            let s = Int(state.index.serviceOfInstance[i])
            unplaced.append(UnplacedInstance(instance: i, reasons: state.rejections(forService: s)))
        }
        return Plan(assignment: state.assignment, unplaced: unplaced, lowerBound: bound)
    }
}
