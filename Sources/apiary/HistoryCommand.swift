import ApiaryStore
import ArgumentParser
import Foundation

/// `apiary history`: the generations in the order store.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the generations of placement orders, oldest first.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "The order store.")
    var db = "apiary.db"

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() throws {
        let store = try StoreCLI.open(db, create: false)
        let history: [GenerationInfo]
        do { history = try store.history() } catch { throw StoreCLI.fail(error) }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(history), as: UTF8.self))
        case .table:
            let header = ["GEN", "CREATED", "KIND", "HOSTS", "INSTANCES", "MOVES", "WAVES", "INVENTORY", "NOTE"]
            var rows = [header]
            for info in history {
                var kind = info.kind
                if let of = info.rollbackOf { kind += " to \(of)" }
                if info.forced { kind += " (forced)" }
                rows.append([
                    String(info.generation), info.createdAt, kind, String(info.hosts), String(info.instances),
                    String(info.moves), String(info.waves), info.inventoryDigest.map { String($0.prefix(12)) } ?? "-",
                    info.note ?? "",
                ])
            }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                print(row.indices.map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            if history.isEmpty { print("(no generations yet: `apiary apply PLAN.json`)") }
        }
    }
}
