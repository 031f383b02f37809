import ApiaryCore
import ApiaryReports
import Testing

/// The terraform-style migration diff, on a hand-made plan document.
@Suite struct PlanRendererDiffTests {
    static func doc(waves: [[PlanDocument.Move]], spares: [String]? = nil) -> PlanDocument {
        func host(_ name: String, _ zone: String, before: Int, after: Int) -> PlanDocument.HostEntry {
            .init(
                name: name, instances: after, utilization: [:], zone: zone, state: "active", instancesBefore: before,
                action: after > 0 ? "keep" : (before > 0 ? "power-off" : "idle"))
        }
        let moves = Set(waves.joined().filter { $0.from != nil }.map { "\($0.service)[\($0.instance)]" }).count
        return PlanDocument(
            summary: .init(
                hostsTotal: 4, hostsUsed: 2, hostsFreed: 2, lowerBound: 2, instances: 5, unplaced: 0, moves: moves,
                utilization: [:], hostsBefore: 4, waves: waves.count),
            assignments: [], unplaced: [],
            hosts: [
                host("hive-01", "berlin-a", before: 2, after: 3), host("hive-02", "berlin-a", before: 1, after: 2),
                host("hive-03", "paris-b", before: 1, after: 0), host("hive-04", "paris-b", before: 1, after: 0),
            ],
            migration: .init(waves: waves, spareHosts: spares))
    }

    static let waves: [[PlanDocument.Move]] = [
        [
            .init(service: "web.prod", instance: 1, from: "hive-03", to: "hive-01"),
            .init(service: "redis.cache", instance: 0, from: "hive-04", to: "hive-02"),
        ],
        [.init(service: "analytics.prod", instance: 2, from: nil, to: "hive-02")],
    ]

    @Test func rendersHostsWavesAndSummary() {
        let text = PlanRenderer(title: "t").diff(Self.doc(waves: Self.waves))
        let expected = """
            Apiary will perform the following changes:

              ~ hive-01 (berlin-a)  2 → 3 instances
                  + web.prod[1]  from hive-03, wave 1
              ~ hive-02 (berlin-a)  1 → 2 instances
                  + analytics.prod[2]  start, wave 2
                  + redis.cache[0]     from hive-04, wave 1
              - hive-03 (paris-b)  1 → 0 instances  power off
                  - web.prod[1]  to hive-01, wave 1
              - hive-04 (paris-b)  1 → 0 instances  power off
                  - redis.cache[0]  to hive-02, wave 1

            Hosts to power off (2): hive-03, hive-04

            Waves (make-before-break: each new copy starts before its old one stops):
              1. 2 moves: redis.cache[0] hive-04 → hive-02, web.prod[1] hive-03 → hive-01
              2. 1 start: analytics.prod[2] (start) → hive-02

            Plan: 2 of 4 hosts freed, 2 moves and 1 start in 2 waves; lower bound 2.

            """
        #expect(text == expected)
    }

    @Test func summaryShowsTheMoveBudget() {
        let text = PlanRenderer(title: "t", maxMoves: 5).diff(Self.doc(waves: Self.waves))
        #expect(text.hasSuffix("Plan: 2 of 4 hosts freed, 2 moves (budget 5) and 1 start in 2 waves; lower bound 2.\n"))
    }

    @Test func colorIsOptional() {
        let plain = PlanRenderer(title: "t").diff(Self.doc(waves: Self.waves))
        let colored = PlanRenderer(title: "t", color: true).diff(Self.doc(waves: Self.waves))
        #expect(!plain.contains("\u{1B}["))
        #expect(colored.contains("\u{1B}[32m+ web.prod[1]\u{1B}[0m"))
        #expect(colored.contains("\u{1B}[31m- hive-03\u{1B}[0m"))
    }

    @Test func stopsAreListedAndCounted() {
        var doc = Self.doc(waves: Self.waves)
        doc.migration?.stops = [.init(service: "batch.prod", instance: 0, host: "hive-02")]
        let text = PlanRenderer(title: "t").diff(doc)
        #expect(text.contains("      - batch.prod[0]      stops before the waves (no host may take it; see unplaced)\n"))
        #expect(text.hasSuffix("Plan: 2 of 4 hosts freed, 2 moves and 1 start in 2 waves after 1 stop; lower bound 2.\n"))
    }

    @Test func aStopAloneIsAChange() {
        var doc = Self.doc(waves: [])
        doc.hosts = doc.hosts.map { h in
            var h = h
            h.instances = h.instancesBefore ?? 0
            h.action = h.instances > 0 ? "keep" : "idle"
            return h
        }
        doc.summary.hostsFreed = 0
        doc.migration?.stops = [.init(service: "batch.prod", instance: 0, host: "hive-01")]
        let text = PlanRenderer(title: "t").diff(doc)
        #expect(!text.contains("No changes."))
        #expect(text.contains("- batch.prod[0]  stops"))
    }

    @Test func longWavesAreCut() {
        let wave = (0..<5).map { PlanDocument.Move(service: "web.prod", instance: $0, from: "hive-03", to: "hive-01") }
        let text = PlanRenderer(title: "t").diff(Self.doc(waves: [wave]), movesPerWave: 2)
        #expect(text.contains("1. 5 moves: web.prod[0] hive-03 → hive-01, web.prod[1] hive-03 → hive-01, … and 3 more"))
    }

    @Test func spareHostsAreMarked() {
        let waves: [[PlanDocument.Move]] = [
            [.init(service: "web.prod", instance: 0, from: "hive-03", to: "hive-05")],
            [.init(service: "web.prod", instance: 0, from: "hive-05", to: "hive-01")],
        ]
        var d = Self.doc(waves: waves, spares: ["hive-05"])
        d.hosts.append(.init(name: "hive-05", instances: 0, utilization: [:], zone: "paris-b", instancesBefore: 0, action: "idle"))
        let text = PlanRenderer(title: "t").diff(d)
        #expect(text.contains("⇄ hive-05 (paris-b)  0 → 0 instances  spare (free before and after)"))
        #expect(text.contains("Spare hosts used to break cycles of moves: hive-05"))
        #expect(text.contains("1 move in 2 waves"))
    }

    @Test func noChanges() {
        var d = Self.doc(waves: [])
        d.hosts = d.hosts.map { h in
            var h = h
            h.action = "keep"
            return h
        }
        d.summary.hostsFreed = 0
        #expect(PlanRenderer(title: "t").diff(d).hasPrefix("No changes. The running fleet already matches the plan."))
    }
}
