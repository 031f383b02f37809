import ApiaryCore
import Foundation

/// How a number is rounded for display. Every format renders a number through
/// ``ReportNumber/text(grouped:)``, so HTML, Markdown, CSV and JSON show the same digits.
public enum NumberStyle: Sendable, Equatable {
    /// A count.
    case integer
    /// A fraction rendered as a percentage with one decimal (0.0625 → "6.3").
    case percent
    /// Two decimals (kWh, kgCO2e, cores, GiB).
    case fixed2
    /// One decimal (watts, gCO2e/kWh).
    case fixed1
}

/// One number of the report and how it is rounded.
public struct ReportNumber: Sendable, Equatable {
    public var value: Double
    public var style: NumberStyle

    public init(_ value: Double, _ style: NumberStyle) {
        self.value = value
        self.style = style
    }

    /// The rounded number; `grouped` adds thousands separators (HTML and Markdown only).
    public func text(grouped: Bool = false) -> String {
        // One rounding rule for every output: halves away from zero, as the plan table rounds.
        let s: String
        switch style {
        case .integer: s = TextFormat.fixed(value, 0)
        case .percent: s = TextFormat.fixed(value * 100, 1)
        case .fixed2: s = TextFormat.fixed(value, 2)
        case .fixed1: s = TextFormat.fixed(value, 1)
        }
        return grouped ? Self.group(s) : s
    }

    static func group(_ s: String) -> String {
        var sign = ""
        var body = Substring(s)
        if body.hasPrefix("-") {
            sign = "-"
            body = body.dropFirst()
        }
        let intPart = body.prefix { $0 != "." }
        let rest = body.dropFirst(intPart.count)
        guard intPart.count > 3 else { return s }
        var out = ""
        for (i, c) in intPart.enumerated() {
            if i > 0, (intPart.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return sign + out + rest
    }
}

/// One cell of a report table.
public enum ReportCell: Sendable, Equatable {
    case text(String)
    case number(ReportNumber)
    /// No value (e.g. utilization of a host that is off).
    case empty

    public static func int(_ n: Int) -> ReportCell { .number(ReportNumber(Double(n), .integer)) }
    public static func num(_ x: Double, _ style: NumberStyle) -> ReportCell { .number(ReportNumber(x, style)) }

    public func text(grouped: Bool) -> String {
        switch self {
        case .text(let s): s
        case .number(let n): n.text(grouped: grouped)
        case .empty: ""
        }
    }
}

/// A table every format renders: id for CSV and JSON, title and columns for people.
public struct ReportTable: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// Machine name (CSV column value, JSON key).
        public var id: String
        /// Heading for people, with the unit.
        public var title: String
        public var numeric: Bool
    }

    public struct Row: Sendable, Equatable {
        /// Stable key of the row (CSV `row` field).
        public var key: String
        public var cells: [ReportCell]
    }

    public var id: String
    public var title: String
    /// What the table shows and how its numbers are defined.
    public var note: String?
    public var columns: [Column]
    public var rows: [Row]

    /// The number in row `key`, column `column`, as every format renders it (ungrouped).
    public func text(row key: String, column: String) -> String? {
        guard let r = rows.first(where: { $0.key == key }), let c = columns.firstIndex(where: { $0.id == column })
        else { return nil }
        return r.cells[c].text(grouped: false)
    }
}

extension ReportTable.Column {
    static func text(_ id: String, _ title: String) -> Self { .init(id: id, title: title, numeric: false) }
    static func number(_ id: String, _ title: String) -> Self { .init(id: id, title: title, numeric: true) }
}

