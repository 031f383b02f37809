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
