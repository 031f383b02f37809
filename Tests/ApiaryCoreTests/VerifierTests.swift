import ApiaryCore
import Testing
import TestSupport

/// For each violation kind, a deliberately broken plan that `verify` must flag.
@Suite("Verifier flags every kind of violation")
struct VerifierTests {
    static let hosts = [
        Fleet.host("h0", cpu: 8, memGiB: 32, zone: "a", labels: ["arch": "x86_64"]),
        Fleet.host("h1", cpu: 8, memGiB: 32, zone: "a", labels: ["arch": "x86_64"]),
        Fleet.host("h2", cpu: 8, memGiB: 32, zone: "b", labels: ["arch": "arm64"]),
        Fleet.host("drain", cpu: 8, memGiB: 32, zone: "b", state: .draining),
        Fleet.host("cord", cpu: 8, memGiB: 32, zone: "b", state: .cordoned),
    ]

    static func document(
        _ problem: Problem, _ assignment: [Int]
    ) -> PlanDocument {
        let unplaced = assignment.indices.filter { assignment[$0] < 0 }.map { UnplacedInstance(instance: $0, reasons: [:]) }
        let plan = Plan(assignment: assignment, unplaced: unplaced, lowerBound: LowerBound(value: 0, argument: []))
        var doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        doc.migration = nil  // these tests break placement rules, not waves
        return doc
    }

    /// Kinds flagged, leaving out `migration`: the documents here have none.
    static func kinds(_ problem: Problem, _ assignment: [Int]) -> Set<Violation.Kind> {
        Set(Verifier(problem: problem).verify(document(problem, assignment)).map(\.kind)).subtracting([.migration])
    }

    @Test func capacity() {
        let p = Fleet.problem(hosts: Self.hosts, services: [Fleet.service("a", count: 1, cpu: 9, memGiB: 1)])
        #expect(Self.kinds(p, [0]) == [.capacity])
    }

    @Test func headroom() {
        let p = Fleet.problem(hosts: Self.hosts, services: [Fleet.service("a", count: 1, cpu: 7.5, memGiB: 1)], headroom: 0.9)
        #expect(Self.kinds(p, [0]) == [.capacity])
    }

    @Test func draining() {
        let p = Fleet.problem(hosts: Self.hosts, services: [Fleet.service("a", count: 1, cpu: 1, memGiB: 1)])
        #expect(Self.kinds(p, [3]) == [.draining])
    }

