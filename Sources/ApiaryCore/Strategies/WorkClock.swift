/// The planner's clock: work counted by the search loops, converted to seconds at a fixed
/// rate, so deadlines fall at the same point of the search on any machine and under any load,
/// and a seed replays exactly.
///
/// The search loops charge units roughly in proportion to what they compute (hosts scanned,
/// candidate moves weighed); `rate` units make one second on the reference machine (2 cores of
/// an AMD EPYC server, release build). The wall clock only stops a run that overshoots its
/// limit by far (a much slower or overloaded machine): `overrun` then turns true, the plan
/// says so, and it may differ from a rerun.
public final class WorkClock {
    /// Units charged so far.
    public private(set) var units: Int = 0
    /// Units per second of planning time.
    public let rate: Double
    /// Wall time (seconds since the run started, read by the caller: the core does no I/O)
    /// after which every phase stops regardless of its work budget.
    let hardStop: Double
    /// True once the wall clock, not the work budget, stopped a phase.
    public private(set) var overran = false

    /// Units one placement or removal costs: the state update and the refresh of a host-tree
    /// path (32 bands × dimensions × depth, see `HostTree`).
    let placementCost: Int

    /// Units per second on the reference machine (see `benchmarks/README.md`).
    public static let referenceRate = 100_000_000.0

    public init(rate: Double = WorkClock.referenceRate, hardStop: Double, hosts: Int = 1, dimensions: Int = 1) {
        self.rate = rate
        self.hardStop = hardStop
        var depth = 1
        while 1 << depth < hosts { depth += 1 }
        placementCost = 10 + 16 * max(1, dimensions) * depth / 8
    }

    /// Charges `ops` placements and removals (twice when they were rolled back).
    func chargePlacements(_ ops: Int, rolledBack: Bool) { charge(placementCost * ops * (rolledBack ? 2 : 1)) }

    /// Planning time so far, in seconds of the reference machine.
    public var now: Double { Double(units) / rate }

    @inline(__always) func charge(_ n: Int) { units &+= n }

    /// True when a phase that ends at `deadline` (planning seconds) must stop; `wall` is the
    /// wall time now.
    func expired(_ deadline: Double, wall: Double) -> Bool {
        if now >= deadline { return true }
        if wall >= hardStop {
            overran = true
            return true
        }
        return false
    }
}
