public import ApiaryCore

/// Renders a plan document for people: a `nomad job plan` / `terraform plan` style dry-run on
/// a terminal, or the same content as Markdown. Deterministic: hosts in inventory order,
/// reasons by count then name.
public struct PlanRenderer: Sendable {
    public var title: String
    public var color: Bool
    /// The move budget the plan was made under (`--max-moves`, `[policy] max_moves`), shown
    /// next to the moves.
    public var maxMoves: Int?

    public init(title: String, color: Bool = false, maxMoves: Int? = nil) {
        self.title = title
        self.color = color
        self.maxMoves = maxMoves
    }

    /// " (budget 500)" when a move budget is set.
    var budgetSuffix: String { maxMoves.map { " (budget \($0))" } ?? "" }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// The dry-run summary for a terminal.
    public func table(_ doc: PlanDocument, dimensions: [String]) -> String {
        var out = ""
        let s = doc.summary
        out += paint("Apiary plan", "1") + ": \(title)\n\n"
        let gap = s.lowerBound > 0 ? Double(s.hostsUsed - s.lowerBound) / Double(s.lowerBound) * 100 : 0
        let before = s.hostsBefore.map { "\($0) on before, " } ?? ""
        out += "  Hosts:        \(s.hostsTotal) total, \(before)\(paint("\(s.hostsUsed) used", "1")), "
        out += paint("\(s.hostsFreed) freed", "32") + "\n"
        out += "  Lower bound:  \(TextFormat.count(s.lowerBound, "host"))"
        if s.unplaced == 0 && s.lowerBound > 0 {
            out += " (plan within \(Self.percent(gap / 100)) of optimal)"
        } else if s.unplaced > 0 && s.lowerBound > s.hostsTotal {
            // The bound is for placing every instance: more hosts than the fleet has.
            out += " to place every instance, more than the fleet's \(s.hostsTotal): some cannot be placed"
        } else if s.unplaced > 0 {
            out += " to place every instance"
        }
        if let lb = doc.lowerBound, !lb.argument.isEmpty { out += "; " + lb.argument.joined(separator: "; ") }
        out += "\n"
        let util = dimensions.compactMap { d in s.utilization[d].map { "\(d) \(Self.percent($0))" } }
        if s.hostsUsed == 0 || util.isEmpty {
            out += "  Utilization:  - (no hosts used)\n"
        } else {
            out += "  Utilization:  " + util.joined(separator: ", ") + " (of the hosts used)\n"
        }
        out += "  Instances:    \(s.instances) total, \(s.instances - s.unplaced) placed"
        out += s.unplaced > 0 ? ", " + paint("\(s.unplaced) unplaced", "31") + "\n" : "\n"
        if let waves = s.waves {
            out += "  Moves:        \(TextFormat.count(s.moves, "move"))\(budgetSuffix) in \(TextFormat.count(waves, "wave"))\n"
        }
        if let c = doc.carbon { out += "  Carbon:       " + Self.carbonLine(c) + "\n" }
        out += "\n"
        out += doc.hosts.isEmpty ? "No hosts in the inventory.\n" : hostTable(doc, dimensions: dimensions)
        if !doc.unplaced.isEmpty {
            out += "\n" + paint("Unplaced instances", "31;1") + ":\n"
            let hosts = doc.summary.hostsTotal
            for u in doc.unplaced {
                out += "  \(u.service)[\(u.instance)]: 0/\(hosts) hosts fit: \(Self.reasons(u.reasons))\n"
            }
        }
        if let notes = doc.notes, !notes.isEmpty {
            out += "\nNotes:\n" + notes.map { "  - \($0)\n" }.joined()
        }
        return out
    }

    /// "12 insufficient memory, 3 selector arch=arm64, 2 hosts have no zone": largest counts first.
    public static func reasons(_ r: [String: Int]) -> String {
        r.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { TextFormat.reason($0.key, hosts: $0.value) }.joined(separator: ", ")
    }

    /// "saves 41.0 t CO2e/yr (30.0–46.0), 107,500 kWh/yr" — over the estimate's horizon; a
    /// negative band reads "(-288.7 to -232.2)".
    public static func carbonLine(_ c: PlanDocument.Carbon) -> String {
        let horizon = c.assumptions["horizon_days"]?.value ?? "365"
        let per = horizon == "365" ? "/yr" : " over \(horizon) days"
        func mass(_ kg: Double) -> String { abs(kg) >= 1000 ? fixed(kg / 1000, 1) + " t" : fixed(kg, 1) + " kg" }
        var line = "saves \(mass(c.savedKgCO2e)) CO2e\(per)"
        if let b = c.band {
            let lo = min(b.savedKgCO2eLow, b.savedKgCO2eHigh)
            let hi = max(b.savedKgCO2eLow, b.savedKgCO2eHigh)
            let unit = abs(c.savedKgCO2e) >= 1000 ? 1000.0 : 1.0
            line += " (" + TextFormat.range(fixed(lo / unit, 1), fixed(hi / unit, 1)) + ")"
        }
        line += ", \(grouped(c.savedKWh)) kWh\(per)"
        return line
    }

