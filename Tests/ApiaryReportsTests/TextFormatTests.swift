import ApiaryCore
import ApiaryReports
import Testing

/// One rounding rule and one way of counting things, in the plan table, the reports and
/// `explain` alike.
@Suite struct TextFormatTests {
    @Test func halvesRoundAwayFromZeroEverywhere() {
        #expect(TextFormat.fixed(6.25, 1) == "6.3")
        #expect(TextFormat.fixed(-6.25, 1) == "-6.3")
        #expect(TextFormat.fixed(0.125, 2) == "0.13")
        #expect(TextFormat.fixed(2.5, 0) == "3")
        #expect(TextFormat.fixed(-0.04, 1) == "0.0")
        #expect(TextFormat.fixed(1e17, 1) == "100000000000000000.0")
        #expect(TextFormat.fixed(.infinity, 1) == "inf")
        // The plan table and every report format show 6.25 % the same way.
        #expect(PlanRenderer.percent(0.0625) == "6.3 %")
        #expect(ReportNumber(0.0625, .percent).text() == "6.3")
        #expect(ReportNumber(0.125, .fixed2).text() == "0.13")
        #expect(ReportNumber(2.5, .integer).text() == "3")
    }

    @Test func countsAndRanges() {
        #expect(TextFormat.count(1, "host") == "1 host")
        #expect(TextFormat.count(0, "host") == "0 hosts")
        #expect(TextFormat.count(2, "match", "matches") == "2 matches")
        #expect(TextFormat.range("30.0", "46.0") == "30.0–46.0")
        #expect(TextFormat.range("-288.7", "-232.2") == "-288.7 to -232.2")
        #expect(TextFormat.range("-1.0", "2.0") == "-1.0 to 2.0")
    }

    @Test func reasonsAboutTheHostAgreeWithTheCount() {
        #expect(TextFormat.reason("host has no zone", hosts: 2) == "2 hosts have no zone")
        #expect(TextFormat.reason("host has no zone", hosts: 1) == "1 host has no zone")
        #expect(TextFormat.reason("host draining", hosts: 3) == "3 hosts draining")
        #expect(TextFormat.reason("insufficient memory", hosts: 12) == "12 insufficient memory")
        #expect(PlanRenderer.reasons(["host has no zone": 2, "insufficient cpu": 1]) == "2 hosts have no zone, 1 insufficient cpu")
    }

    static func doc(
        hosts: [PlanDocument.HostEntry], lowerBound: Int, instances: Int, unplaced: [PlanDocument.Unplaced],
        moves: Int, waves: Int?, band: (Double, Double)
    ) -> PlanDocument {
        let used = hosts.filter { $0.instances > 0 }.count
        let carbon = PlanDocument.Carbon(
            beforeKgCO2e: 100, afterKgCO2e: 350, savedKgCO2e: -250, savedKWh: -500,
            band: .init(savedKgCO2eLow: band.0, savedKgCO2eHigh: band.1, savedKWhLow: -600, savedKWhHigh: -400),
            assumptions: [:])
        return PlanDocument(
            summary: .init(
                hostsTotal: hosts.count, hostsUsed: used, hostsFreed: 0, lowerBound: lowerBound, instances: instances,
                unplaced: unplaced.count, moves: moves, utilization: used > 0 ? ["cpu": 0.0625] : [:],
                hostsBefore: hosts.count, waves: waves),
            assignments: [], unplaced: unplaced, hosts: hosts, carbon: carbon)
    }

    @Test func planTableCountsInWords() {
        let doc = Self.doc(
            hosts: [.init(name: "h1", instances: 5, utilization: ["cpu": 0.0625], zone: "a", action: "keep")],
            lowerBound: 1, instances: 7,
            unplaced: [
                .init(service: "web.prod", instance: 5, reasons: ["host has no zone": 1]),
                .init(service: "web.prod", instance: 6, reasons: ["host has no zone": 1]),
            ],
            moves: 1, waves: 1, band: (-288.7, -232.2))
        let table = PlanRenderer(title: "t").table(doc, dimensions: ["cpu"])
        #expect(table.contains("  Lower bound:  1 host to place every instance\n"))
        #expect(table.contains("  Instances:    7 total, 5 placed, 2 unplaced\n"))
        #expect(table.contains("  Moves:        1 move in 1 wave\n"))
        #expect(table.contains("  Utilization:  cpu 6.3 % (of the hosts used)\n"))
        #expect(table.contains("(-288.7 to -232.2)"))
        #expect(table.contains("web.prod[5]: 0/1 hosts fit: 1 host has no zone\n"))
        let markdown = PlanRenderer(title: "t").markdown(doc, dimensions: ["cpu"])
        #expect(markdown.contains("| Instances | 7 total, 5 placed, 2 unplaced |"))
        #expect(markdown.contains("| Moves | 1 move in 1 wave |"))
    }

    @Test func emptyInventoryTable() {
        let doc = Self.doc(hosts: [], lowerBound: 0, instances: 0, unplaced: [], moves: 0, waves: nil, band: (0, 0))
        let table = PlanRenderer(title: "t").table(doc, dimensions: [])
        #expect(table.contains("  Utilization:  - (no hosts used)\n"))
        #expect(table.contains("No hosts in the inventory.\n"))
        #expect(!table.contains("()"))
        #expect(table.contains("  Lower bound:  0 hosts\n"))
    }

    @Test func reportHeadlineAndHostRowsFollowTheAssignments() throws {
        let problem = ReportTests.fleet()
        var doc = try ReportTests.document(problem)
        // A hosts[] list that disagrees with the assignments does not reach the per-host rows.
        doc.hosts[0].instances = 99
        doc.hosts[0].utilization["cpu"] = 0.99
        doc.hosts[2].action = "keep"
        let report = UtilizationReport(problem: problem, document: doc, assignment: ReportTests.planned)
        #expect(report.hosts[0].instancesAfter == 3)
        #expect(report.hostsTable.text(row: "h0", column: "cpu_after_pct") == "50.0")  // 3 + 3 + 2 cores of 16
        #expect(report.hosts[2].action == "power-off")
        var negative = doc
        negative.carbon!.band = .init(savedKgCO2eLow: -288.7, savedKgCO2eHigh: -232.2, savedKWhLow: -2, savedKWhHigh: -1)
        let headline = UtilizationReport(problem: problem, document: negative, assignment: ReportTests.planned).headline
        #expect(headline.contains("(band -288.70 to -232.20 kgCO2e)"))
        #expect(headline.hasPrefix("2 of 4 hosts on after the plan"))
    }
}
