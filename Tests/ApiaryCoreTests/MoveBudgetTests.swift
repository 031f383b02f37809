import ApiaryCore
import Testing
import TestSupport

/// Planning a running fleet under a move budget (`--max-moves`, `[policy] max_moves`).
@Suite("Move budget")
struct MoveBudgetTests {
    /// Hosts any plan that moves at most `budget` running instances keeps: it can empty only
    /// hosts whose running instances add up to at most the budget (emptiest first).
    /// The first `skipping` hosts are left out (they cannot be freed).
    static func hostsBound(_ problem: Problem, budget: Int, skipping: Int = 0) -> Int {
        var count = [Int](repeating: 0, count: problem.hosts.count)
        for case let h? in problem.current ?? [] { count[h] += 1 }
        let used = count[skipping...].filter { $0 > 0 }.sorted()
        var moved = 0
        var freed = 0
        for c in used where moved + c <= budget {
            moved += c
            freed += 1
        }
        return skipping + used.count - freed
    }

    /// 80 hosts of 16 cores running 1-4 small instances each (a fleet that grew without
    /// consolidation) after 70 hosts of one exclusive tenant instance each (hosts no plan can
    /// free, and the emptiest), plus `extra` services that do not run yet.
    static func spreadFleet(budget: Int, extra: [Service] = []) -> Problem {
        let tenants = 70
        let hosts = (0..<(tenants + 80)).map { Fleet.host("h\($0)", cpu: 16, memGiB: 64) }
        var services = [Service]()
        var current = [Int?]()
        for h in 0..<tenants {
            services.append(Fleet.service("t\(h)", count: 1, cpu: 1, memGiB: 2, spread: .none, exclusive: true))
            current.append(h)
        }
        var rng = TestRNG(seed: 11)
        for h in tenants..<hosts.count {
            for k in 0..<(1 + Int(rng.next() % 4)) {
                services.append(Fleet.service("s\(h)-\(k)", count: 1, cpu: 1, memGiB: 2, spread: .none))
                current.append(h)
            }
        }
        for s in extra {
            services.append(s)
            current += [Int?](repeating: nil, count: s.count)
        }
        return Fleet.problem(hosts: hosts, services: services, current: current, maxMoves: budget)
    }

    @Test("a budget is spent on the hosts that give the most for it", arguments: [10, 40, 120])
    func spendsTheBudget(budget: Int) {
        let problem = Self.spreadFleet(budget: budget)
        let plan = Planner.plan(problem, options: PlannerOptions(timeLimit: 0.3, maxMoves: budget))
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        #expect(Verifier(problem: problem).verify(doc).isEmpty)
        #expect(doc.summary.moves <= budget)
        // Every host of one instance is worth one move: the plan frees about as many hosts as
        // the bound allows (a move or two may go to making room where hosts fill up). The
        // bound counts the tenants' hosts as free for one move each, which no plan can do.
        let tenants = problem.services.filter(\.exclusive).count
        let bound = Self.hostsBound(problem, budget: budget, skipping: tenants)
        #expect(doc.summary.hostsUsed >= bound)
        #expect(doc.summary.hostsUsed <= bound + 2, "budget \(budget): \(doc.summary.hostsUsed) hosts, bound \(bound)")
    }

    @Test("an exclusive tenant that does not run yet gets a host the plan empties")
    func exclusiveTenantGetsAFreedHost() {
        let tenant = Fleet.service("vault", count: 1, cpu: 2, memGiB: 4, spread: .none, exclusive: true)
        let problem = Self.spreadFleet(budget: 20, extra: [tenant])
        let plan = Planner.plan(problem, options: PlannerOptions(timeLimit: 0.3, maxMoves: 20))
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        #expect(Verifier(problem: problem).verify(doc).isEmpty)
        #expect(doc.summary.moves <= 20)
        // Every host runs something now, so the tenant needs a host the descent empties.
        let i = problem.instanceCount - 1
        let h = plan.assignment[i]
        #expect(h >= 0)
        #expect(plan.assignment.filter { $0 == h }.count == 1)
    }
}

@Suite("Move budget properties")
struct MoveBudgetPropertyTests {
    /// On random running fleets (every constraint kind, placements that break rules), a plan
    /// under a budget keeps within it once the budget covers the moves no plan can avoid (the
    /// moves and stops of the plan with a budget of 0: instances on draining hosts or breaking
    /// a rule), and passes every other check of the verifier.
    @Test("plans keep within a budget above the forced moves (60 random fleets)")
    func budgetsHold() async {
        var checked = 0
        for seed in UInt64(2_001)...2_400 where checked < 60 {
            await Task.yield()
            let drawn = RandomInventory.make(seed: seed)
            guard drawn.current != nil else { continue }
            checked += 1
            func plan(_ budget: Int) -> (Problem, PlanDocument) {
                var problem = drawn
                problem.policy.maxMoves = budget
                let plan = Planner.plan(problem, options: PlannerOptions(timeLimit: 0.05, seed: seed, maxMoves: budget))
                return (problem, PlanDocumentBuilder.build(problem: problem, plan: plan))
            }
            // Forced: what the plan with a budget of 0 moves or stops (a stopped instance may
            // find a place, by a move, once other moves are allowed).
            let zero = plan(0).1
            let forced = zero.summary.moves + (zero.migration?.stops?.count ?? 0)
            var rng = TestRNG(seed: seed)
            let budget = forced + Int(rng.next() % UInt64(max(1, drawn.instanceCount / 2)))
            let (problem, doc) = plan(budget)
            let violations = Verifier(problem: problem).verify(doc)
            #expect(violations.isEmpty, "seed \(seed), budget \(budget): \(violations.map(\.description).joined(separator: "; "))")
            #expect(doc.summary.moves <= budget, "seed \(seed)")
        }
        #expect(checked == 60)
    }
}