extension UtilizationReport {
    /// Definitions printed with the report (and carried by the JSON).
    public static let definitions: [(String, String)] = [
        ("utilization", "Requested resources / raw capacity, over the hosts that are on."),
        (
            "stranded",
            "Free usable capacity (capacity × headroom − requested) of a dimension, on a host that is on, "
                + "that cannot be used because another dimension of that host is full (at least 95 % of its usable "
                + "capacity requested), or because not one more instance of any service fits on the host by "
                + "resources alone (placement rules aside). The host's binding dimension is its fullest one."
        ),
        ("lower_bound", "A proven lower bound on the number of hosts any valid placement needs."),
        (
            "before",
            "The current placement; without one, every active host on, carrying an even share of the planned load."
        ),
        (
            "band",
            "The same before/after under the linear and the fan power curve: the ends bound the saving."
        ),
    ]

    /// The report as tables, in reading order. Every format renders exactly these.
    public var tables: [ReportTable] {
        var out = [summaryTable, utilizationTable, strandedTable, carbonTable, curvesTable, zonesTable, hostsTable]
        if !unplaced.isEmpty { out.append(unplacedTable) }
        out.append(assumptionsTable)
        return out
    }

    public var summaryTable: ReportTable {
        let c = carbon
        func row(_ key: String, _ label: String, _ cell: ReportCell, _ unit: String = "") -> ReportTable.Row {
            .init(key: key, cells: [.text(label), cell, .text(unit)])
        }
        var rows = [
            row("hosts_total", "Hosts in the inventory", .int(summary.hostsTotal)),
            row("hosts_before", "Hosts on before", .int(hostsBefore)),
            row("hosts_used", "Hosts on after the plan", .int(summary.hostsUsed)),
            row("hosts_freed", "Hosts freed", .int(summary.hostsFreed)),
            row("lower_bound", "Lower bound on hosts", .int(summary.lowerBound)),
            row("instances", "Instances", .int(summary.instances)),
            row("unplaced", "Unplaced instances", .int(summary.unplaced)),
            row("moves", "Moves", .int(summary.moves)),
        ]
        if let waves = summary.waves { rows.append(row("waves", "Migration waves", .int(waves))) }
        rows += [
            row("saved_kwh", "Energy saved", .num(c.savedKWh, .fixed2), "kWh"),
            row("saved_kgco2e", "Emissions saved", .num(c.savedKgCO2e, .fixed2), "kgCO2e"),
        ]
        if let band = c.band {
            rows += [
                row("saved_kgco2e_low", "Emissions saved, low end of band", .num(band.savedKgCO2eLow, .fixed2), "kgCO2e"),
                row("saved_kgco2e_high", "Emissions saved, high end of band", .num(band.savedKgCO2eHigh, .fixed2), "kgCO2e"),
            ]
        }
        rows.append(
            row(
                "embodied_avoided_kgco2e", "Embodied carbon avoided (if freed hosts are retired)",
                .num(c.embodiedAvoidedKgCO2e ?? 0, .fixed2), "kgCO2e"))
        return ReportTable(
            id: "summary", title: "Summary", note: nil,
            columns: [.text("metric", "Metric"), .number("value", "Value"), .text("unit", "Unit")], rows: rows)
    }

    public var utilizationTable: ReportTable {
        ReportTable(
            id: "utilization", title: "Utilization per dimension",
            note: "Requested / raw capacity over the hosts that are on. Headroom is the usable share of capacity.",
            columns: [
                .text("dimension", "Dimension"), .number("headroom_pct", "Headroom %"),
                .number("before_pct", "Before %"), .number("after_pct", "After %"),
            ],
            rows: dimensions.indices.map { d in
                .init(
                    key: dimensions[d].name,
                    cells: [
                        .text(dimensions[d].name), .num(dimensions[d].headroom, .percent),
                        .num(utilizationBefore[d], .percent), .num(utilizationAfter[d], .percent),
                    ])
            })
    }

