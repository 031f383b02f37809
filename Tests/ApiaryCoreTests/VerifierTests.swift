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
        let plan = Plan(assignment: assignment, unplaced: [], lowerBound: LowerBound(value: 0, argument: []))
        var doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        doc.migration = nil  // these tests break placement rules, not waves
        return doc
    }

    static func kinds(_ problem: Problem, _ assignment: [Int]) -> Set<Violation.Kind> {
        Set(Verifier(problem: problem).verify(document(problem, assignment)).map(\.kind))
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
