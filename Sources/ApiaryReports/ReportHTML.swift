import ApiaryCore

/// The HTML report: one self-contained file (inline CSS and SVG, no scripts, fonts or network).
extension UtilizationReport {
    public func renderHTML() -> String {
        var body = ""
        body += "<header><h1>\(Self.esc(title))</h1>"
        for line in headerLines { body += "<p class=\"meta\">\(Self.esc(line))</p>" }
        body += "</header>\n"
        for w in warnings { body += "<p class=\"note\">\(Self.esc(w))</p>\n" }
        body += "<p class=\"headline\">\(Self.esc(headline))</p>\n"
        body += kpiCards()

        body += section("Hosts on versus the lower bound", id: "summary") {
            hostsChart()
                + "<p class=\"caption\">\(Self.esc(Self.definitions[2].1)) \(Self.esc(gapSentence))</p>"
                + "<details><summary>All summary figures</summary>" + tableHTML(summaryTable, showTitle: false)
                + "</details>"
        }
        body += section("Utilization per host", id: "utilization") {
            "<p class=\"caption\">Each chart sorts the hosts by utilization of one dimension, before and after "
                + "independently, so the freed tail shows at the right. \(Self.esc(Self.definitions[0].1))</p>"
                + "<div class=\"grid\">" + dimensions.indices.map { utilizationChart($0) }.joined() + "</div>"
                + tableHTML(utilizationTable, showTitle: false)
        }
        body += section("Stranded capacity", id: "stranded") {
            "<p class=\"caption\">\(Self.esc(Self.definitions[1].1))</p>" + strandedChart()
                + tableHTML(strandedTable, showTitle: false, showNote: false)
        }
        body += section("Energy and carbon", id: "carbon") {
            "<div class=\"grid\">" + energyChart(kWh: true) + energyChart(kWh: false) + "</div>"
                + "<p class=\"caption\">Whiskers: the same placements under the linear and the fan power curve.</p>"
                + tableHTML(carbonTable, showTitle: false) + tableHTML(curvesTable)
        }
        body += section("By grid zone", id: "zones") { zonesChart() + tableHTML(zonesTable, showTitle: false) }
        if !unplaced.isEmpty { body += section("Unplaced instances", id: "unplaced") { tableHTML(unplacedTable, showTitle: false) } }
        body += section("Assumptions", id: "assumptions") { tableHTML(assumptionsTable, showTitle: false) }
        body += section("Hosts", id: "host-table") {
            "<details><summary>\(TextFormat.count(hosts.count, "host")): utilization, power and emissions before and after</summary>"
                + tableHTML(hostsTable, showTitle: false) + "</details>"
        }
        body += section("Definitions", id: "definitions") {
            "<dl>" + Self.definitions.map { "<dt>\(Self.esc($0.0))</dt><dd>\(Self.esc($0.1))</dd>" }.joined() + "</dl>"
        }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Self.esc(title))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <main>
            \(body)</main>
            </body>
            </html>

