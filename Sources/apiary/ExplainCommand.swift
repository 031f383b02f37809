import ApiaryCore
import ApiaryInventory
import ApiaryReports
import ArgumentParser

/// `apiary explain INVENTORY... --host NAME | --service NAME`.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain why a host stays on in the plan, or where a service's instances may go.",
        discussion: """
            Plans the inventory as `apiary plan` does (same options, same seed, same plan), then:

            --host NAME: tries to move every instance the plan puts on that host to the other \
            hosts that stay on, largest first, and lists each instance that finds no place with \
            the rules that refused it (capacity in which dimension, spread, selector, \
            exclusivity, the Habitat package-name rule, cordoned, the move budget), most \
            frequent first: the first is the binding constraint.

            --service NAME: for each instance, the hosts that could take it with everything \
            else as planned, and why the other hosts are excluded, as reason counts.

            Exit status: 0 success; 64 bad usage (unknown host or service); 65 invalid \
            inventory; 66 missing input; 74 I/O error.
            """)

    @Argument(help: "Inventory files or directories.")
    var inventory: [String]

    @Option(name: .long, help: "Explain why this host stays on.")
    var host: String?

    @Option(name: .long, help: "Explain where this service's instances may go.")
    var service: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: "Hosts named per instance before \"… and N more\"; 0 names none (counts only).")
    var listLimit: Int = 8

    @OptionGroup var planning: PlanningOptions

    func validate() throws {
        guard !inventory.isEmpty else { throw ValidationError("give at least one inventory file or directory") }
        guard (host == nil) != (service == nil) else { throw ValidationError("give exactly one of --host NAME or --service NAME") }
        guard listLimit >= 0 else { throw ValidationError("--list-limit must be 0 or more, got \(listLimit)") }
    }

    func run() throws {
        let inv = try loadInventory(inventory)
        let problem = inv.problem
        let hostIndex = problem.hosts.firstIndex { $0.name == host }
        let serviceIndex = problem.services.firstIndex { $0.name == service }
        if let host, hostIndex == nil {
            printError("error: no host named \"\(host)\" in the inventory")
            throw ExitStatus.usage
        }
        if let service, serviceIndex == nil {
            printError("error: no service named \"\(service)\" in the inventory")
            throw ExitStatus.usage
        }
        let (plan, _) = runPlanner(inv, options: planning, showProgress: isTerminal(2))
        let explainer = Explainer(
            problem: problem, assignment: plan.assignment,
            maxMoves: planning.plannerOptions(for: problem).maxMoves)
        let text: String
        if let h = hostIndex {
            text = ExplainText(problem: problem, listLimit: listLimit, maxMoves: explainer.maxMoves).host(explainer.explain(host: h))
        } else {
            text = ExplainText(problem: problem, listLimit: listLimit).service(explainer.explain(service: serviceIndex!))
        }
        try emit(text, to: nil)
    }
}

/// Words for explanations (rejection texts shared with the plan's unplaced reasons).
struct ExplainText {
    let problem: Problem
    let listLimit: Int
    var maxMoves: Int? = nil

    func name(_ i: Int) -> String {
        let s = problem.service(ofInstance: i)
        return "\(problem.services[s].name)[\(i - problem.instanceOffset[s])]"
    }

    /// "hive-01, hive-02, … and 3 more"; nil when there is nothing to name (no hosts, or
    /// `--list-limit 0`, which asks for counts only).
    func hostList(_ hs: [Int]) -> String? {
        guard listLimit > 0, !hs.isEmpty else { return nil }
        let names = hs.prefix(listLimit).map { problem.hosts[$0].name }
        return names.joined(separator: ", ") + (hs.count > listLimit ? ", … and \(hs.count - listLimit) more" : "")
    }

    func reasons(_ r: [Rejection: Int], service s: Int) -> [(String, Int)] {
        var words = [String: Int]()
        for (k, n) in r { words[PlanDocumentBuilder.describe(k, service: s, problem: problem), default: 0] += n }
        return words.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func host(_ e: Explainer.HostExplanation) -> String {
        let h = problem.hosts[e.host]
        switch e.status {
        case .freed:
            return "\(h.name) is freed by the plan: everything it runs now moves elsewhere, so it can be powered off.\n"
        case .idle:
            return "\(h.name) runs nothing now and gets nothing in the plan (idle).\n"
        case .keptOn:
            break
        }
        var out = "\(h.name) stays on in the plan: \(TextFormat.count(e.instances.count, "instance")) "
        out += "(\(e.instances.map(name).joined(separator: ", "))).\n"
        if h.state == .cordoned { out += "It is cordoned: it keeps what it runs now and takes nothing new.\n" }
        let verb = e.otherHostsInUse == 1 ? "stays" : "stay"
        out += "Moving them to the \(e.otherHostsInUse) other \(TextFormat.noun(e.otherHostsInUse, "host")) that \(verb) on, largest first:\n"
        if e.stuck.isEmpty {
            out += "  every instance finds a place, so the host could be freed; the planner did not get there "
            out += "within its limits (try a longer --time-limit, or a larger --max-moves).\n"
        }
        for st in e.stuck {
            let s = problem.service(ofInstance: st.instance)
            out += "  \(name(st.instance)): "
            if st.pinned {
                out += "stays: it runs on cordoned host \(h.name), which keeps what it runs\n"
                continue
            }
            let rs = reasons(st.reasons, service: s)
            if let b = st.binding, !rs.isEmpty {
                let word = PlanDocumentBuilder.describe(b, service: s, problem: problem)
                let n = rs.first { $0.0 == word }?.1 ?? 0
                out += "no host that stays on takes it; binding: \(word) (\(TextFormat.count(n, "host")))"
                let others = rs.filter { $0.0 != word }
                if !others.isEmpty { out += "; also " + others.map { "\($0.0) (\($0.1))" }.joined(separator: ", ") }
                out += "\n"
            } else {
                out += "no other host stays on\n"
            }
            if !st.alone.isEmpty {
                let fits = hostList(st.alone) ?? TextFormat.count(st.alone.count, "host")
                out += "      on its own it would fit on \(fits), but not together with the host's other instances\n"
            }
        }
        if let used = e.movesUsed {
            out += "Moves in the plan: \(used)" + (maxMoves.map { " (budget \($0))" } ?? "") + ".\n"
        }
        return out
    }

    func service(_ e: Explainer.ServiceExplanation) -> String {
        let svc = problem.services[e.service]
        var out = "\(svc.name): \(TextFormat.count(svc.count, "instance")), spread \(svc.spread)"
        if !svc.selector.isEmpty {
            out += ", selector " + svc.selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        if svc.exclusive { out += ", exclusive" }
        out += "; \(TextFormat.count(problem.hosts.count, "host")) in the inventory.\n"
        for o in e.instances {
            out += "  \(name(o.instance)) "
            out += o.placedOn >= 0 ? "on \(problem.hosts[o.placedOn].name)" : "unplaced"
            if let r = o.runsOn, r != o.placedOn { out += " (runs on \(problem.hosts[r].name) now)" }
            out += ":\n"
            out += "      may go to \(TextFormat.count(o.candidates.count, "host"))"
            out += hostList(o.candidates).map { ": \($0)\n" } ?? "\n"
            let rs = reasons(o.reasons, service: e.service)
            if !rs.isEmpty {
                out += "      excluded: " + rs.map { TextFormat.reason($0.0, hosts: $0.1) }.joined(separator: ", ") + "\n"
            }
        }
        return out
    }
}
