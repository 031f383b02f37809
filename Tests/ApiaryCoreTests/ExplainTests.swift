import ApiaryCore
import Testing

@Suite struct ExplainTests {
    private func binding(_ p: Problem, _ assignment: [Int], host: Int, maxMoves: Int? = nil) -> [Rejection?] {
        Explainer(problem: p, assignment: assignment, maxMoves: maxMoves).explain(host: host).stuck.map(\.binding)
    }

    @Test func capacityNamesTheDimension() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b", mem: 1000)],
            services: [MigFleet.service("big.prod", count: 1, cpu: 8), MigFleet.service("small.prod", count: 1, cpu: 4)],
            current: [nil, nil])
        let e = Explainer(problem: p, assignment: [0, 1]).explain(host: 0)
        #expect(e.status == .keptOn && e.instances == [0] && e.otherHostsInUse == 1)
        #expect(e.stuck.count == 1)
        #expect(e.stuck[0].binding == .insufficient(dimension: 0))
        #expect(e.stuck[0].alone.isEmpty)
    }

    @Test func spreadHostBinds() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 2)], current: [nil, nil])
        #expect(binding(p, [0, 1], host: 0) == [.spreadHost])
    }

    @Test(arguments: [Supervisor.habitat, .systemd])
    func packageNameRuleBindsUnderHabitat(supervisor: Supervisor) {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [MigFleet.service("redis.prod", count: 1), MigFleet.service("redis.dev", count: 1)],
            current: [nil, nil], supervisor: supervisor)
        #expect(binding(p, [0, 1], host: 0) == (supervisor == .habitat ? [.packageName] : []))
    }

    @Test func selectorBinds() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a", labels: ["arch": "arm64"]), MigFleet.host("b", labels: ["arch": "x86_64"])],
            services: [
                MigFleet.service("edge.prod", count: 1, selector: ["arch": "arm64"]), MigFleet.service("web.prod", count: 1),
            ],
            current: [nil, nil])
        #expect(binding(p, [0, 1], host: 0) == [.selector(key: "arch")])
    }

    @Test func exclusiveBinds() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [MigFleet.service("web.prod", count: 1), MigFleet.service("db.prod", count: 1, exclusive: true)],
            current: [nil, nil])
        #expect(binding(p, [0, 1], host: 0) == [.exclusive])
    }

    @Test func zoneSkewBinds() {
        let hosts = [MigFleet.host("a", zone: "x"), MigFleet.host("b", zone: "y"), MigFleet.host("c", zone: "y")]
        let p = MigFleet.problem(
            hosts: hosts,
            services: [MigFleet.service("api.prod", count: 2, spread: .zone), MigFleet.service("web.prod", count: 1)],
            current: [nil, nil, nil], supervisor: .systemd)
        // api[0] on a (zone x), api[1] on b (zone y), web on c: moving api[0] to c leaves x empty.
        #expect(binding(p, [0, 1, 2], host: 0) == [.spreadSkew])
    }

    @Test func moveBudgetBinds() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [MigFleet.service("web.prod", count: 1), MigFleet.service("api.prod", count: 1)],
            current: [0, 1])
        let e = Explainer(problem: p, assignment: [0, 1], maxMoves: 0).explain(host: 0)
        #expect(e.stuck.map(\.binding) == [.moveBudget])
        #expect(e.movesUsed == 0)
        // Without a budget the host could be emptied.
        #expect(Explainer(problem: p, assignment: [0, 1]).explain(host: 0).stuck.isEmpty)
    }

    /// Each instance fits elsewhere alone, but not both: the second is stuck, with `alone` set.
    @Test func jointCapacity() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 4), MigFleet.service("y.prod", count: 1, cpu: 4),
                MigFleet.service("z.prod", count: 1, cpu: 6),
            ],
            current: [nil, nil, nil])
        let e = Explainer(problem: p, assignment: [0, 0, 1]).explain(host: 0)
        #expect(e.stuck.count == 1)
        #expect(e.stuck[0].instance == 1)
        #expect(e.stuck[0].alone == [1])
        #expect(e.stuck[0].binding == .insufficient(dimension: 0))
    }

    @Test func cordonedHostKeepsWhatItRuns() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a", state: .cordoned), MigFleet.host("b")],
            services: [MigFleet.service("web.prod", count: 1), MigFleet.service("api.prod", count: 1)],
            current: [0, 1])
        let e = Explainer(problem: p, assignment: [0, 1]).explain(host: 0)
        #expect(e.stuck.map(\.pinned) == [true])
        #expect(e.stuck[0].binding == .cordoned)
    }

    @Test func freedAndIdleHosts() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")], services: [MigFleet.service("web.prod", count: 1)],
            current: [0])
        let ex = Explainer(problem: p, assignment: [1])
        #expect(ex.explain(host: 0).status == .freed)
        #expect(ex.explain(host: 2).status == .idle)
        #expect(ex.explain(host: 1).status == .keptOn)
    }

    @Test func serviceOptionsCountReasons() {
        let p = MigFleet.problem(
            hosts: [
                MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c", cpu: 2), MigFleet.host("d", state: .draining),
                MigFleet.host("e", labels: ["arch": "arm64"]),
            ],
            services: [MigFleet.service("web.prod", count: 2, cpu: 4, selector: [:]), MigFleet.service("edge.prod", count: 1)],
            current: [nil, nil, nil])
        let e = Explainer(problem: p, assignment: [0, 1, 4]).explain(service: 0)
        #expect(e.instances.count == 2)
        let first = e.instances[0]
        #expect(first.placedOn == 0)
        // b holds web[1] (spread host), c is too small, d drains; e is free.
        #expect(first.candidates == [4])
        #expect(first.reasons == [.spreadHost: 1, .insufficient(dimension: 0): 1, .draining: 1])
    }
}

extension ExplainTests {
    /// A selector that excludes most hosts is not what keeps an instance here when the hosts it
    /// may use are full: capacity binds.
    @Test func staticRulesDoNotBindWhenAPlacementRuleDoes() {
        let p = MigFleet.problem(
            hosts: [
                MigFleet.host("a", labels: ["arch": "x86_64"]), MigFleet.host("b", labels: ["arch": "x86_64"]),
                MigFleet.host("c", labels: ["arch": "arm64"]),
                MigFleet.host("d", labels: ["arch": "arm64"]), MigFleet.host("e", labels: ["arch": "arm64"]),
            ],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 8, selector: ["arch": "x86_64"]),
                MigFleet.service("y.prod", count: 1, cpu: 8),
                MigFleet.service("z.prod", count: 3, cpu: 1),
            ],
            current: [nil, nil, nil, nil, nil])
        let e = Explainer(problem: p, assignment: [0, 1, 2, 3, 4]).explain(host: 0)
        #expect(e.stuck.count == 1)
        #expect(e.stuck[0].reasons == [.selector(key: "arch"): 3, .insufficient(dimension: 0): 1])
        #expect(e.stuck[0].binding == .insufficient(dimension: 0))
    }
}