            """
    }

    static let css = """
        :root{--before:#9aa3af;--after:#2f6fb3;--good:#2e8b57;--stranded:#e07b24;--free:#b9dcc4;--reserve:#e5e7eb;\
        --ink:#1f2933;--muted:#5f6b7a;--line:#d9dee4}
        *{box-sizing:border-box}
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;\
        color:var(--ink);background:#f6f7f9}
        main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
        h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 10px}h3{font-size:15px;margin:14px 0 6px}
        .meta{margin:0;color:var(--muted);font-size:13px}
        .headline{font-size:17px;font-weight:600;margin:16px 0}
        .note{background:#fff7e6;border-left:4px solid var(--stranded);padding:8px 12px;margin:10px 0}
        section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:18px 0}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin:16px 0}
        .card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 14px}
        .card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
        .card .v{font-size:22px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
        .card .s{color:var(--muted);font-size:12.5px}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(470px,1fr));gap:14px}
        figure{margin:0}figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
        svg{width:100%;height:auto;display:block}
        svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11px}
        svg .axis{fill:var(--muted)}
        .caption{color:var(--muted);font-size:13px;margin:4px 0 10px}
        .legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;color:var(--muted);margin:4px 0 8px}
        .legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}
        .tablewrap{overflow-x:auto;margin-top:10px}
        table{border-collapse:collapse;font-size:13px;width:100%}
        th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        th{background:#f0f2f5;font-weight:600}
        td:first-child{white-space:nowrap}
        td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        td.n{white-space:nowrap}
        details summary{cursor:pointer;color:var(--after)}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 14px;margin:0}dt{font-weight:600}dd{margin:0}
        @media print{body{background:#fff}section{break-inside:avoid}}
        """

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    func section(_ title: String, id: String, _ content: () -> String) -> String {
        "<section id=\"\(id)\"><h2>\(Self.esc(title))</h2>\n\(content())\n</section>\n"
    }

    func tableHTML(_ table: ReportTable, showTitle: Bool = true, showNote: Bool = true) -> String {
        var out = ""
        if showTitle { out += "<h3>\(Self.esc(table.title))</h3>" }
        if showNote, let note = table.note { out += "<p class=\"caption\">\(Self.esc(note))</p>" }
        out += "<div class=\"tablewrap\"><table data-table=\"\(table.id)\"><thead><tr>"
        for c in table.columns { out += "<th\(c.numeric ? " class=\"n\"" : "")>\(Self.esc(c.title))</th>" }
        out += "</tr></thead><tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for (i, cell) in row.cells.enumerated() {
                out += "<td\(table.columns[i].numeric ? " class=\"n\"" : "")>\(Self.esc(cell.text(grouped: true)))</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody></table></div>"
    }

    /// How far the plan is from the proven bound, in words.
    var gapSentence: String {
        let gap = summary.hostsUsed - summary.lowerBound
        if gap <= 0 { return "The plan meets the bound: no valid placement uses fewer hosts." }
        return "The plan uses \(TextFormat.count(gap, "host")) more than the bound: at most \(gap) from the optimum."
    }

    // MARK: Cards

    func kpiCards() -> String {
        func card(_ key: String, _ value: String, _ sub: String) -> String {
            "<div class=\"card\"><div class=\"k\">\(Self.esc(key))</div><div class=\"v\">\(Self.esc(value))</div>"
                + "<div class=\"s\">\(Self.esc(sub))</div></div>"
        }
        var cards = [
            card("Hosts on", "\(hostsBefore) → \(summary.hostsUsed)", "of \(summary.hostsTotal); lower bound \(summary.lowerBound)"),
            card("Hosts freed", "\(summary.hostsFreed)", "to power off or retire"),
        ]
        var energySub = "over the horizon"
        var carbonSub = "over the horizon"
        if carbon.band != nil {
            carbonSub = "band " + TextFormat.range(grouped("saved_kgco2e_low"), grouped("saved_kgco2e_high"))
        }
        if let band = carbon.band {
            energySub = "band " + TextFormat.range(
                ReportNumber(band.savedKWhLow, .fixed2).text(grouped: true),
                ReportNumber(band.savedKWhHigh, .fixed2).text(grouped: true))
        }
        cards.append(card("Energy saved, kWh", grouped("saved_kwh"), energySub))
        cards.append(card("Emissions saved, kgCO2e", grouped("saved_kgco2e"), carbonSub))
        cards.append(
            card("Embodied avoided, kgCO2e", grouped("embodied_avoided_kgco2e"), "if freed hosts are retired"))
        return "<div class=\"cards\">" + cards.joined() + "</div>\n"
    }

    // MARK: Charts

    static func fmt(_ x: Double) -> String {
        // SVG coordinates: two decimals are plenty and keep the file deterministic and small.
        ReportNumber(x, .fixed2).text()
    }

    func legend(_ items: [(String, String)]) -> String {
        "<div class=\"legend\">"
            + items.map { "<span><i style=\"background:\($0.1)\"></i>\(Self.esc($0.0))</span>" }.joined() + "</div>"
    }

    /// Horizontal bars: hosts in the inventory, on before, on after, the lower bound.
    func hostsChart() -> String {
        let rows: [(String, Int, String)] = [
            ("In the inventory", summary.hostsTotal, "#e5e7eb"),
            ("On before", hostsBefore, "#9aa3af"),
            ("On after the plan", summary.hostsUsed, "#2f6fb3"),
            ("Lower bound", summary.lowerBound, "#2e8b57"),
        ]
        let width = 1000.0
        let left = 150.0
        let right = 60.0
        let barH = 22.0
        let gap = 10.0
        let maxV = Double(max(1, rows.map(\.1).max() ?? 1))
        let scale = (width - left - right) / maxV
        let height = Double(rows.count) * (barH + gap) + 8
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Hosts on versus the lower bound\">"
        for (i, row) in rows.enumerated() {
            let y = 4 + Double(i) * (barH + gap)
            let w = Double(row.1) * scale
            svg += "<text x=\"\(Self.fmt(left - 8))\" y=\"\(Self.fmt(y + barH * 0.68))\" text-anchor=\"end\">\(Self.esc(row.0))</text>"
            svg += "<rect x=\"\(Self.fmt(left))\" y=\"\(Self.fmt(y))\" width=\"\(Self.fmt(max(w, 1)))\" height=\"\(Self.fmt(barH))\" rx=\"3\" fill=\"\(row.2)\"/>"
            svg += "<text x=\"\(Self.fmt(left + w + 6))\" y=\"\(Self.fmt(y + barH * 0.68))\" font-weight=\"600\">\(row.1)</text>"
        }
        // The bound as a line across the bars: everything right of it is the optimality gap at most.
        let bx = left + Double(summary.lowerBound) * scale
        svg += "<line x1=\"\(Self.fmt(bx))\" x2=\"\(Self.fmt(bx))\" y1=\"0\" y2=\"\(Self.fmt(height - 4))\" stroke=\"#2e8b57\" stroke-dasharray=\"4 3\"/>"
        return "<figure>" + svg + "</svg></figure>"
    }

    /// One dimension: utilization of every host, sorted, before (line) and after (area).
    func utilizationChart(_ d: Int) -> String {
        let dim = dimensions[d]
        // Only hosts that have this dimension (a gpu chart of gpu hosts).
        let withDimension = hosts.indices.filter { hasCapacity[$0][d] }
        let before = withDimension.map { hosts[$0].onBefore ? hosts[$0].utilizationBefore[d] : 0 }.sorted(by: >)
        let after = withDimension.map { hosts[$0].onAfter ? hosts[$0].utilizationAfter[d] : 0 }.sorted(by: >)
        let n = max(1, withDimension.count)
        let width = 560.0
        let height = 230.0
        let left = 40.0
        let right = 12.0
        let top = 12.0
        let bottom = 34.0
        let plotW = width - left - right
        let plotH = height - top - bottom
        let yMax = max(1.0, (before + after).max() ?? 1)
        func x(_ i: Int) -> Double { left + plotW * Double(i) / Double(n) }
        func y(_ u: Double) -> Double { top + plotH * (1 - u / yMax) }

        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Self.esc(dim.name)) utilization per host\">"
        for tick in stride(from: 0.0, through: yMax + 1e-9, by: 0.25) {
            svg += "<line x1=\"\(Self.fmt(left))\" x2=\"\(Self.fmt(width - right))\" y1=\"\(Self.fmt(y(tick)))\" y2=\"\(Self.fmt(y(tick)))\" stroke=\"#d9dee4\"/>"
            svg += "<text class=\"axis\" x=\"\(Self.fmt(left - 5))\" y=\"\(Self.fmt(y(tick) + 4))\" text-anchor=\"end\">\(Int((tick * 100).rounded()))%</text>"
        }
        // The freed tail: hosts on before but not after.
        let onAfter = withDimension.filter { hosts[$0].onAfter }.count
        let onBefore = withDimension.filter { hosts[$0].onBefore }.count
        if onBefore > onAfter {
            svg += "<rect x=\"\(Self.fmt(x(onAfter)))\" y=\"\(Self.fmt(top))\" width=\"\(Self.fmt(x(onBefore) - x(onAfter)))\" height=\"\(Self.fmt(plotH))\" fill=\"#2e8b57\" opacity=\"0.08\"/>"
            let label = "\(onBefore - onAfter) freed"
            let mid = (x(onAfter) + x(onBefore)) / 2
            svg += "<text x=\"\(Self.fmt(mid))\" y=\"\(Self.fmt(top + 14))\" text-anchor=\"middle\" fill=\"#2e8b57\" font-weight=\"600\">\(label)</text>"
        }
        svg += "<path d=\"\(stepArea(after, x: x, y: y))\" fill=\"#2f6fb3\" opacity=\"0.8\"/>"
        svg += "<path d=\"\(stepLine(before, x: x, y: y))\" fill=\"none\" stroke=\"#4b5563\" stroke-width=\"1.6\"/>"
        // Headroom: the planner fills each host to at most this line.
        let hy = y(dim.headroom)
        svg += "<line x1=\"\(Self.fmt(left))\" x2=\"\(Self.fmt(width - right))\" y1=\"\(Self.fmt(hy))\" y2=\"\(Self.fmt(hy))\" stroke=\"#e07b24\" stroke-dasharray=\"5 4\"/>"
        svg += "<text x=\"\(Self.fmt(left + 4))\" y=\"\(Self.fmt(hy - 4))\" fill=\"#e07b24\">headroom \(ReportNumber(dim.headroom, .percent).text())%</text>"
        svg += "<line x1=\"\(Self.fmt(left))\" x2=\"\(Self.fmt(width - right))\" y1=\"\(Self.fmt(y(0)))\" y2=\"\(Self.fmt(y(0)))\" stroke=\"#6b7280\"/>"
        svg += "<text class=\"axis\" x=\"\(Self.fmt(left))\" y=\"\(Self.fmt(height - 14))\">host 1</text>"
        svg += "<text class=\"axis\" x=\"\(Self.fmt(width - right))\" y=\"\(Self.fmt(height - 14))\" text-anchor=\"end\">host \(withDimension.count)</text>"
        svg += "<text class=\"axis\" x=\"\(Self.fmt(left + plotW / 2))\" y=\"\(Self.fmt(height - 14))\" text-anchor=\"middle\">hosts, sorted by \(Self.esc(dim.name)) utilization</text>"
        svg += "</svg>"
        let caption = "\(dim.name): \(ReportNumber(utilizationBefore[d], .percent).text())% → "
            + "\(ReportNumber(utilizationAfter[d], .percent).text())% over the hosts on"
        return "<figure><figcaption>\(Self.esc(caption))</figcaption>"
            + legend([("after the plan", "#2f6fb3"), ("before", "#4b5563")]) + svg + "</figure>"
    }

    func stepArea(_ values: [Double], x: (Int) -> Double, y: (Double) -> Double) -> String {
        var d = "M\(Self.fmt(x(0))),\(Self.fmt(y(0)))"
        for (i, v) in values.enumerated() {
            d += "L\(Self.fmt(x(i))),\(Self.fmt(y(v)))L\(Self.fmt(x(i + 1))),\(Self.fmt(y(v)))"
        }
        return d + "L\(Self.fmt(x(values.count))),\(Self.fmt(y(0)))Z"
    }

    func stepLine(_ values: [Double], x: (Int) -> Double, y: (Double) -> Double) -> String {
        var d = ""
        for (i, v) in values.enumerated() {
            d += (i == 0 ? "M" : "L") + "\(Self.fmt(x(i))),\(Self.fmt(y(v)))L\(Self.fmt(x(i + 1))),\(Self.fmt(y(v)))"
        }
        return d
    }

    /// Per dimension, before and after: requested | stranded | free | headroom reserve, as shares of capacity.
    func strandedChart() -> String {
        let width = 1000.0
        let left = 150.0
        let right = 20.0
        let barH = 18.0
        let plotW = width - left - right
        let colors = ["#2f6fb3", "#e07b24", "#b9dcc4", "#e5e7eb"]
        var rows = [(String, UtilizationReport.Stranded)]()
        for d in dimensions.indices {
            rows.append(("\(dimensions[d].name) before", strandedBefore[d]))
            rows.append(("\(dimensions[d].name) after", strandedAfter[d]))
        }
        let height = Double(rows.count) * (barH + 8) + Double(dimensions.count) * 8 + 20
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Stranded capacity\">"
        var yPos = 4.0
        for (i, row) in rows.enumerated() {
            let s = row.1
            let cap = max(s.capacity, 1e-12)
            let parts = [min(s.used, s.usable), s.stranded, s.free, s.reserve].map { max(0, $0) / cap }
            svg += "<text x=\"\(Self.fmt(left - 8))\" y=\"\(Self.fmt(yPos + barH * 0.72))\" text-anchor=\"end\">\(Self.esc(row.0))</text>"
            var x = left
            for (k, p) in parts.enumerated() where p > 0 {
                let w = plotW * min(p, 1)
                svg += "<rect x=\"\(Self.fmt(x))\" y=\"\(Self.fmt(yPos))\" width=\"\(Self.fmt(w))\" height=\"\(Self.fmt(barH))\" fill=\"\(colors[k])\"/>"
                if k == 1, w > 34 {
                    svg += "<text x=\"\(Self.fmt(x + w / 2))\" y=\"\(Self.fmt(yPos + barH * 0.72))\" text-anchor=\"middle\" font-weight=\"600\">\(ReportNumber(s.strandedFraction, .percent).text())%</text>"
                }
                x += w
            }
            if s.capacity == 0 {
                svg += "<text class=\"axis\" x=\"\(Self.fmt(left + 4))\" y=\"\(Self.fmt(yPos + barH * 0.72))\">no hosts on</text>"
            }
            yPos += barH + 8 + (i % 2 == 1 ? 8 : 0)
        }
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg += "<text class=\"axis\" x=\"\(Self.fmt(left + plotW * tick))\" y=\"\(Self.fmt(yPos + 8))\" text-anchor=\"middle\">\(Int(tick * 100))%</text>"
        }
        svg += "</svg>"
        return legend([
            ("requested", "#2f6fb3"), ("stranded", "#e07b24"), ("free, placeable", "#b9dcc4"),
            ("headroom reserve", "#e5e7eb"),
        ]) + "<figure>" + svg + "</figure>"
    }

    /// Before and after bars with the linear–fan range as whiskers.
    func energyChart(kWh: Bool) -> String {
        let c = carbon
        let before = kWh ? (c.beforeKWh ?? 0) : c.beforeKgCO2e
        let after = kWh ? (c.afterKWh ?? 0) : c.afterKgCO2e
        let ranges: [(Double, Double)?] = [0, 1].map { i in
            let values = curves.values.map { e in
                kWh ? (i == 0 ? e.beforeKWh : e.afterKWh) : (i == 0 ? e.beforeKgCO2e : e.afterKgCO2e)
            }
            guard let lo = values.min(), let hi = values.max() else { return nil }
            return (lo, hi)
        }
        let width = 520.0
        let height = 230.0
        let left = 16.0
        let top = 24.0
        let bottom = 30.0
        let plotH = height - top - bottom
        let maxV = max(1e-9, ([before, after] + ranges.compactMap { $0?.1 }).max() ?? 1)
        func y(_ v: Double) -> Double { top + plotH * (1 - v / maxV) }
        let unit = kWh ? "kWh" : "kgCO2e"
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(unit) before and after\">"
        let bars = [("before", before, "#9aa3af"), ("after", after, "#2e8b57")]
        let barW = 120.0
        for (i, bar) in bars.enumerated() {
            let cx = left + 110 + Double(i) * 220
            svg += "<rect x=\"\(Self.fmt(cx - barW / 2))\" y=\"\(Self.fmt(y(bar.1)))\" width=\"\(Self.fmt(barW))\" height=\"\(Self.fmt(y(0) - y(bar.1)))\" rx=\"3\" fill=\"\(bar.2)\"/>"
            if let r = ranges[i] {
                svg += "<line x1=\"\(Self.fmt(cx))\" x2=\"\(Self.fmt(cx))\" y1=\"\(Self.fmt(y(r.0)))\" y2=\"\(Self.fmt(y(r.1)))\" stroke=\"#111827\" stroke-width=\"1.5\"/>"
                for v in [r.0, r.1] {
                    svg += "<line x1=\"\(Self.fmt(cx - 10))\" x2=\"\(Self.fmt(cx + 10))\" y1=\"\(Self.fmt(y(v)))\" y2=\"\(Self.fmt(y(v)))\" stroke=\"#111827\" stroke-width=\"1.5\"/>"
                }
            }
            let top = min(y(bar.1), ranges[i].map { y($0.1) } ?? y(bar.1))
            svg += "<text x=\"\(Self.fmt(cx))\" y=\"\(Self.fmt(top - 6))\" text-anchor=\"middle\" font-weight=\"600\">\(ReportNumber(bar.1, .fixed2).text(grouped: true))</text>"
            svg += "<text class=\"axis\" x=\"\(Self.fmt(cx))\" y=\"\(Self.fmt(height - 10))\" text-anchor=\"middle\">\(bar.0)</text>"
        }
        svg += "<line x1=\"\(Self.fmt(left))\" x2=\"\(Self.fmt(width - 16))\" y1=\"\(Self.fmt(y(0)))\" y2=\"\(Self.fmt(y(0)))\" stroke=\"#6b7280\"/>"
        svg += "</svg>"
        let saved = kWh ? c.savedKWh : c.savedKgCO2e
        let title = (kWh ? "Energy" : "Emissions") + ", \(unit): saves \(ReportNumber(saved, .fixed2).text(grouped: true))"
        return "<figure><figcaption>\(Self.esc(title))</figcaption>" + svg + "</figure>"
    }

    /// Per zone: kgCO2e before and after.
    func zonesChart() -> String {
        guard !zones.isEmpty else { return "" }
        let width = 1000.0
        let left = 170.0
        let right = 110.0
        let barH = 14.0
        let plotW = width - left - right
        let maxV = max(1e-9, zones.map { max($0.beforeKgCO2e, $0.afterKgCO2e) }.max() ?? 1)
        let groupH = barH * 2 + 14
        let height = Double(zones.count) * groupH + 6
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"kgCO2e per zone\">"
        for (i, z) in zones.enumerated() {
            let y0 = 4 + Double(i) * groupH
            let label = "\(Self.zoneName(z.zone)) · \(ReportNumber(z.gridIntensity, .fixed1).text(grouped: true)) g/kWh"
            svg += "<text x=\"\(Self.fmt(left - 8))\" y=\"\(Self.fmt(y0 + barH + 4))\" text-anchor=\"end\">\(Self.esc(label))</text>"
            for (k, (v, color)) in [(z.beforeKgCO2e, "#9aa3af"), (z.afterKgCO2e, "#2e8b57")].enumerated() {
                let y = y0 + Double(k) * (barH + 2)
                let w = plotW * v / maxV
                svg += "<rect x=\"\(Self.fmt(left))\" y=\"\(Self.fmt(y))\" width=\"\(Self.fmt(max(w, 0.5)))\" height=\"\(Self.fmt(barH))\" rx=\"2\" fill=\"\(color)\"/>"
                svg += "<text x=\"\(Self.fmt(left + w + 6))\" y=\"\(Self.fmt(y + barH - 3))\">\(ReportNumber(v, .fixed2).text(grouped: true))</text>"
            }
        }
        svg += "</svg>"
        return legend([("before, kgCO2e", "#9aa3af"), ("after, kgCO2e", "#2e8b57")]) + "<figure>" + svg
            + "</figure>"
    }
}
