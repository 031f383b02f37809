import ApiaryCore
import ApiaryInventory
import ArgumentParser
import Foundation

/// Documented exit statuses (sysexits.h where one fits).
enum ExitStatus {
    static let unplacedStrict = ExitCode(1)
    static let changes = ExitCode(2)
    static let usage = ExitCode(64)
    static let dataError = ExitCode(65)
    static let noInput = ExitCode(66)
    static let ioError = ExitCode(74)
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// True when the file descriptor is a terminal.
func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

/// Loads an inventory, printing every error to stderr and exiting 65/66/74 on failure.
func loadInventory(_ paths: [String]) throws -> Inventory {
    do {
        return try InventoryLoader().load(paths: paths)
    } catch {
        printError("error: the inventory is not valid:\n\(error.description)")
        switch error.kind {
        case .data: throw ExitStatus.dataError
        case .missingFile: throw ExitStatus.noInput
        case .io: throw ExitStatus.ioError
        }
    }
}

/// Writes `text` to `path` atomically (a temporary file renamed into place), or to stdout.
/// Nothing is left half-written on failure.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        printError("error: cannot write \(path): \(error.localizedDescription)")
        throw ExitStatus.ioError
    }
}

/// Reads and decodes a plan document, exiting 66 when missing and 65 when malformed.
func readPlanDocument(_ path: String) throws -> PlanDocument {
    guard FileManager.default.fileExists(atPath: path) else {
        printError("error: \(path): no such file (expected a plan written by `apiary plan --format json`)")
        throw ExitStatus.noInput
    }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        printError("error: \(path): cannot read: \(error.localizedDescription)")
        throw ExitStatus.ioError
    }
    do {
        return try JSONDecoder().decode(PlanDocument.self, from: data)
    } catch let DecodingError.keyNotFound(key, ctx) {
        printError("error: \(path): \(keyPath(ctx.codingPath + [key])): missing (expected an apiary-plan/1 document)")
    } catch let DecodingError.typeMismatch(type, ctx) {
        printError("error: \(path): \(keyPath(ctx.codingPath)): expected \(type)")
    } catch let DecodingError.valueNotFound(type, ctx) {
        printError("error: \(path): \(keyPath(ctx.codingPath)): expected \(type), got null")
    } catch let DecodingError.dataCorrupted(ctx) {
        printError("error: \(path): \(keyPath(ctx.codingPath)): not valid JSON (\(ctx.debugDescription))")
    } catch {
        printError("error: \(path): \(error)")
    }
    throw ExitStatus.dataError
}

private func keyPath(_ path: [any CodingKey]) -> String {
    if path.isEmpty { return "(document)" }
    return path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
}

/// Encodes a plan document as stable, pretty JSON (sorted keys: byte-identical runs).
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try! encoder.encode(value)
    return String(decoding: data, as: UTF8.self) + "\n"
}

/// Seconds since `start` on the monotonic clock.
struct Stopwatch {
    let start = ContinuousClock.now
    var seconds: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
