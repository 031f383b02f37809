import ApiaryCore
import ApiaryInventory
import ApiaryReports
import ArgumentParser

extension ReportFormat: ExpressibleByArgument {}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a utilization, energy and carbon report for capacity planners.",
        discussion: """
            INVENTORY is one or more TOML/JSON files or directories. With --plan the report \
            describes that plan (a document written by `apiary plan --format json` for this \
            inventory, checked by the same verifier as `apiary verify`: an invalid plan is refused); \
            without it, apiary plans the inventory first (same options as `plan`).

            html is one self-contained file (inline CSS and SVG charts, nothing fetched); \
            markdown, csv and json carry the same numbers, rounded identically. The output has \
            no timestamp unless --generated-at is given, so the same inputs give the same bytes.

            Exit status: 0 written; 64 bad usage; 65 invalid inventory or a plan that does not \
            match it (one `apiary verify` rejects); 66 missing input; 74 I/O error.
            """)

    @Argument(help: "Inventory files or directories.")
    var inventory: [String]

    @Option(name: .long, help: "A plan document (apiary plan --format json); without it, plan now.")
    var plan: String?

    @Option(name: .shortAndLong, help: "Output format: html, markdown, csv or json.")
    var format: ReportFormat = .html

    @Option(name: .shortAndLong, help: "Write the report to this file instead of stdout (atomically).")
    var output: String?

    @Option(name: .long, help: "Report title.")
    var title: String = "Apiary utilization report"

    @Option(name: .long, help: "A timestamp to print in the report (omitted by default for reproducible output).")
    var generatedAt: String?

    @OptionGroup var planning: PlanningOptions

    func run() throws {
        let inv = try loadInventory(inventory)
        let problem = inv.problem
        let document: PlanDocument
        let assignment: [Int]
        if let plan {
            document = try readPlanDocument(plan)
            let otherInventory = document.inventory.map { $0.digest != inv.digest } ?? false
            if otherInventory, let digest = document.inventory?.digest {
                printError(
                    "warning: \(plan) was planned from a different inventory (sha256 \(digest.prefix(12)), "
                        + "this one \(inv.digest.prefix(12))); figures the plan carries are reported as planned")
            }
            // A report states the plan's numbers as fact: only for a plan `apiary verify` accepts.
            let violations = Verifier(problem: problem).verify(document)
            if !violations.isEmpty {
                throw refuse(plan: plan, violations: violations)
            }
            do {
                assignment = try PlanReader.assignment(of: document, for: problem)
            } catch {
                printError("error: \(plan): \(error.description)")
                throw ExitStatus.dataError
            }
        } else {
            let (result, doc) = runPlanner(inv, options: planning, showProgress: isTerminal(2))
            document = doc
            assignment = result.assignment
        }
        let report = UtilizationReport(
            problem: problem, document: document, assignment: assignment, title: title, generatedAt: generatedAt)
        try emit(report.render(format), to: output)
    }

    /// Prints why the plan is refused (the first few violations) and returns exit 65.
    private func refuse(plan: String, violations: [Violation]) -> ExitCode {
        let shown = 5
        var text = "error: \(plan) is not a valid plan for \(inventory.joined(separator: " ")): "
        text += "\(TextFormat.count(violations.count, "violation")); no report written\n"
        for v in violations.prefix(shown) { text += "  - \(v)\n" }
        if violations.count > shown { text += "  … and \(violations.count - shown) more\n" }
        text += "Run `apiary verify \(inventory.joined(separator: " ")) --plan \(plan)` for the full list."
        printError(text)
        return ExitStatus.dataError
    }
}
