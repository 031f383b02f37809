import ApiaryCore
import ApiaryReports
import Foundation
import Testing

/// A small fleet reported in every format: the numbers agree across formats and with the plan document.
@Suite struct ReportTests {
    static let cpu = Dimension(name: "cpu", kind: .count)
    static let memory = Dimension(name: "memory", kind: .bytes)
    static let gib: Int64 = 1 << 30

    /// Four hosts in two zones (one without power figures), two services, a current placement
    /// spread over every host; the plan packs everything onto h0 and h1.
    static func fleet(withCurrent: Bool = true) -> Problem {
        func host(_ name: String, zone: String, power: PowerProfile?, embodied: Double?) -> ApiaryCore.Host {
            ApiaryCore.Host(
                name: name, zone: zone, capacity: Resources([16_000, 64 * gib]), power: power,
                embodiedKgCO2e: embodied, lifetimeYears: 5)
        }
        return Problem(
            dimensions: [cpu, memory],
            hosts: [
                host("h0", zone: "berlin-a", power: PowerProfile(idleWatts: 110, maxWatts: 400), embodied: 1300),
                host("h1", zone: "berlin-a", power: nil, embodied: nil),
                host("h2", zone: "paris-b", power: PowerProfile(idleWatts: 90, maxWatts: 350), embodied: 1200),
                host("h3", zone: "paris-b", power: PowerProfile(idleWatts: 90, maxWatts: 350), embodied: 1200),
            ],
            services: [
                Service(
                    name: "web.prod", package: PackageIdent(origin: "acme", name: "web"), count: 4,
                    spread: .none, requests: Resources([3_000, 8 * gib])),
                Service(
                    name: "db.prod", package: PackageIdent(origin: "acme", name: "db"), count: 2, spread: .none,
                    requests: Resources([2_000, 24 * gib])),
            ],
            policy: Policy(headroom: [0.9, 0.9], supervisor: .systemd),
            carbon: CarbonSettings(
                gridIntensity: 300, pue: 1.4, horizonDays: 365, powerCurve: .linear, offWatts: 5,
                zones: ["berlin-a": 380, "paris-b": 56], explicitKeys: ["grid_intensity", "pue", "zones", "off_watts"]),
            current: withCurrent ? [0, 1, 2, 3, 2, 3] : nil)
    }

    static let planned = [0, 0, 1, 1, 0, 1]

    /// The plan document as `apiary plan --format json` writes it and `report --plan` reads it back.
    static func document(_ problem: Problem, unplacedLast: Bool = false) throws -> PlanDocument {
        var assignment = planned
        var unplaced = [UnplacedInstance]()
        if unplacedLast {
            assignment[5] = Plan.unassigned
            unplaced = [UnplacedInstance(instance: 5, reasons: [.insufficient(dimension: 1): 3, .draining: 1])]
        }
        let plan = Plan(
            assignment: assignment, unplaced: unplaced,
            lowerBound: LowerBound(value: 2, argument: ["memory volume: 2 hosts"]))
        let doc = PlanDocumentBuilder.build(
            problem: problem, plan: plan,
            inventory: PlanDocument.InventoryRef(digest: String(repeating: "ab", count: 32), files: ["fleet.toml"]))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONDecoder().decode(PlanDocument.self, from: encoder.encode(doc))
    }

    static func report(withCurrent: Bool = true, unplacedLast: Bool = false) throws -> (UtilizationReport, PlanDocument) {
        let problem = fleet(withCurrent: withCurrent)
        let doc = try document(problem, unplacedLast: unplacedLast)
        let assignment = try PlanReader.assignment(of: doc, for: problem)
        return (UtilizationReport(problem: problem, document: doc, assignment: assignment), doc)
    }

    // MARK: Parsing the formats back

