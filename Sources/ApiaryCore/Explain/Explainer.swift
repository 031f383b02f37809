/// Why a plan keeps a host on, and where a service's instances may go: answers built from the
/// same feasibility checks the packer uses (`PlacementState.rejection`), so an explanation
/// names exactly the rule that stopped the planner.
///
/// Results are data (`Rejection` codes and counts); the CLI turns them into words.
public struct Explainer: Sendable {
    public let problem: Problem
    /// Host per instance in the plan (-1 unplaced).
    public let assignment: [Int]
    /// The move budget the plan was made under, if any.
    public let maxMoves: Int?

    public init(problem: Problem, assignment: [Int], maxMoves: Int? = nil) {
        precondition(assignment.count == problem.instanceCount, "assignment needs one entry per instance")
        self.problem = problem
        self.assignment = assignment
        self.maxMoves = maxMoves
    }

    // MARK: - Host

    /// What the plan does with a host.
    public enum HostStatus: Sendable, Hashable {
        /// Runs instances after the plan.
        case keptOn
        /// Runs instances now, none after: powered off.
        case freed
        /// Empty before and after.
        case idle
    }

    /// Why one instance on the host could not go to another host that stays on.
    public struct StuckInstance: Sendable, Hashable {
        public var instance: Int
        /// Hosts in use that refused it, by first failing rule (checks run cheapest first).
        public var reasons: [Rejection: Int]
        /// Hosts in use that could take it on its own (it is stuck only together with the others).
        public var alone: [Int]
        /// It runs on a cordoned host, which keeps what it runs.
        public var pinned: Bool
        /// Moving it would exceed the move budget.
        public var overBudget: Bool

        /// The rule that keeps it here: the move budget when some host would take it but for the
        /// budget; else the rule that refused it on the most hosts among the rules that depend
        /// on the placement (capacity, spread, exclusivity, package name), ties to the rule
        /// checked first; static rules (selector, host state, missing domain) only when every
        /// host is excluded by one of them.
        public var binding: Rejection? {
            if pinned { return .cordoned }
            if overBudget || reasons[.moveBudget, default: 0] > 0 { return .moveBudget }
            let dynamic = reasons.filter { !Self.isStatic($0.key) }
            let pool = dynamic.isEmpty ? reasons : dynamic
            return pool.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
        }

        /// Rules no placement change can lift: the host's state, labels or domain.
        public static func isStatic(_ r: Rejection) -> Bool {
            switch r {
            case .draining, .cordoned, .selector, .spreadDomainMissing: true
            default: false
            }
        }
    }

    public struct HostExplanation: Sendable, Hashable {
        public var host: Int
        public var status: HostStatus
        /// Instances the plan puts on the host, by id.
        public var instances: [Int]
        /// Hosts that stay on in the plan, other than this one (the places its instances could go).
        public var otherHostsInUse: Int
        /// Instances that could not all be moved to the other hosts in use: trying to empty
        /// the host, largest first, these found no place. Empty when the host could be emptied.
        public var stuck: [StuckInstance]
        /// Moves the plan makes and the budget, when the plan has a current placement.
        public var movesUsed: Int?
    }

