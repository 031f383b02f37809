import ApiaryStore
import ArgumentParser

/// `apiary rollback GENERATION`: a new generation equal to an older one.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Record a new generation whose orders equal those of an older generation.")

    @Argument(help: "The generation to return to (see `apiary history`).")
    var generation: Int

    @Option(help: "The order store.")
    var db = "apiary.db"

    @Option(name: .customLong("check-generation"), help: "Refuse unless this is the latest generation.")
    var checkGeneration: Int?

    @Flag(help: "Skip the --check-generation check.")
    var force = false

    @Option(help: "A note recorded with the generation.")
    var note: String?

    func validate() throws {
        guard generation >= 1 else { throw ValidationError("GENERATION must be 1 or more") }
    }

    func run() throws {
        let store = try StoreCLI.open(db, create: false)
        do {
            let info = try store.rollback(
                to: generation, options: ApplyOptions(checkGeneration: checkGeneration, force: force, note: note))
            print(StoreCLI.line(info))
        } catch {
            throw StoreCLI.fail(error)
        }
    }
}