    public var strandedTable: ReportTable {
        ReportTable(
            id: "stranded", title: "Stranded capacity",
            note: Self.definitions[1].1 + " After the plan unless marked before; shares are of the raw capacity of the hosts on.",
            columns: [
                .text("dimension", "Dimension"), .text("unit", "Unit"),
                .number("capacity_after", "Capacity"), .number("used_after", "Requested"),
                .number("stranded_after", "Stranded"), .number("stranded_after_pct", "Stranded %"),
                .number("free_after", "Free, placeable"),
                .number("stranded_before", "Before: stranded"), .number("stranded_before_pct", "Before: stranded %"),
            ],
            rows: dimensions.indices.map { d in
                let a = strandedAfter[d]
                let b = strandedBefore[d]
                return .init(
                    key: dimensions[d].name,
                    cells: [
                        .text(dimensions[d].name), .text(dimensions[d].unit),
                        .num(a.capacity, .fixed2), .num(a.used, .fixed2), .num(a.stranded, .fixed2),
                        .num(a.strandedFraction, .percent), .num(a.free, .fixed2),
                        .num(b.stranded, .fixed2), .num(b.strandedFraction, .percent),
                    ])
            })
    }

    public var carbonTable: ReportTable {
        let c = carbon
        return ReportTable(
            id: "carbon", title: "Energy and emissions over the horizon",
            note: "Headline figures under the \(powerCurve) power curve; the band is the saving under both curves. "
                + "Embodied carbon is reported separately and never added to the saving.",
            columns: [
                .text("quantity", "Quantity"), .text("unit", "Unit"), .number("before", "Before"),
                .number("after", "After"), .number("saved", "Saved"), .number("saved_low", "Saved, low"),
                .number("saved_high", "Saved, high"),
            ],
            rows: [
                .init(
                    key: "energy",
                    cells: [
                        .text("Energy"), .text("kWh"), .num(c.beforeKWh ?? 0, .fixed2), .num(c.afterKWh ?? 0, .fixed2),
                        .num(c.savedKWh, .fixed2), c.band.map { .num($0.savedKWhLow, .fixed2) } ?? .empty,
                        c.band.map { .num($0.savedKWhHigh, .fixed2) } ?? .empty,
                    ]),
                .init(
                    key: "emissions",
                    cells: [
                        .text("Emissions"), .text("kgCO2e"), .num(c.beforeKgCO2e, .fixed2),
                        .num(c.afterKgCO2e, .fixed2), .num(c.savedKgCO2e, .fixed2),
                        c.band.map { .num($0.savedKgCO2eLow, .fixed2) } ?? .empty,
                        c.band.map { .num($0.savedKgCO2eHigh, .fixed2) } ?? .empty,
                    ]),
            ])
    }

    public var curvesTable: ReportTable {
        ReportTable(
            id: "curves", title: "Under each power curve",
            note: "linear: P = idle + (max − idle)·u; fan: P = idle + (max − idle)·(2u − u^r).",
            columns: [
                .text("curve", "Curve"), .number("before_kwh", "Before kWh"), .number("after_kwh", "After kWh"),
                .number("saved_kwh", "Saved kWh"), .number("before_kgco2e", "Before kgCO2e"),
                .number("after_kgco2e", "After kgCO2e"), .number("saved_kgco2e", "Saved kgCO2e"),
            ],
            rows: curves.keys.sorted(by: Self.curveOrder).map { name in
                let e = curves[name]!
                return .init(
                    key: name,
                    cells: [
                        .text(name), .num(e.beforeKWh, .fixed2), .num(e.afterKWh, .fixed2),
                        .num(e.beforeKWh - e.afterKWh, .fixed2), .num(e.beforeKgCO2e, .fixed2),
                        .num(e.afterKgCO2e, .fixed2), .num(e.beforeKgCO2e - e.afterKgCO2e, .fixed2),
                    ])
            })
    }

    static func curveOrder(_ a: String, _ b: String) -> Bool {
        let rank = ["linear": 0, "fan": 1]
        return (rank[a] ?? 2, a) < (rank[b] ?? 2, b)
    }

    static func zoneName(_ zone: String) -> String { zone.isEmpty ? "(no zone)" : zone }