    /// Explains why host `h` stays on: tries to move every instance the plan puts there to
    /// the other hosts that stay on (largest first, first fit, as the packer would) and
    /// reports, for each instance that finds no place, the tally of rules that refused it.
    ///
    /// - Complexity: O(k · H · (D + K)) for k instances on the host, H hosts.
    public func explain(host h: Int) -> HostExplanation {
        let index = ProblemIndex(problem)
        var state = PlacementState(problem: problem, index: index)
        for (i, x) in assignment.enumerated() where x >= 0 { state.place(i, on: x) }
        let onHost = assignment.indices.filter { assignment[$0] == h }
        let current = problem.current
        let before = current?.contains(h) ?? (problem.hosts[h].state == .active)
        let status: HostStatus = !onHost.isEmpty ? .keptOn : (before ? .freed : .idle)
        let inUse = problem.hosts.indices.filter { $0 != h && state.hostCount[$0] > 0 }
        var movesUsed: Int?
        if let current {
            movesUsed = assignment.indices.filter { assignment[$0] >= 0 && current[$0] != nil && current[$0] != assignment[$0] }.count
        }
        guard status == .keptOn else {
            return HostExplanation(host: h, status: status, instances: [], otherHostsInUse: inUse.count, stuck: [], movesUsed: movesUsed)
        }
        let svcOf = index.serviceOfInstance
        let scale = problem.usable.reduce(into: [Double](repeating: 0, count: problem.dimensions.count)) { acc, u in
            for d in acc.indices { acc[d] = max(acc[d], Double(u[d])) }
        }
        func size(_ i: Int) -> Double {
            let r = problem.services[Int(svcOf[i])].requests
            var x = 0.0
            for d in 0..<r.count where scale[d] > 0 { x = max(x, Double(r[d]) / scale[d]) }
            return x
        }
        let order = onHost.sorted { size($0) != size($1) ? size($0) > size($1) : $0 < $1 }
        // Snapshot of what each instance could do alone (host otherwise as planned).
        var aloneOf = [Int: [Int]]()
        for i in order {
            state.remove(i)
            aloneOf[i] = inUse.filter { x in
                guard state.rejection(service: Int(svcOf[i]), host: x, pinned: isPinned(i, x)) == nil else { return false }
                let costs = (current?[i] == h ? 1 : 0) - (current?[i] == x ? 1 : 0)
                if let budget = maxMoves, let used = movesUsed, used + costs > budget { return false }
                return true
            }
            state.place(i, on: h)
        }
        // Empty the host jointly.
        for i in order { state.remove(i) }
        var extraMoves = 0
        var stuck = [StuckInstance]()
        for i in order {
            let s = Int(svcOf[i])
            let pinned = problem.hosts[h].state == .cordoned && current?[i] == h
            var reasons = [Rejection: Int]()
            var placed = false
            var budgetBlocked = false
            if !pinned {
                for x in inUse {
                    if let r = state.rejection(service: s, host: x, pinned: isPinned(i, x)) {
                        reasons[r, default: 0] += 1
                        continue
                    }
                    // Leaving the host it runs on now costs a move (unless it goes back home).
                    let costs = (current?[i] == h ? 1 : 0) - (current?[i] == x ? 1 : 0)
                    if let budget = maxMoves, let used = movesUsed, used + extraMoves + costs > budget {
                        budgetBlocked = true
                        reasons[.moveBudget, default: 0] += 1
                        continue
                    }
                    state.place(i, on: x)
                    extraMoves += costs
                    placed = true
                    break
                }
            }
            if !placed {
                stuck.append(StuckInstance(
                    instance: i, reasons: reasons, alone: aloneOf[i] ?? [], pinned: pinned,
                    overBudget: budgetBlocked && reasons.count == 1))
            }
        }
        return HostExplanation(
            host: h, status: status, instances: onHost, otherHostsInUse: inUse.count, stuck: stuck, movesUsed: movesUsed)
    }

    /// An instance may stay on a cordoned host where it runs now (the packer's `pinned`).
    private func isPinned(_ i: Int, _ h: Int) -> Bool {
        problem.hosts[h].state == .cordoned && problem.current?[i] == h
    }

    // MARK: - Service

    public struct InstanceOptions: Sendable, Hashable {
        public var instance: Int
        /// Host in the plan, or -1.
        public var placedOn: Int
        /// Host it runs on now, if any.
        public var runsOn: Int?
        /// Hosts that could take it instead (everything else as planned), in host order.
        public var candidates: [Int]
        /// Why every other host refuses it: first failing rule per host.
        public var reasons: [Rejection: Int]
    }

    public struct ServiceExplanation: Sendable, Hashable {
        public var service: Int
        public var instances: [InstanceOptions]
    }

    /// For each instance of service `s`: the hosts that could take it with everything else as
    /// planned, and the tally of rules that exclude the rest (its own host excluded).
    public func explain(service s: Int) -> ServiceExplanation {
        let index = ProblemIndex(problem)
        var state = PlacementState(problem: problem, index: index)
        for (i, x) in assignment.enumerated() where x >= 0 { state.place(i, on: x) }
        let current = problem.current
        var out = [InstanceOptions]()
        for i in problem.instanceOffset[s]..<problem.instanceOffset[s + 1] {
            let placed = assignment[i]
            if placed >= 0 { state.remove(i) }
            var candidates = [Int]()
            var reasons = [Rejection: Int]()
            for h in problem.hosts.indices where h != placed {
                if let r = state.rejection(service: s, host: h, pinned: isPinned(i, h)) {
                    reasons[r, default: 0] += 1
                } else {
                    candidates.append(h)
                }
            }
            if placed >= 0 { state.place(i, on: placed) }
            out.append(InstanceOptions(
                instance: i, placedOn: placed, runsOn: current?[i] ?? nil, candidates: candidates, reasons: reasons))
        }
        return ServiceExplanation(service: s, instances: out)
    }
}
