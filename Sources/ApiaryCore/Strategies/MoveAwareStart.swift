/// A move-aware start for consolidating a spread-out running fleet in one step: keep the
/// hosts that run the most instances now, as many as hold the capacity a from-scratch
/// construction needs, leave every instance on a kept host where it runs, and re-place the
/// rest first fit onto the kept hosts before any other.
///
/// Starting from the whole current placement, host-emptying search has to free hosts one at
/// a time; on a fleet that grew without consolidation (thousands of lightly used hosts) it
/// runs out of time long before it reaches the from-scratch host count. This start gets
/// there at once while moving only instances outside the kept hosts (which any plan on that
/// many hosts must move, up to the choice of hosts), and improvement continues from it.
enum MoveAwareStart {
    /// The start, or `nil` without a current placement.
    /// - Complexity: two constructions.
    static func run(
        problem: Problem, index: ProblemIndex, scales: Scales, order: [Int], construction: Construction
    ) -> (PlacementState, TreeSet)? {
        guard let current = problem.current else { return nil }
        let dims = problem.dimensions.count
        // Capacity to keep: the demand at the fill a from-scratch construction reaches in its
        // binding dimension (matching its capacity in every dimension would chase dimensions
        // that bind nothing, e.g. disk on a cpu-bound fleet).
        let (scratch, _) = construction.run(key: .dominantShare)
        var scratchCap = [Double](repeating: 0, count: dims)
        for h in problem.hosts.indices where scratch.hostCount[h] > 0 {
            for d in 0..<dims { scratchCap[d] += Double(problem.usable[h][d]) }
        }
        var demand = [Double](repeating: 0, count: dims)
        for svc in problem.services { for d in 0..<dims { demand[d] += Double(svc.requests[d]) * Double(svc.count) } }
        var fill = 0.0
        for d in 0..<dims where scratchCap[d] > 0 { fill = max(fill, demand[d] / scratchCap[d]) }
        let need = (0..<dims).map { d in fill > 0 ? Int64(demand[d] / fill) : 0 }
        // Largest hosts first (fewest hosts), and among hosts of one size those that run the
        // most instances now (fewest moves); active hosts only (the planner's order).
        var running = [Int](repeating: 0, count: problem.hosts.count)
        for case let h? in current { running[h] += 1 }
        var position = [Int](repeating: Int.max, count: problem.hosts.count)
        for (p, h) in order.enumerated() { position[h] = p }
        let size = problem.hosts.indices.map { scales.weight(problem.usable[$0], .sum) }
        let ranked = order.sorted {
            if size[$0] != size[$1] { return size[$0] > size[$1] }
            return running[$0] != running[$1] ? running[$0] > running[$1] : position[$0] < position[$1]
        }
        var kept = Set<Int>()
        var have = [Int64](repeating: 0, count: dims)
        for h in ranked {
            if (0..<dims).allSatisfy({ have[$0] >= need[$0] }) { break }
            kept.insert(h)
            for d in 0..<dims { have[d] += problem.usable[h][d] }
        }
        // Instances on kept hosts stay when every rule holds; pinned ones stay anyway.
        var start = PlacementState(problem: problem, index: index)
        start.placePinned()
        for (i, h) in current.enumerated() {
            guard let h, kept.contains(h), start.assignment[i] < 0,
                index.pinnedHost[i] != ProblemIndex.excluded
            else { continue }
            if start.rejection(service: Int(index.serviceOfInstance[i]), host: h) == nil { start.place(i, on: h) }
        }
        let keptFirst = order.filter { kept.contains($0) } + order.filter { !kept.contains($0) }
        let biased = Construction(problem: problem, index: index, scales: scales, order: keptFirst)
        let (state, _) = biased.run(key: .dominantShare, start: start)
        // Trees in the planner's own host order, built lazily from this state.
        return (state, TreeSet(order: order, problem: problem))
    }

    /// Instances that run now and run elsewhere in `state`.
    static func moves(_ problem: Problem, _ state: PlacementState) -> Int {
        problem.moves(to: state.assignment)
    }
}
