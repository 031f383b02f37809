import ApiaryCore

/// Output formats of `apiary report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case html
    case markdown
    case csv
    case json
}

extension UtilizationReport {
    /// The report in `format`: deterministic for the same report (no timestamp unless one was given).
    public func render(_ format: ReportFormat) -> String {
        switch format {
        case .html: renderHTML()
        case .markdown: renderMarkdown()
        case .csv: renderCSV()
        case .json: renderJSON()
        }
    }

    // MARK: Markdown

    public func renderMarkdown() -> String {
        var out = "# \(title)\n\n"
        out += headerLines.map { "- \($0)\n" }.joined()
        if !headerLines.isEmpty { out += "\n" }
        for w in warnings { out += "> **Note:** \(w)\n\n" }
        out += "**\(headline)**\n\n"
        for table in tables {
            out += "## \(table.title)\n\n"
            if let note = table.note { out += "\(note)\n\n" }
            out += "| " + table.columns.map { Self.markdownEscape($0.title) }.joined(separator: " | ") + " |\n"
            out += "|" + table.columns.map { $0.numeric ? " ---: |" : " --- |" }.joined() + "\n"
            for row in table.rows {
                out += "| " + row.cells.map { Self.markdownEscape($0.text(grouped: true)) }.joined(separator: " | ")
                    + " |\n"
            }
            out += "\n"
        }
        out += "## Definitions\n\n"
        for (term, text) in Self.definitions { out += "- **\(term)**: \(text)\n" }
        return out
    }

    static func markdownEscape(_ s: String) -> String {
        s.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")
    }

    /// Inventory and timestamp lines shared by the formats for people.
    var headerLines: [String] {
        var lines = [String]()
        if let inv = inventory {
            lines.append("Inventory: \(Self.describeFiles(inv.files)) (sha256 \(inv.digest.prefix(12)))")
            if let objective = inv.objective { lines.append("Objective: \(objective)") }
        }
        if let generatedAt { lines.append("Generated: \(generatedAt)") }
        return lines
    }

    /// "a.toml, b.toml", or "fixtures/demo/ (5 files)" when many files share one directory.
    static func describeFiles(_ files: [String]) -> String {
        func directory(_ f: String) -> Substring { f.lastIndex(of: "/").map { f[...$0] } ?? "" }
        if files.count > 2, let first = files.first, !directory(first).isEmpty,
            files.allSatisfy({ directory($0) == directory(first) })
        {
            return "\(directory(first)) (\(files.count) files)"
        }
        return files.joined(separator: ", ")
    }

    /// One sentence with the result, numbers as in the tables.
    public var headline: String {
        let hosts = "\(summary.hostsUsed) of \(TextFormat.count(summary.hostsTotal, "host")) on after the plan (\(hostsBefore) before, "
            + "lower bound \(summary.lowerBound))"
        var carbonText = "saves \(grouped("saved_kwh")) kWh and \(grouped("saved_kgco2e")) kgCO2e"
        if carbon.band != nil {
            carbonText += " (band " + TextFormat.range(grouped("saved_kgco2e_low"), grouped("saved_kgco2e_high")) + " kgCO2e)"
        }
        let days = carbon.assumptions["horizon_days"].map { " (\($0.value) days)" } ?? ""
        return "\(hosts); \(carbonText) over the horizon\(days)."
    }

    /// A summary value as Markdown/HTML show it (grouped, same rounding as the table).
    func grouped(_ key: String) -> String {
        summaryTable.rows.first { $0.key == key }?.cells[1].text(grouped: true) ?? ""
    }

    // MARK: CSV

    /// One long table: `table,row,column,value` (every number of every table, ungrouped).
    public func renderCSV() -> String {
        var out = "table,row,column,value\n"
        for table in tables {
            for row in table.rows {
                for (c, column) in table.columns.enumerated() {
                    out += [table.id, row.key, column.id, row.cells[c].text(grouped: false)].map(Self.csvField)
                        .joined(separator: ",") + "\n"
                }
            }
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }

    // MARK: JSON

    /// `{"format": "apiary-report/1", ..., "tables": {id: [ {column: value} ]}}`; numbers rounded as
    /// in every other format, keys in column order.
    public func renderJSON() -> String {
        var out = "{\n"
        out += "  \"format\": \"apiary-report/1\",\n"
        out += "  \"title\": \(Self.jsonString(title)),\n"
        if let generatedAt { out += "  \"generated_at\": \(Self.jsonString(generatedAt)),\n" }
        if let inv = inventory {
            out += "  \"inventory\": { \"digest\": \(Self.jsonString(inv.digest)), \"files\": ["
                + inv.files.map(Self.jsonString).joined(separator: ", ") + "] },\n"
        }
        out += "  \"power_curve\": \(Self.jsonString(powerCurve)),\n"
        out += "  \"warnings\": [" + warnings.map(Self.jsonString).joined(separator: ", ") + "],\n"
        out += "  \"definitions\": {\n"
        out += Self.definitions.map { "    \(Self.jsonString($0.0)): \(Self.jsonString($0.1))" }.joined(separator: ",\n")
        out += "\n  },\n"
        out += "  \"tables\": {\n"
        out += tables.map { table in
            var t = "    \(Self.jsonString(table.id)): [\n"
            t += table.rows.map { row in
                "      { "
                    + table.columns.enumerated().map { c, column in
                        "\(Self.jsonString(column.id)): \(Self.jsonValue(row.cells[c]))"
                    }.joined(separator: ", ") + " }"
            }.joined(separator: ",\n")
            return t + (table.rows.isEmpty ? "]" : "\n    ]")
        }.joined(separator: ",\n")
        out += "\n  }\n}\n"
        return out
    }

    static func jsonValue(_ cell: ReportCell) -> String {
        switch cell {
        case .text(let s): jsonString(s)
        case .number(let n): n.text(grouped: false)
        case .empty: "null"
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self {
            if c == target { out += replacement } else { out.append(c) }
        }
        return out
    }
}
