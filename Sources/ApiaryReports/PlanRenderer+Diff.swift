public import ApiaryCore

extension PlanRenderer {
    /// The `terraform plan`-style dry run of a migration: per host the instances arriving
    /// (`+`) and leaving (`-`), the hosts to power off, the waves in order, and one summary
    /// line ("41 of 120 hosts freed, 412 moves in 9 waves; lower bound 40").
    ///
    /// Reads only the plan document (`migration.waves`, `hosts`, `summary`), so it renders
    /// a saved plan as well as a fresh one. Hosts in document (inventory) order, instances
    /// by service then number. Pure; ANSI colors when `color` is set.
    ///
    /// - Parameter movesPerWave: moves listed per wave before "… and N more" (nil: all).
    public func diff(_ doc: PlanDocument, movesPerWave: Int? = 10) -> String {
        let waves = doc.migration?.waves ?? []
        let spares = Set(doc.migration?.spareHosts ?? [])
        enum Kind: Int { case arriving, leaving, stopping }
        struct Line {
            var service: String
            var instance: Int
            var kind: Kind
            var other: String?
            var wave: Int
        }
        var byHost = [String: [Line]]()
        var starts = 0
        for (w, wave) in waves.enumerated() {
            for m in wave {
                byHost[m.to, default: []].append(Line(service: m.service, instance: m.instance, kind: .arriving, other: m.from, wave: w + 1))
                if let from = m.from {
                    byHost[from, default: []].append(Line(service: m.service, instance: m.instance, kind: .leaving, other: m.to, wave: w + 1))
                } else {
                    starts += 1
                }
            }
        }
        // Running instances no host may take stop before the first wave.
        let stops = doc.migration?.stops ?? []
        for stop in stops {
            byHost[stop.host, default: []].append(
                Line(service: stop.service, instance: stop.instance, kind: .stopping, other: nil, wave: 0))
        }
        let s = doc.summary
        let lowerBound = s.lowerBound
        var out = ""
        let powerOff = doc.hosts.filter { $0.action == "power-off" }
        if waves.isEmpty && powerOff.isEmpty && stops.isEmpty {
            out += paintDiff("No changes.", "1") + " The running fleet already matches the plan.\n\n"
            out += "Plan: \(s.hostsFreed) of \(s.hostsBefore ?? s.hostsTotal) hosts freed, 0 moves; lower bound \(lowerBound).\n"
            return out
        }
        out += paintDiff("Apiary will perform the following changes:", "1") + "\n\n"
        for h in doc.hosts {
            guard var lines = byHost[h.name] else {
                if h.action == "power-off" {
                    out += "  " + paintDiff("- \(h.name)", "31") + hostSuffix(h) + "  " + paintDiff("power off", "31;1") + "\n"
                }
                continue
            }
            lines.sort {
                ($0.service, $0.instance, $0.wave, $0.kind.rawValue) < ($1.service, $1.instance, $1.wave, $1.kind.rawValue)
            }
            let before = h.instancesBefore ?? 0
            let symbol: String
            let code: String
            var tail = ""
            if spares.contains(h.name) {
                symbol = "⇄"
                code = "36"
                tail = "  " + paintDiff("spare (free before and after)", "36")
            } else if h.action == "power-off" {
                symbol = "-"
                code = "31"
                tail = "  " + paintDiff("power off", "31;1")
            } else if before == 0 && h.instances > 0 {
                symbol = "+"
                code = "32"
                tail = "  " + paintDiff("power on", "32;1")
            } else {
                symbol = "~"
                code = "33"
            }
            out += "  " + paintDiff("\(symbol) \(h.name)", code) + hostSuffix(h) + tail + "\n"
            let width = lines.map { "\($0.service)[\($0.instance)]".count }.max() ?? 0
            for l in lines {
                let name = "\(l.service)[\(l.instance)]"
                let pad = String(repeating: " ", count: width - name.count)
                switch l.kind {
                case .arriving:
                    let from = l.other.map { "from \($0)" } ?? "start"
                    out += "      " + paintDiff("+ \(name)", "32") + pad + "  \(from), wave \(l.wave)\n"
                case .leaving:
                    out += "      " + paintDiff("- \(name)", "31") + pad + "  to \(l.other ?? "?"), wave \(l.wave)\n"
                case .stopping:
                    out += "      " + paintDiff("- \(name)", "31") + pad + "  " + paintDiff("stops", "31;1")
                        + " before the waves (no host may take it; see unplaced)\n"
                }
            }
        }
        if !powerOff.isEmpty {
            out += "\n" + paintDiff("Hosts to power off", "1") + " (\(powerOff.count)): "
            out += powerOff.map(\.name).joined(separator: ", ") + "\n"
        }
        if !waves.isEmpty {
            out += "\n" + paintDiff("Waves", "1") + " (make-before-break: each new copy starts before its old one stops):\n"
            let digits = String(waves.count).count
            for (w, wave) in waves.enumerated() {
                let number = String(repeating: " ", count: digits - String(w + 1).count) + "\(w + 1)"
                let sorted = wave.sorted { ($0.service, $0.instance) < ($1.service, $1.instance) }
                let shown = movesPerWave.map { Array(sorted.prefix($0)) } ?? sorted
                var parts = shown.map { m in "\(m.service)[\(m.instance)] \(m.from ?? "(start)") → \(m.to)" }
                if shown.count < sorted.count { parts.append("… and \(sorted.count - shown.count) more") }
                let started = wave.filter { $0.from == nil }.count
                let moved = wave.count - started
                var what = [String]()
                if moved > 0 { what.append("\(moved) move\(moved == 1 ? "" : "s")") }
                if started > 0 { what.append("\(started) start\(started == 1 ? "" : "s")") }
                out += "  \(number). " + what.joined(separator: ", ") + ": " + parts.joined(separator: ", ") + "\n"
            }
        }
        if !spares.isEmpty {
            out += "\nSpare hosts used to break cycles of moves: " + spares.sorted().joined(separator: ", ") + "\n"
        }
        let waveCount = s.waves ?? waves.count
        var summary = "\(s.hostsFreed) of \(s.hostsBefore ?? s.hostsTotal) hosts freed, \(s.moves) move\(s.moves == 1 ? "" : "s")\(budgetSuffix)"
        if starts > 0 { summary += " and \(starts) start\(starts == 1 ? "" : "s")" }
        summary += " in \(waveCount) wave\(waveCount == 1 ? "" : "s")"
        if !stops.isEmpty { summary += " after \(stops.count) stop\(stops.count == 1 ? "" : "s")" }
        summary += "; lower bound \(lowerBound)"
        out += "\n" + paintDiff("Plan:", "1") + " \(summary).\n"
        return out
    }

    private func hostSuffix(_ h: PlanDocument.HostEntry) -> String {
        var text = ""
        if let zone = h.zone { text += " (\(zone))" }
        if let b = h.instancesBefore { text += "  \(b) → \(h.instances) instances" }
        return text
    }

    private func paintDiff(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
}
