import ArgumentParser

/// `apiary`: plan, verify and serve consolidated placements of Habitat services.
@main
struct Apiary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiary",
        abstract: "Consolidate Habitat services onto as few hosts as possible.",
        discussion: """
            Exit status: 0 success; 1 error (or, with --strict, unplaced instances; with \
            --detailed-exitcode, an error); 2 changes proposed (--detailed-exitcode only); \
            64 bad usage; 65 bad input data; 66 missing input file; 74 I/O error.
            """,
        version: "0.1.0",
        subcommands: [
            PlanCommand.self,
            VerifyCommand.self,
            ValidateCommand.self,
            ReportCommand.self,
            ExplainCommand.self,
            ImportCommand.self,
            ApplyCommand.self,
            HistoryCommand.self,
            RollbackCommand.self,
            ServeCommand.self,
            TokenCommand.self,
            AgentCommand.self,
        ]
    )
}
