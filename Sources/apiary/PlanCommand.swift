import ApiaryCore
import ApiaryInventory
import ApiaryReports
import ArgumentParser
import Foundation

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, markdown
}

/// Options every planning command shares (plan, report, explain).
///
/// Numbers are parsed unconditionally (`--seed -5` is the value -5, not a flag named `-5`), so a
/// negative or otherwise bad value gets a message that names the option and what it takes.
struct PlanningOptions: ParsableArguments {
    @Option(
        name: .long, parsing: .unconditional,
        help: "Planning time budget in seconds of a reference machine: counted in work done, so the same seed gives the same plan everywhere; it stops early at the lower bound; with a current placement, cutting moves at the host count reached gets up to 0.5x the limit more; the wall clock stops it at 2x the limit + 0.5 s.")
    var timeLimit: Double = 2.0

    @Option(
        name: .long, parsing: .unconditional,
        help: "Seed of the planner's random choices (0 to 2^64-1); the same seed gives the same plan. (default: 1)",
        transform: { try integer($0, expected: "an integer from 0 to 18446744073709551615") })
    var seed: UInt64 = 1

    @Option(
        name: .long, parsing: .unconditional,
        help: "Cap on instance moves versus the current placement (overrides [policy] max_moves).")
    var maxMoves: Int?

    @Option(
        name: .long, parsing: .unconditional,
        help: "Keep the current placement unless the plan frees at least this many hosts.")
    var minHostsFreed: Int = 0

    func validate() throws {
        guard timeLimit >= 0, timeLimit.isFinite else {
            throw ValidationError("--time-limit must be a finite number of seconds ≥ 0, got \(shown(timeLimit))")
        }
        if let maxMoves, maxMoves < 0 { throw ValidationError("--max-moves must be 0 or more, got \(maxMoves)") }
        guard minHostsFreed >= 0 else { throw ValidationError("--min-hosts-freed must be 0 or more, got \(minHostsFreed)") }
    }

    func plannerOptions(for problem: Problem) -> PlannerOptions {
        PlannerOptions(
            timeLimit: timeLimit, seed: seed, maxMoves: maxMoves ?? problem.policy.maxMoves,
            minHostsFreed: minHostsFreed)
    }
}

/// Plans an inventory and returns the plan document (shared by `plan`, `report`, `explain`).
func runPlanner(_ inventory: Inventory, options: PlanningOptions, showProgress: Bool) -> (Plan, PlanDocument) {
    let watch = Stopwatch()
    let problem = inventory.problem
    var lastReport = 0.0
    let plan = Planner.plan(
        problem, options: options.plannerOptions(for: problem), elapsed: { watch.seconds },
        progress: { p in
            guard showProgress else { return }
            let t = watch.seconds
            if t >= 1, t - lastReport >= 0.5 {
                lastReport = t
                printError("  [\(PlanRenderer.fixed(t, 1)) s] \(p.phase): \(p.hostsUsed) hosts used, lower bound \(p.lowerBound)")
            }
        })
    let ref = PlanDocument.InventoryRef(
        digest: inventory.digest, files: inventory.files, objective: problem.policy.objective.rawValue,
        seed: options.seed)
    return (plan, PlanDocumentBuilder.build(problem: problem, plan: plan, inventory: ref))
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a consolidated placement (a dry run: nothing changes anywhere).",
        discussion: """
            INVENTORY is one or more TOML/JSON files or directories (every *.toml and *.json \
            inside, merged in name order).

            Exit status: 0 planned (even with unplaced instances, which are listed with their \
            reasons); 1 --strict and some instances are unplaced; with --detailed-exitcode: \
            0 no changes, 1 error, 2 changes proposed; 64 bad usage; 65 invalid inventory; \
            66 missing input; 74 I/O error.
            """)

    @Argument(help: "Inventory files or directories.")
    var inventory: [String]

    @Option(name: .shortAndLong, help: "Output format: table, json or markdown.")
    var format: OutputFormat = .table

    @Option(name: .shortAndLong, help: "Write the output to this file instead of stdout (atomically).")
    var output: String?

    @OptionGroup var planning: PlanningOptions

    @Flag(help: "Exit 1 when any instance is unplaced.")
    var strict = false

    @Flag(help: "Exit 0 when the plan changes nothing, 2 when it proposes changes, 1 on error.")
    var detailedExitcode = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Color the table (default: when stdout is a terminal).")
    var color: Bool?

    func validate() throws {
        guard !inventory.isEmpty else { throw ValidationError("give at least one inventory file or directory") }
    }

    func run() throws {
        let inv: Inventory
        do { inv = try loadInventory(inventory) } catch let code as ExitCode {
            throw detailedExitcode && code != ExitStatus.usage ? ExitCode(1) : code
        }
        let (plan, doc) = runPlanner(inv, options: planning, showProgress: isTerminal(2))
        let dims = inv.problem.dimensions.map(\.name)
        let text: String
        switch format {
        case .json:
            text = encodeJSON(doc)
        case .table:
            let useColor = color ?? (output == nil && isTerminal(1))
            let budget = planning.plannerOptions(for: inv.problem).maxMoves
            text = PlanRenderer(title: inventory.joined(separator: " "), color: useColor, maxMoves: budget)
                .table(doc, dimensions: dims) + diffSection(inv.problem, plan, doc, color: useColor, maxMoves: budget)
        case .markdown:
            text = PlanRenderer(title: inventory.joined(separator: " ")).markdown(doc, dimensions: dims)
        }
        try emit(text, to: output)
        if detailedExitcode {
            // Moves, starts, stops or hosts freed: anything the plan would change.
            let changes = doc.summary.moves > 0 || doc.migration?.waves.isEmpty == false
                || doc.migration?.stops?.isEmpty == false || doc.summary.hostsFreed > 0
            if changes { throw ExitStatus.changes }
            return
        }
        if strict, !plan.unplaced.isEmpty { throw ExitStatus.unplacedStrict }
    }
}

/// The terraform-style diff of a running fleet, when there is a current placement.
func diffSection(_ problem: Problem, _ plan: Plan, _ doc: PlanDocument, color: Bool, maxMoves: Int? = nil) -> String {
    guard problem.current != nil else { return "" }
    return "\n" + PlanRenderer(title: "", color: color, maxMoves: maxMoves).diff(doc)
}
