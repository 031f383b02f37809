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

/// The exit status for an input or output problem: 66 missing input, 74 I/O, 65 bad data.
func exitStatus(_ kind: InventoryError.Kind) -> ExitCode {
    switch kind {
    case .data: ExitStatus.dataError
    case .missingFile: ExitStatus.noInput
    case .io: ExitStatus.ioError
    }
}

/// Prints `error` ("error: plan.json: no such file …") and returns its exit status to throw.
func fail(_ error: InventoryError) -> ExitCode {
    printError("error: \(error.description)")
    return exitStatus(error.kind)
}

/// Loads an inventory, printing every error to stderr and exiting 65/66/74 on failure.
func loadInventory(_ paths: [String]) throws -> Inventory {
    do {
        return try InventoryLoader().load(paths: paths)
    } catch {
        if error.kind == .data {
            printError("error: the inventory is not valid:\n\(error.description)")
        } else {
            // A file that is missing or unreadable: say just that, one line per file.
            for e in error.errors where e.kind != .data { printError("error: \(e.description)") }
        }
        throw exitStatus(error.kind)
    }
}

/// Writes `text` to `path`, or to stdout when `path` is nil. Nothing is left half-written on
/// failure: see ``FileIO/write(_:to:)`` (regular files are replaced atomically, symbolic links
/// are followed, devices and FIFOs are written directly, a directory is an error). Exits 74.
func emit(_ text: String, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(Data(text.utf8))
        return
    }
    do {
        try FileIO.write(Data(text.utf8), to: path)
    } catch {
        throw fail(error)
    }
}

/// What a plan file should be, for messages.
let planExpectation = "a plan written by `apiary plan --format json`"

/// Reads and decodes a plan document, exiting 66 when missing, 74 when unreadable and 65 when
/// malformed (naming the key path and what was expected).
func readPlanDocument(_ path: String) throws -> PlanDocument {
    do {
        let data = try FileIO.read(path, expected: planExpectation)
        return try JSONDocument.decode(PlanDocument.self, from: data, file: path, expected: planExpectation)
    } catch {
        throw fail(error)
    }
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

/// A command-line value an option cannot take. ArgumentParser prints it after its own
/// "The value '-5' is invalid for '--seed <seed>': ", so it says only what was expected.
struct OptionValueError: Error, CustomStringConvertible {
    var expected: String
    var description: String { "expected \(expected)" }
}

/// Parses an unsigned option value with a message that says what it takes: with
/// `parsing: .unconditional` a negative value reaches here instead of being taken for a flag.
/// (Signed options need no transform: `validate()` names their range.)
func integer<T: FixedWidthInteger>(_ text: String, expected: String) throws -> T {
    guard let value = T(text) else { throw OptionValueError(expected: expected) }
    return value
}

/// A number as the user would write it: "-1" rather than "-1.0", "inf".
func shown(_ x: Double) -> String {
    x.isFinite && x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
}