    /// CSV: (table, row, column) → value.
    static func parseCSV(_ text: String) -> [String: String] {
        var out = [String: String]()
        let lines = text.split(separator: "\n").dropFirst()
        for line in lines {
            var fields = [String]()
            var field = ""
            var quoted = false
            var chars = Array(line)
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if quoted {
                    if c == "\"" {
                        if i + 1 < chars.count, chars[i + 1] == "\"" {
                            field.append("\"")
                            i += 1
                        } else {
                            quoted = false
                        }
                    } else {
                        field.append(c)
                    }
                } else if c == "\"" {
                    quoted = true
                } else if c == "," {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(c)
                }
                i += 1
            }
            fields.append(field)
            chars = []
            out[fields[0] + "|" + fields[1] + "|" + fields[2]] = fields[3]
        }
        return out
    }

    /// Markdown: the data rows of every table, in order, cells with thousands separators removed.
    static func parseMarkdownTables(_ text: String) -> [[[String]]] {
        var tables = [[[String]]]()
        var current: [[String]]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                let cells = line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                if current == nil {
                    current = []  // header row
                } else if cells.allSatisfy({ $0.hasPrefix("---") || $0.hasSuffix("---:") }) {
                    continue
                } else {
                    current!.append(cells)
                }
            } else if let t = current {
                tables.append(t)
                current = nil
            }
        }
        if let current { tables.append(current) }
        return tables
    }

    /// HTML: table id → data rows (cells unescaped, separators kept).
    static func parseHTMLTables(_ html: String) -> [String: [[String]]] {
        var out = [String: [[String]]]()
        var rest = Substring(html)
        while let start = rest.range(of: "<table data-table=\"") {
            rest = rest[start.upperBound...]
            let id = String(rest.prefix { $0 != "\"" })
            let end = rest.range(of: "</table>")!
            let body = rest[..<end.lowerBound]
            var rows = [[String]]()
            for tr in body.components(separatedBy: "<tr>").dropFirst() where tr.contains("<td") {
                rows.append(
                    tr.components(separatedBy: "<td").dropFirst().map { cell in
                        let content = cell.drop { $0 != ">" }.dropFirst()
                        return String(content.prefix { $0 != "<" })
                            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
                    })
            }
            out[id] = rows
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func ungroup(_ s: String) -> String { s.replacingOccurrences(of: ",", with: "") }

    // MARK: Tests

    @Test func everyFormatCarriesTheSameNumbers() throws {
        let (report, _) = try Self.report(unplacedLast: true)
        let tables = report.tables
        let csv = Self.parseCSV(report.render(.csv))
        let markdown = Self.parseMarkdownTables(report.render(.markdown))
        let html = Self.parseHTMLTables(report.render(.html))
        let json =
            try JSONSerialization.jsonObject(with: Data(report.render(.json).utf8)) as! [String: Any]
        let jsonTables = json["tables"] as! [String: [[String: Any]]]

        #expect(markdown.count == tables.count)
        for (t, table) in tables.enumerated() {
            let htmlRows = try #require(html[table.id], "HTML lacks table \(table.id)")
            let jsonRows = try #require(jsonTables[table.id], "JSON lacks table \(table.id)")
            #expect(htmlRows.count == table.rows.count && markdown[t].count == table.rows.count)
            #expect(jsonRows.count == table.rows.count)
            for (r, row) in table.rows.enumerated() {
                for (c, column) in table.columns.enumerated() {
                    let value = row.cells[c].text(grouped: false)
                    #expect(csv["\(table.id)|\(row.key)|\(column.id)"] == value, "CSV \(table.id) \(row.key) \(column.id)")
                    // Markdown and HTML group thousands for people; the digits are the same.
                    let md = markdown[t][r][c].replacingOccurrences(of: "\\|", with: "|")
                    #expect((column.numeric ? Self.ungroup(md) : md) == value, "Markdown \(table.id) \(row.key) \(column.id)")
                    let h = htmlRows[r][c]
                    #expect((column.numeric ? Self.ungroup(h) : h) == value, "HTML \(table.id) \(row.key) \(column.id)")
                    let j = jsonRows[r][column.id]
                    switch row.cells[c] {
                    case .number(let n): #expect((j as? NSNumber)?.doubleValue == Double(n.text()), "JSON \(table.id) \(row.key) \(column.id)")
                    case .text(let s): #expect(j as? String == s)
                    case .empty: #expect(j is NSNull)
                    }
                }
            }
        }
    }

    @Test func numbersEqualThePlanDocument() throws {
        let (report, doc) = try Self.report()
        let carbon = try #require(doc.carbon)
        func fixed2(_ x: Double?) -> String { ReportNumber(x ?? .nan, .fixed2).text() }
        func pct(_ x: Double?) -> String { ReportNumber(x ?? .nan, .percent).text() }

        let s = report.summaryTable
        #expect(s.text(row: "hosts_total", column: "value") == "\(doc.summary.hostsTotal)")
        #expect(s.text(row: "hosts_used", column: "value") == "\(doc.summary.hostsUsed)")
        #expect(s.text(row: "hosts_freed", column: "value") == "\(doc.summary.hostsFreed)")
        #expect(s.text(row: "hosts_before", column: "value") == "\(doc.summary.hostsBefore!)")
        #expect(s.text(row: "lower_bound", column: "value") == "\(doc.summary.lowerBound)")
        #expect(s.text(row: "moves", column: "value") == "\(doc.summary.moves)")
        #expect(s.text(row: "saved_kgco2e", column: "value") == fixed2(carbon.savedKgCO2e))
        #expect(s.text(row: "embodied_avoided_kgco2e", column: "value") == fixed2(carbon.embodiedAvoidedKgCO2e))
        #expect(s.text(row: "saved_kgco2e_low", column: "value") == fixed2(carbon.band?.savedKgCO2eLow))

        let c = report.carbonTable
        #expect(c.text(row: "energy", column: "before") == fixed2(carbon.beforeKWh))
        #expect(c.text(row: "energy", column: "after") == fixed2(carbon.afterKWh))
        #expect(c.text(row: "energy", column: "saved") == fixed2(carbon.savedKWh))
        #expect(c.text(row: "energy", column: "saved_high") == fixed2(carbon.band?.savedKWhHigh))
        #expect(c.text(row: "emissions", column: "before") == fixed2(carbon.beforeKgCO2e))
        #expect(c.text(row: "emissions", column: "after") == fixed2(carbon.afterKgCO2e))

        for zone in try #require(carbon.zones) {
            #expect(report.zonesTable.text(row: zone.zone, column: "after_kgco2e") == fixed2(zone.afterKgCO2e))
            #expect(report.zonesTable.text(row: zone.zone, column: "hosts_before") == "\(zone.hostsBefore)")
        }
        for (name, value) in doc.summary.utilization {
            #expect(report.utilizationTable.text(row: name, column: "after_pct") == pct(value))
        }
        for host in doc.hosts {
            for (name, value) in host.utilization where host.instances > 0 {
                #expect(report.hostsTable.text(row: host.name, column: "\(name)_after_pct") == pct(value))
            }
            #expect(report.hostsTable.text(row: host.name, column: "action") == host.action)
        }
        // The plan's summary agrees with the per-host rows.
        #expect(report.hosts.filter(\.onAfter).count == doc.summary.hostsUsed)
        #expect(report.warnings.isEmpty)
    }

    /// Hand-checked figures of the small fleet (linear curve, PUE 1.4, one year).
    @Test func smallFleetByHand() throws {
        let (report, doc) = try Self.report()
        let carbon = try #require(doc.carbon)
        // before: h0 web (3 cores of 16), h1 web, h2 web + db (5), h3 web + db
        //   h0 110 + 290 × 3/16 = 164.375; h1 100 + 320 × 3/16 = 160; h2, h3 90 + 260 × 5/16 = 171.25
        // after: h0 web, web, db (8 cores) = 110 + 290 × 0.5 = 255; h1 the same on defaults = 100 + 160 = 260;
        //   h2, h3 off at 5 W. kWh per W: 24 × 365 / 1000 × 1.4 = 12.264
        #expect(abs((carbon.beforeKWh ?? 0) - (164.375 + 160 + 171.25 * 2) * 12.264) < 0.01)
        #expect(abs((carbon.afterKWh ?? 0) - (255 + 260 + 5 + 5) * 12.264) < 0.01)
        // berlin-a 380 g, paris-b 56 g
        let before = (164.375 + 160) * 12.264 * 0.380 + 171.25 * 2 * 12.264 * 0.056
        let after = (255 + 260) * 12.264 * 0.380 + 10 * 12.264 * 0.056
        #expect(abs(carbon.beforeKgCO2e - before) < 0.01)
        #expect(abs(carbon.afterKgCO2e - after) < 0.01)
        // h2 and h3 freed: 1200 kg / 5 years each
        #expect(abs((carbon.embodiedAvoidedKgCO2e ?? 0) - 480) < 0.01)
        // Stranded after: h0 and h1 hold 8 of 14.4 usable cores and 64 of 57.6 GiB usable memory... no:
        // memory requested 8 + 8 + 24 = 40 GiB of 57.6 usable; web (3 cores, 8 GiB) still fits → nothing stranded.
        #expect(report.strandedAfter.allSatisfy { $0.stranded == 0 })
        #expect(report.hostsBefore == 4)
    }

    @Test func strandedCapacityWhenOneDimensionIsFull() throws {
        // One 4-core/60 GiB instance on a 16-core/64 GiB host: memory is full for any further instance,
        // so the 12 free cores (14.4 usable - 4 requested = 10.4 at 90 % headroom) are stranded.
        let problem = Problem(
            dimensions: [Self.cpu, Self.memory],
            hosts: [ApiaryCore.Host(name: "m0", capacity: Resources([16_000, 64 * Self.gib]))],
            services: [
                Service(
                    name: "big.prod", package: PackageIdent(origin: "acme", name: "big"), count: 1,
                    requests: Resources([4_000, 50 * Self.gib]))
            ],
            policy: Policy(headroom: [0.9, 0.9]))
        let plan = Plan(assignment: [0], unplaced: [], lowerBound: LowerBound(value: 1, argument: []))
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        let report = UtilizationReport(problem: problem, document: doc, assignment: [0])
        #expect(abs(report.strandedAfter[0].stranded - 10.4) < 1e-9)
        #expect(report.strandedTable.text(row: "cpu", column: "stranded_after") == "10.40")
        #expect(report.strandedTable.text(row: "cpu", column: "stranded_after_pct") == "65.0")
        #expect(report.hosts[0].strandedBy == "memory")
        // Without a current placement, "before" is every active host on, and the report says so.
        #expect(report.warnings.contains { $0.contains("no current placement") })
    }

    @Test func strandedByAFullDimensionEvenWhenSmallInstancesStillFit() throws {
        // 55 of 57.6 usable GiB requested (95.5 %): the host's free cpu is stranded by memory, although
        // the small service (1 core, 1 GiB) would still fit. Memory's own free 2.6 GiB is not stranded.
        let problem = Problem(
            dimensions: [Self.cpu, Self.memory],
            hosts: [ApiaryCore.Host(name: "m0", capacity: Resources([16_000, 64 * Self.gib]))],
            services: [
                Service(
                    name: "big.prod", package: PackageIdent(origin: "acme", name: "big"), count: 1,
                    requests: Resources([2_000, 55 * Self.gib])),
                Service(
                    name: "small.prod", package: PackageIdent(origin: "acme", name: "small"), count: 1,
                    requests: Resources([1_000, 1 * Self.gib])),
            ],
            policy: Policy(headroom: [0.9, 0.9]))
        let plan = Plan(assignment: [0, -1], unplaced: [], lowerBound: LowerBound(value: 1, argument: []))
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        let report = UtilizationReport(problem: problem, document: doc, assignment: [0, -1])
        #expect(abs(report.strandedAfter[0].stranded - 12.4) < 1e-9)  // 14.4 usable − 2 requested
        #expect(report.strandedAfter[1].stranded == 0)
        #expect(abs(report.strandedAfter[1].free - 2.6) < 1e-9)
        #expect(report.hosts[0].strandedBy == "memory")
        #expect(report.hostsTable.text(row: "m0", column: "stranded_by") == "memory")
    }

    @Test func deterministicAndSelfContained() throws {
        let (a, _) = try Self.report()
        let (b, _) = try Self.report()
        for format in ReportFormat.allCases { #expect(a.render(format) == b.render(format)) }
        let html = a.render(.html)
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("@import"))
        #expect(html.contains("<svg") && html.hasPrefix("<!DOCTYPE html>"))
        #expect(!a.render(.json).contains("generated_at"))
        var stamped = a
        stamped.generatedAt = "2026-11-25T21:00Z"
        #expect(stamped.render(.markdown).contains("Generated: 2026-11-25T21:00Z"))
    }

    @Test func planReaderErrorsNameTheCulprit() throws {
        let problem = Self.fleet()
        let doc = try Self.document(problem)
        var unknownHost = doc
        unknownHost.assignments[0].host = "ghost"
        #expect(throws: ReportError.unknownHost("ghost", context: "assignments[0] (web.prod #0)")) {
            try PlanReader.assignment(of: unknownHost, for: problem)
        }
        var unknownService = doc
        unknownService.assignments[1].service = "nope.prod"
        #expect(throws: ReportError.unknownService("nope.prod", index: 1)) {
            try PlanReader.assignment(of: unknownService, for: problem)
        }
        var outOfRange = doc
        outOfRange.assignments[0].instance = 7
        #expect(throws: ReportError.instanceOutOfRange(service: "web.prod", instance: 7, count: 4)) {
            try PlanReader.assignment(of: outOfRange, for: problem)
        }
        var duplicate = doc
        duplicate.assignments[1] = duplicate.assignments[0]
        #expect(throws: ReportError.duplicateAssignment(service: "web.prod", instance: 0)) {
            try PlanReader.assignment(of: duplicate, for: problem)
        }
        var wrongFormat = doc
        wrongFormat.format = "apiary-plan/9"
        #expect(throws: ReportError.unsupportedFormat("apiary-plan/9")) {
            try PlanReader.assignment(of: wrongFormat, for: problem)
        }
        #expect(ReportError.unknownHost("ghost", context: "hosts[3]").description.contains("\"ghost\" is not in the inventory"))
    }

    @Test func staleCarbonFiguresAreFlagged() throws {
        let problem = Self.fleet()
        var doc = try Self.document(problem)
        doc.carbon!.savedKWh += 1000
        let report = UtilizationReport(problem: problem, document: doc, assignment: Self.planned)
        #expect(report.warnings.contains { $0.contains("differ") })
        #expect(report.carbonTable.text(row: "energy", column: "saved") == ReportNumber(doc.carbon!.savedKWh, .fixed2).text())
    }

    @Test func numberRendering() {
        #expect(ReportNumber(1234567.891, .fixed2).text(grouped: true) == "1,234,567.89")
        #expect(ReportNumber(-1234.5, .fixed1).text(grouped: true) == "-1,234.5")
        #expect(ReportNumber(-0.001, .fixed2).text() == "0.00")
        #expect(ReportNumber(0.8345, .percent).text() == "83.5" || ReportNumber(0.8345, .percent).text() == "83.4")
        #expect(ReportNumber(999, .integer).text(grouped: true) == "999")
    }
}