    public var zonesTable: ReportTable {
        ReportTable(
            id: "zones", title: "By grid zone",
            note: "Hosts without a zone use the default grid intensity.",
            columns: [
                .text("zone", "Zone"), .number("grid_intensity", "gCO2e/kWh"), .number("hosts_before", "Hosts before"),
                .number("hosts_after", "Hosts after"), .number("before_kwh", "Before kWh"),
                .number("after_kwh", "After kWh"), .number("before_kgco2e", "Before kgCO2e"),
                .number("after_kgco2e", "After kgCO2e"), .number("saved_kgco2e", "Saved kgCO2e"),
            ],
            rows: zones.map { z in
                .init(
                    key: Self.zoneName(z.zone),
                    cells: [
                        .text(Self.zoneName(z.zone)), .num(z.gridIntensity, .fixed1), .int(z.hostsBefore),
                        .int(z.hostsAfter), .num(z.beforeKWh, .fixed2), .num(z.afterKWh, .fixed2),
                        .num(z.beforeKgCO2e, .fixed2), .num(z.afterKgCO2e, .fixed2),
                        .num(z.beforeKgCO2e - z.afterKgCO2e, .fixed2),
                    ])
            })
    }

    public var hostsTable: ReportTable {
        var columns: [ReportTable.Column] = [
            .text("host", "Host"), .text("zone", "Zone"), .text("state", "State"), .text("action", "Action"),
            .number("instances_before", "Instances before"), .number("instances_after", "Instances after"),
        ]
        for d in dimensions {
            columns.append(.number("\(d.name)_before_pct", "\(d.name) before %"))
            columns.append(.number("\(d.name)_after_pct", "\(d.name) after %"))
        }
        columns += [
            .number("watts_before", "W before"), .number("watts_after", "W after"),
            .number("kgco2e_before", "kgCO2e before"), .number("kgco2e_after", "kgCO2e after"),
            .text("stranded_by", "Binding"),
        ]
        return ReportTable(
            id: "hosts", title: "Hosts",
            note: "Utilization is left empty for a host that is off. \"Binding\": after the plan, the host has "
                + "stranded capacity and this is its fullest dimension.",
            columns: columns,
            rows: hosts.map { h in
                var cells: [ReportCell] = [
                    .text(h.name), .text(h.zone), .text(h.state), .text(h.action), .int(h.instancesBefore),
                    .int(h.instancesAfter),
                ]
                for d in dimensions.indices {
                    cells.append(h.onBefore ? .num(h.utilizationBefore[d], .percent) : .empty)
                    cells.append(h.onAfter ? .num(h.utilizationAfter[d], .percent) : .empty)
                }
                cells += [
                    .num(h.wattsBefore, .fixed1), .num(h.wattsAfter, .fixed1), .num(h.kgCO2eBefore, .fixed2),
                    .num(h.kgCO2eAfter, .fixed2), h.strandedBy.map { .text($0) } ?? .empty,
                ]
                return .init(key: h.name, cells: cells)
            })
    }

    public var unplacedTable: ReportTable {
        ReportTable(
            id: "unplaced", title: "Unplaced instances", note: "Reasons: number of hosts that refused for each.",
            columns: [.text("service", "Service"), .number("instance", "Instance"), .text("reasons", "Reasons")],
            rows: unplaced.map { u in
                .init(
                    key: "\(u.service)#\(u.instance)",
                    cells: [
                        .text(u.service), .int(u.instance),
                        .text(u.reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { TextFormat.reason($0.key, hosts: $0.value) }
                            .joined(separator: "; ")),
                    ])
            })
    }

    public var assumptionsTable: ReportTable {
        ReportTable(
            id: "assumptions", title: "Assumptions", note: "Every coefficient of the carbon model and where it came from.",
            columns: [.text("coefficient", "Coefficient"), .text("value", "Value"), .text("source", "Source")],
            rows: carbon.assumptions.keys.sorted().map { key in
                let a = carbon.assumptions[key]!
                return .init(key: key, cells: [.text(key), .text(a.value), .text(a.source)])
            })
    }
}