    @Test func cordonedNewAndEvicted() {
        let svc = [Fleet.service("a", count: 1, cpu: 1, memGiB: 1), Fleet.service("b", count: 1, cpu: 1, memGiB: 1)]
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [4, 0])
        #expect(Self.kinds(p, [0, 4]) == [.cordonedNew, .cordonedEvicted])
        #expect(Self.kinds(p, [4, 0]).isEmpty)
    }

    /// A cordoned host keeps what it runs as far as it may run there together: an instance
    /// breaking a rule there may leave (or stop), one that could stay may not.
    @Test func cordonedHostsKeepOnlyWhatMayStay() {
        let svc = [
            Fleet.service("arm", count: 1, cpu: 1, memGiB: 1, selector: ["arch": "arm64"]),
            Fleet.service("web.a", package: "core/web", count: 1, cpu: 1, memGiB: 1),
            Fleet.service("web.b", package: "core/web", count: 1, cpu: 1, memGiB: 1),
        ]
        // All three run on the cordoned host: arm breaks its selector, web.b the Habitat rule.
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [4, 4, 4])
        #expect(Self.kinds(p, [2, 4, 0]).isEmpty)
        #expect(Self.kinds(p, [-1, 4, -1]).isEmpty)
        #expect(Self.kinds(p, [2, 0, 4]).isEmpty)  // either web instance may be the one to go
        #expect(Self.kinds(p, [2, 0, 1]) == [.cordonedEvicted])  // one of them could have stayed
    }

    @Test func plansOfCordonedFleetsVerify() {
        let svc = [
            Fleet.service("arm", count: 1, cpu: 1, memGiB: 1, selector: ["arch": "arm64"]),
            Fleet.service("web.a", package: "core/web", count: 1, cpu: 1, memGiB: 1),
            Fleet.service("web.b", package: "core/web", count: 1, cpu: 1, memGiB: 1),
        ]
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [4, 4, 4])
        let plan = Planner.plan(p, options: PlannerOptions(timeLimit: 0.2))
        #expect(plan.assignment[0] == 2)  // the arm64 host, a move
        #expect(plan.assignment.filter { $0 == 4 }.count == 1)  // one web instance stays
        #expect(plan.unplaced.isEmpty)
        let doc = PlanDocumentBuilder.build(problem: p, plan: plan)
        #expect(Verifier(problem: p).verify(doc).isEmpty)
    }

    @Test func selector() {
        let p = Fleet.problem(
            hosts: Self.hosts, services: [Fleet.service("a", count: 1, cpu: 1, memGiB: 1, selector: ["arch": "arm64"])])
        #expect(Self.kinds(p, [0]) == [.selector])
        #expect(Self.kinds(p, [2]).isEmpty)
    }

    @Test func exclusive() {
        let p = Fleet.problem(
            hosts: Self.hosts,
            services: [
                Fleet.service("pg", count: 1, cpu: 1, memGiB: 1, exclusive: true),
                Fleet.service("web", count: 1, cpu: 1, memGiB: 1),
            ])
        #expect(Self.kinds(p, [0, 0]) == [.exclusive])
    }

    @Test func spreadHost() {
        let p = Fleet.problem(
            hosts: Self.hosts, services: [Fleet.service("a", count: 2, cpu: 1, memGiB: 1)], supervisor: .systemd)
        #expect(Self.kinds(p, [1, 1]) == [.spreadHost])
    }

    @Test func spreadSkew() {
        let p = Fleet.problem(
            hosts: Self.hosts, services: [Fleet.service("a", count: 2, cpu: 1, memGiB: 1, spread: .zone)],
            supervisor: .systemd)
        #expect(Self.kinds(p, [0, 1]) == [.spreadSkew])
        #expect(Self.kinds(p, [0, 2]).isEmpty)
    }

    @Test func spreadDomainMissing() {
        var hosts = Self.hosts
        hosts.append(Fleet.host("nozone", cpu: 8, memGiB: 32))
        let p = Fleet.problem(
            hosts: hosts, services: [Fleet.service("a", count: 1, cpu: 1, memGiB: 1, spread: .zone)])
        #expect(Self.kinds(p, [5]) == [.spreadDomainMissing])
    }

    @Test func packageName() {
        let svc = [
            Fleet.service("redis.a", package: "core/redis", count: 1, cpu: 1, memGiB: 1),
            Fleet.service("redis.b", package: "core/redis/7.2", count: 1, cpu: 1, memGiB: 1),
        ]
        #expect(Self.kinds(Fleet.problem(hosts: Self.hosts, services: svc), [0, 0]) == [.packageName])
        #expect(Self.kinds(Fleet.problem(hosts: Self.hosts, services: svc, supervisor: .systemd), [0, 0]).isEmpty)
    }

    @Test func moveBudget() {
        let svc = [Fleet.service("a", count: 2, cpu: 1, memGiB: 1)]
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [0, 1], maxMoves: 1)
        #expect(Self.kinds(p, [2, 0]) == [.moveBudget])
    }

    /// Moves the current placement forces (a draining host, a rule broken where an instance
    /// runs now) do not count against `max_moves`.
    @Test func forcedMovesDoNotCountAgainstTheBudget() {
        let svc = [Fleet.service("a", count: 2, cpu: 1, memGiB: 1), Fleet.service("b", count: 1, cpu: 7.5, memGiB: 1)]
        // a[0] on the draining host; b and a[1] overfill h1.
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [3, 1, 1], maxMoves: 0)
        #expect(Self.kinds(p, [0, 2, 1]).isEmpty)  // a[0] forced, a[1] leaves the overfull host
        let q = Fleet.problem(hosts: Self.hosts, services: [svc[0]], current: [3, 0], maxMoves: 0)
        #expect(Self.kinds(q, [1, 2]) == [.moveBudget])  // a[1] ran validly on h0
    }

    @Test func figuresMustMatchTheAssignments() {
        let p = Fleet.problem(hosts: Self.hosts, services: [Fleet.service("a", count: 2, cpu: 2, memGiB: 1)])
        let good = Self.document(p, [0, 1])
        #expect(Verifier(problem: p).verify(good).isEmpty)
        var tampered = [PlanDocument]()
        var d = good
        d.summary.hostsFreed = 3
        tampered.append(d)
        d = good
        d.summary.utilization["cpu"] = 0.97
        tampered.append(d)
        d = good
        d.hosts[0].instances = 5
        tampered.append(d)
        d = good
        d.hosts[0].utilization["cpu"] = 0.5
        tampered.append(d)
        d = good
        d.hosts.append(.init(name: "ghost", instances: 0, utilization: [:]))
        tampered.append(d)
        d = good
        d.hosts.removeLast()
        tampered.append(d)
        d = good
        d.hosts[0].action = "power-off"
        tampered.append(d)
        d = good
        d.services?[0].requests["cpu"] = 1
        tampered.append(d)
        d = good
        d.lowerBound = .init(value: 7, argument: [])
        tampered.append(d)
        for doc in tampered {
            #expect(Set(Verifier(problem: p).verify(doc).map(\.kind)) == [.summary])
        }
    }

    @Test func aRunningFleetsPlanNeedsItsMigrationAndStops() {
        let p = Fleet.problem(
            hosts: Self.hosts, services: [Fleet.service("a", count: 2, cpu: 1, memGiB: 1)], current: [0, 1])
        let plan = Plan(assignment: [0, -1], unplaced: [.init(instance: 1, reasons: [:])], lowerBound: .init(value: 1, argument: []))
        let doc = PlanDocumentBuilder.build(problem: p, plan: plan)
        #expect(doc.migration?.stops == [.init(service: "a", instance: 1, host: "h1")])
        #expect(Verifier(problem: p).verify(doc).isEmpty)
        var d = doc
        d.migration?.stops = nil
        #expect(Set(Verifier(problem: p).verify(d).map(\.kind)) == [.migration])
        d = doc
        d.migration = nil
        #expect(Set(Verifier(problem: p).verify(d).map(\.kind)) == [.migration])
        d = doc
        d.migration?.waves = [[]]
        #expect(Set(Verifier(problem: p).verify(d).map(\.kind)).contains(.migration))
    }

    @Test func summaryAndMalformed() {
        let p = Fleet.problem(hosts: Self.hosts, services: [Fleet.service("a", count: 2, cpu: 1, memGiB: 1)])
        var doc = Self.document(p, [0, 1])
        doc.summary.hostsUsed = 1
        doc.assignments.append(.init(service: "ghost", instance: 0, host: "h0"))
        doc.assignments.removeFirst()
        let kinds = Set(Verifier(problem: p).verify(doc).map(\.kind))
        #expect(kinds == [.summary, .malformed])
    }

    @Test func migration() {
        let svc = [Fleet.service("a", count: 1, cpu: 1, memGiB: 1)]
        let p = Fleet.problem(hosts: Self.hosts, services: svc, current: [0])
        var doc = Self.document(p, [1])
        doc.migration = .init(waves: [[.init(service: "a", instance: 0, from: "h2", to: "h1")]])
        doc.summary.waves = 1
        #expect(Set(Verifier(problem: p).verify(doc).map(\.kind)) == [.migration])
    }

    @Test func everyKindIsCovered() {
        // Keep this list in step with Violation.Kind: a new kind needs a test above.
        let tested: Set<Violation.Kind> = [
            .malformed, .capacity, .draining, .cordonedNew, .cordonedEvicted, .selector, .exclusive, .spreadHost,
            .spreadSkew, .spreadDomainMissing, .packageName, .summary, .moveBudget, .migration,
        ]
        #expect(tested == Set(Violation.Kind.allCases))
    }
}