    private func hostTable(_ doc: PlanDocument, dimensions: [String]) -> String {
        let showBefore = doc.hosts.contains { $0.instancesBefore != nil }
        var header = ["HOST", "ZONE", "STATE"]
        if showBefore { header.append("BEFORE") }
        header += ["AFTER"] + dimensions.map { $0.uppercased() } + ["ACTION"]
        var rows = [[String]]()
        for h in doc.hosts {
            var row = [h.name, h.zone ?? "-", h.state ?? "active"]
            if showBefore { row.append(h.instancesBefore.map(String.init) ?? "-") }
            row.append(String(h.instances))
            for d in dimensions { row.append(h.utilization[d].map { Self.percent($0) } ?? "-") }
            row.append(h.action ?? "")
            rows.append(row)
        }
        return Self.align([header] + rows, paint: { r, c, text in
            if r == 0 { return self.paint(text, "1") }
            if c == header.count - 1 {
                switch text.trimmingTrailing() {
                case "power-off": return self.paint(text, "32")
                default: return text
                }
            }
            return text
        })
    }

    /// Left-aligned columns separated by two spaces.
    static func align(_ rows: [[String]], paint: (Int, Int, String) -> String = { $2 }) -> String {
        guard let width = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (c, cell) in row.enumerated() { widths[c] = max(widths[c], cell.count) } }
        var out = ""
        for (r, row) in rows.enumerated() {
            var line = ""
            for (c, cell) in row.enumerated() {
                let padded = c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count + 2)
                line += paint(r, c, padded)
            }
            out += line + "\n"
        }
        return out
    }

    /// The same content as Markdown.
    public func markdown(_ doc: PlanDocument, dimensions: [String]) -> String {
        let s = doc.summary
        var out = "# Apiary plan: \(title)\n\n"
        out += "| | |\n|---|---|\n"
        out += "| Hosts total | \(s.hostsTotal) |\n"
        if let b = s.hostsBefore { out += "| Hosts on before | \(b) |\n" }
        out += "| Hosts used | \(s.hostsUsed) |\n| Hosts freed | \(s.hostsFreed) |\n| Lower bound | \(s.lowerBound) |\n"
        out += "| Instances | \(s.instances) total, \(s.instances - s.unplaced) placed, \(s.unplaced) unplaced |\n"
        if let w = s.waves { out += "| Moves | \(TextFormat.count(s.moves, "move")) in \(TextFormat.count(w, "wave")) |\n" }
        for d in dimensions { if let u = s.utilization[d] { out += "| Utilization \(d) | \(Self.percent(u)) |\n" } }
        if let c = doc.carbon { out += "| Carbon | \(Self.carbonLine(c)) |\n" }
        out += "\n## Hosts\n\n"
        let showBefore = doc.hosts.contains { $0.instancesBefore != nil }
        var header = ["Host", "Zone", "State"]
        if showBefore { header.append("Before") }
        header += ["After"] + dimensions + ["Action"]
        out += "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: "---|", count: header.count) + "\n"
        for h in doc.hosts {
            var row = [h.name, h.zone ?? "-", h.state ?? "active"]
            if showBefore { row.append(h.instancesBefore.map(String.init) ?? "-") }
            row.append(String(h.instances))
            for d in dimensions { row.append(h.utilization[d].map { Self.percent($0) } ?? "-") }
            row.append(h.action ?? "")
            out += "| " + row.joined(separator: " | ") + " |\n"
        }
        if !doc.unplaced.isEmpty {
            out += "\n## Unplaced\n\n| Instance | Reasons |\n|---|---|\n"
            for u in doc.unplaced { out += "| \(u.service)[\(u.instance)] | \(Self.reasons(u.reasons)) |\n" }
        }
        return out
    }

    /// A fraction as a percentage, "6.3 %" (see ``TextFormat/percent(_:)``).
    public static func percent(_ x: Double) -> String { TextFormat.percent(x) }

    /// Fixed-point formatting, halves away from zero (see ``TextFormat/fixed(_:_:)``).
    public static func fixed(_ x: Double, _ digits: Int) -> String { TextFormat.fixed(x, digits) }

    /// 107500 → "107,500".
    public static func grouped(_ x: Double) -> String {
        let n = Int64(x.rounded())
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}

extension String {
    func trimmingTrailing() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
