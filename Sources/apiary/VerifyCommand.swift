import ApiaryCore
import ApiaryInventory
import ApiaryReports
import ArgumentParser

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a plan against an inventory with an independent validator.",
        discussion: """
            Lists every violation: capacity under headroom, draining and cordoned hosts, \
            selectors, exclusive tenants, spread (host, zone, label; max skew 1), the Habitat \
            package-name rule, the move budget, migration waves, and the plan's own summary.

            Exit status: 0 the plan is valid; 1 violations found; 64 bad usage; 65 invalid \
            inventory or plan document; 66 missing input; 74 I/O error.
            """)

    @Argument(help: "Inventory files or directories the plan was made from.")
    var inventory: [String]

    @Option(name: .long, help: "The plan document (apiary plan --format json).")
    var plan: String

    @Option(name: .shortAndLong, help: "Output format: table, markdown (the same text as table) or json.")
    var format: OutputFormat = .table

    func run() throws {
        let inv = try loadInventory(inventory)
        let doc = try readPlanDocument(plan)
        // Each violation once, in the order found (a broken move can trip a rule twice).
        var seen = Set<String>()
        let violations = Verifier(problem: inv.problem).verify(doc).filter { seen.insert($0.description).inserted }
        // A plan made for other inventory bytes breaks rules for that reason alone: say so first.
        let otherInventory = doc.inventory.map { $0.digest != inv.digest } ?? false
        if otherInventory, format != .json {
            printError(
                "warning: \(plan) was planned for another inventory (digest \(doc.inventory!.digest.prefix(12)), "
                    + "these files give \(inv.digest.prefix(12))); the violations below may come from that")
        }
        switch format {
        case .json:
            struct Report: Encodable {
                var valid: Bool
                var violations: [[String: String]]
                var sameInventory: Bool?
                enum CodingKeys: String, CodingKey {
                    case valid, violations
                    case sameInventory = "same_inventory"
                }
            }
            let report = Report(
                valid: violations.isEmpty,
                violations: violations.map { ["kind": $0.kind.rawValue, "message": $0.message] },
                sameInventory: doc.inventory.map { _ in !otherInventory })
            try emit(encodeJSON(report), to: nil)
        case .table, .markdown:
            if violations.isEmpty {
                try emit(
                    "OK: \(plan) is a valid plan for \(inventory.joined(separator: " ")) "
                        + "(\(TextFormat.count(doc.assignments.count, "assignment")) on "
                        + "\(TextFormat.count(doc.summary.hostsUsed, "host")), \(doc.unplaced.count) unplaced)\n",
                    to: nil)
            } else {
                var text = "INVALID: \(TextFormat.count(violations.count, "violation")) in \(plan):\n"
                for v in violations { text += "  - \(v)\n" }
                try emit(text, to: nil)
            }
        }
        if !violations.isEmpty { throw ExitCode(1) }
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check an inventory on its own and summarize it.",
        discussion: "Exit status: 0 valid; 64 bad usage; 65 invalid inventory; 66 missing input; 74 I/O error.")

    @Argument(help: "Inventory files or directories.")
    var inventory: [String]

    func run() throws {
        let inv = try loadInventory(inventory)
        let p = inv.problem
        let states = Dictionary(grouping: p.hosts, by: \.state).mapValues(\.count)
        var text = "OK: \(TextFormat.count(inv.files.count, "file")), \(TextFormat.count(p.hosts.count, "host"))"
        let byState = HostState.allCases.compactMap { s in states[s].map { "\($0) \(s.rawValue)" } }
        if !byState.isEmpty { text += " (\(byState.joined(separator: ", ")))" }
        text += ", \(TextFormat.count(p.services.count, "service")), \(TextFormat.count(p.instanceCount, "instance")), "
        text += p.dimensions.isEmpty ? "no dimensions" : "dimensions \(p.dimensions.map(\.name).joined(separator: ", "))"
        if let current = p.current {
            let running = current.compactMap { $0 }.count
            text += ", \(TextFormat.count(running, "instance")) running now"
        }
        try emit(text + "\n", to: nil)
    }
}
