import ApiaryCore
import ApiaryInventory
import ApiaryReports
import ApiaryStore
import ArgumentParser
import Foundation

/// `apiary apply PLAN.json --db apiary.db`: records a plan as a new generation of placement orders.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Record a plan as a new generation of placement orders.",
        discussion: """
            The plan, its summary, one order per host and the migration waves are written in one \
            transaction: the store is at the old generation or the new one, never in between.

            Staleness (like Nomad's -check-index), unless --force:
              1. --check-generation N (or a top-level "base_generation": N in the plan JSON) \
            must name the latest generation (0 for an empty store), else the plan is refused.
              2. A plan whose inventory digest is that of an earlier generation, while the \
            latest generation came from another inventory, is refused: it was made from an \
            inventory that has since been replaced.
            """
    )

    @Argument(help: "Plan JSON, as written by `apiary plan --format json`.")
    var plan: String

    @Option(help: "The order store (created when missing).")
    var db = "apiary.db"

    @Option(name: .customLong("check-generation"), help: "Refuse unless this is the latest generation (0: empty store).")
    var checkGeneration: Int?

    @Flag(help: "Apply even if the plan looks stale.")
    var force = false

    @Option(help: "A note recorded with the generation.")
    var note: String?

    func run() throws {
        let data = try StoreCLI.readFile(plan, what: planExpectation)
        let document: PlanDocument
        do {
            document = try JSONDocument.decode(PlanDocument.self, from: data, file: plan, expected: planExpectation)
        } catch {
            throw StoreCLI.fail(error)
        }
        guard document.format == PlanDocument.formatTag else {
            throw StoreCLI.fail(65, "\(plan): format is \"\(document.format)\", expected \"\(PlanDocument.formatTag)\"")
        }
        struct Envelope: Decodable {
            var baseGeneration: Int?
            enum CodingKeys: String, CodingKey { case baseGeneration = "base_generation" }
        }
        let base = (try? JSONDecoder().decode(Envelope.self, from: data))?.baseGeneration
        let store = try StoreCLI.open(db, create: true)
        let options = ApplyOptions(checkGeneration: checkGeneration ?? base, force: force, note: note)
        StoreCLI.status("applying \(plan) to \(db)")
        do {
            let info = try store.apply(document, options: options, planJSON: data)
            print(StoreCLI.line(info))
        } catch {
            throw StoreCLI.fail(error)
        }
    }
}

/// Shared plumbing of the store commands: opening the store, reading files, exit statuses
/// (64 usage, 65 bad input data, 66 missing file, 74 I/O, 1 other).
enum StoreCLI {
    static func open(_ path: String, create: Bool) throws -> OrderStore {
        do {
            return try OrderStore(path: path, create: create)
        } catch {
            throw fail(error)
        }
    }

    static func readFile(_ path: String, what: String) throws -> Data {
        do {
            return try FileIO.read(path, expected: what)
        } catch {
            throw fail(error)
        }
    }

    static func fail(_ code: Int32, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("apiary: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// A file or document error: 66 missing, 74 I/O, 65 bad data.
    static func fail(_ error: InventoryError) -> ExitCode {
        fail(exitStatus(error.kind).rawValue, error.description)
    }

    static func fail(_ error: StoreError) -> ExitCode {
        switch error {
        case .missingDatabase: return fail(66, error.description)
        case .database: return fail(74, error.description)
        case .invalidPlan, .staleGeneration, .olderInventory: return fail(65, error.description)
        case .unknownGeneration, .unknownToken: return fail(65, error.description)
        }
    }

    static func status(_ message: String) {
        FileHandle.standardError.write(Data("apiary: \(message)\n".utf8))
    }

    static func line(_ info: GenerationInfo) -> String {
        var text = "generation \(info.generation): \(TextFormat.count(info.hosts, "host")), "
            + "\(TextFormat.count(info.instances, "instance")), \(TextFormat.count(info.waves, "wave")), "
            + TextFormat.count(info.moves, "move")
        if let of = info.rollbackOf { text += ", rollback to generation \(of)" }
        if let digest = info.inventoryDigest { text += ", inventory \(digest.prefix(12))" }
        if info.forced { text += " (forced)" }
        return text
    }
}
