/// Placements and removals applied to a state and its host trees, recorded so that a failed
/// attempt of the improvement phases (`Improvement`, `PoolSearch`) can be rolled back and every
/// accepted state stays valid.
struct PlacementLog {
    enum Op {
        case place(Int, Int)
        case remove(Int, Int)
    }

    private(set) var ops: [Op] = []

    mutating func place(_ i: Int, on h: Int, _ s: inout PlacementState, _ t: inout TreeSet) {
        s.place(i, on: h)
        t.refresh(host: h, state: s)
        ops.append(.place(i, h))
    }

    /// Removes instance `i` from its host and returns that host.
    @discardableResult
    mutating func remove(_ i: Int, _ s: inout PlacementState, _ t: inout TreeSet) -> Int {
        let h = s.assignment[i]
        s.remove(i)
        t.refresh(host: h, state: s)
        ops.append(.remove(i, h))
        return h
    }

    /// Reverts every recorded operation, newest first; `reverted` sees each as it is undone.
    mutating func undo(_ s: inout PlacementState, _ t: inout TreeSet, reverted: (Op) -> Void = { _ in }) {
        for op in ops.reversed() {
            switch op {
            case .place(let i, let h):
                s.remove(i)
                t.refresh(host: h, state: s)
            case .remove(let i, let h):
                s.place(i, on: h)
                t.refresh(host: h, state: s)
            }
            reverted(op)
        }
        ops.removeAll()
    }

    /// Forgets the recorded operations (the attempt is accepted).
    mutating func clear() { ops.removeAll() }
}
