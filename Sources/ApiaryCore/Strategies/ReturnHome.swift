/// Cuts moves from a finished plan without using more hosts: an instance the plan moves goes
/// back to the host it runs on now when that host stays on and takes it again, directly or by
/// sending elsewhere an instance the plan moved there (to its own home when that stays on,
/// else to the first instance's place, else to a sampled host in use). Every step keeps
/// every rule (`PlacementState` checks capacity, selectors, exclusivity, the package rule, and
/// spread domains stay balanced), never opens a host, and lowers the move count by one, so the
/// pass ends.
///
/// Runs after the host renaming and instance alignment, which leave such instances behind when
/// a from-scratch packing wins: they match whole host contents, not single instances.
enum ReturnHome {
    /// - Parameter frozen: hosts whose content stays as in `assignment`: nothing is sent home
    ///   to them or displaced from them (hosts of moves the waves could not order otherwise).
    static func run(_ problem: Problem, index: ProblemIndex, assignment: [Int], frozen: Set<Int> = []) -> [Int] {
        guard let current = problem.current else { return assignment }
        var state = PlacementState(problem: problem, index: index)
        var on = [[Int]](repeating: [], count: problem.hosts.count)
        for (i, h) in assignment.enumerated() where h >= 0 {
            state.place(i, on: h)
            on[h].append(i)
        }
        func detach(_ i: Int) {
            let h = state.assignment[i]
            state.remove(i)
            if let k = on[h].firstIndex(of: i) { on[h].swapAt(k, on[h].count - 1) }
            on[h].removeLast()
        }
        func attach(_ i: Int, _ h: Int) {
            state.place(i, on: h)
            on[h].append(i)
        }
        /// Host `h` takes an instance of service `s` now: every rule, with a zone-balanced
        /// service's domain counts kept within one of each other (`PlacementState.rejection`).
        func takes(_ s: Int, _ h: Int) -> Bool { state.rejection(service: s, host: h) == nil }
        // Hosts in use (for the random sample of places an ejected instance may go).
        let used = problem.hosts.indices.filter { state.hostCount[$0] > 0 && problem.hosts[$0].state == .active }
        var rng = SplitMix64(seed: 0x4E7_0E15)
        var work = 0
        let budget = 24 * problem.instanceCount
        for _ in 0..<3 {
            var improved = false
            for i in state.assignment.indices {
                let h = state.assignment[i]
                guard h >= 0, let c = current[i], c != h, index.pinnedHost[i] < 0, state.hostCount[c] > 0,
                    problem.hosts[c].state == .active, !frozen.contains(c), !frozen.contains(h)
                else { continue }
                let s = Int(index.serviceOfInstance[i])
                detach(i)
                if takes(s, c) {
                    attach(i, c)
                    improved = true
                    continue
                }
                // Make room by sending an instance the plan moved onto c (it is away from home
                // there) elsewhere: to its own home if that stays on, else to h (a swap), else
                // to another host in use.
                var swapped = false
                var tried = 0
                for j in on[c] where index.pinnedHost[j] < 0 && current[j] != c {
                    // A few candidates per instance, and a budget over the whole pass, keep it
                    // linear on hosts with hundreds of instances.
                    tried += 1
                    work += 1
                    if tried > 32 || work > budget { break }
                    let sj = Int(index.serviceOfInstance[j])
                    detach(j)
                    if takes(s, c) {
                        attach(i, c)
                        var options = [Int]()
                        if let hj = current[j], hj != c, state.hostCount[hj] > 0, problem.hosts[hj].state == .active {
                            options.append(hj)
                        }
                        if state.hostCount[h] > 0 { options.append(h) }
                        for _ in 0..<min(4, used.count) { options.append(used[Int(rng.next() % UInt64(used.count))]) }
                        if let target = options.first(where: {
                            $0 != c && !frozen.contains($0) && state.hostCount[$0] > 0 && takes(sj, $0)
                        }) {
                            attach(j, target)
                            swapped = true
                            break
                        }
                        detach(i)
                    }
                    attach(j, c)
                }
                if swapped {
                    improved = true
                } else {
                    attach(i, h)
                }
            }
            if !improved { break }
        }
        return state.assignment
    }
}
