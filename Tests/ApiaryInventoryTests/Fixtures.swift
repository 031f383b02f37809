import ApiaryCore
import ApiaryInventory
import Foundation

/// Paths of the repository's `fixtures/` files, found from this source file.
enum Fixtures {
    static let root: String = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // ApiaryInventoryTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository
            .appendingPathComponent("fixtures").path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Loads fixture paths; fails the calling test with the errors' text when loading fails.
    static func load(_ relative: String...) throws -> Inventory {
        do {
            return try InventoryLoader().load(paths: relative.map(path))
        } catch {
            throw LoadFailure(text: error.description)
        }
    }

    /// The errors of loading fixture paths that must not load.
    static func errors(_ relative: String...) -> InventoryErrors? {
        do {
            _ = try InventoryLoader().load(paths: relative.map(path))
            return nil
        } catch {
            return error
        }
    }

    struct LoadFailure: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }
}

extension Problem {
    func host(named name: String) -> ApiaryCore.Host? { hosts.first { $0.name == name } }
    func service(named name: String) -> Service? { services.first { $0.name == name } }
    func dimension(_ name: String) -> Int? { dimensions.firstIndex { $0.name == name } }
}

let KiB: Int64 = 1024
let MiB: Int64 = 1024 * KiB
let GiB: Int64 = 1024 * MiB
let TiB: Int64 = 1024 * GiB
