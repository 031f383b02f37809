import ApiaryCore
import Crypto
import Foundation

/// A loaded, validated inventory: the planning problem plus where it came from.
public struct Inventory: Sendable {
    public var problem: Problem
    /// The files read, in load order (directories expanded, `*.toml` / `*.json` by name).
    public var files: [String]
    /// SHA-256 (lowercase hex) over the contents of the files, concatenated in load order.
    /// Independent of the paths: the same bytes give the same digest wherever they live
    /// (`cat FILES... | sha256sum`).
    public var digest: String
    /// True when the inventory has at least one `[[placement]]`.
    public var hasCurrentPlacement: Bool

    public init(problem: Problem, files: [String], digest: String, hasCurrentPlacement: Bool) {
        self.problem = problem
        self.files = files
        self.digest = digest
        self.hasCurrentPlacement = hasCurrentPlacement
    }
}

/// Reads inventory files (TOML, or JSON of the same structure) into a validated `Problem`.
///
/// A path may name a file or a directory; a directory stands for every `*.toml` and
/// `*.json` directly inside it, in name order. Tables may be split across files in any
/// way: `[policy]` and `[carbon]` keys merge, `[[host]]`, `[[package]]`, `[[service]]` and
/// `[[placement]]` elements concatenate in load order.
///
/// Every problem found is reported (up to ``InventoryErrors/cap``), each with its file,
/// line (where known) and key path.
public struct InventoryLoader {
    public init() {}

    public func load(paths: [String]) throws(InventoryErrors) -> Inventory {
        var errors = [InventoryError]()
        let files = expand(paths: paths, errors: &errors)
        var texts = [String]()
        var hasher = SHA256()
        var loaded = [String]()
        for file in files {
            let data: Data
            do {
                data = try FileIO.read(file, expected: "a TOML or JSON inventory file")
            } catch {
                errors.append(error)
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                errors.append(InventoryError(file: file, key: "", message: "expected UTF-8 text"))
                continue
            }
            hasher.update(data: data)
            loaded.append(file)
            texts.append(text)
        }
        if !errors.isEmpty { throw InventoryErrors(capping: errors) }
        let digest = hex(hasher.finalize())
        let problem = try build(texts: texts, names: loaded)
        return Inventory(problem: problem.problem, files: loaded, digest: digest, hasCurrentPlacement: problem.hasPlacement)
    }

    /// Loads inventory documents given as text; `names` are their file names (a name ending
    /// in `.json` is read as JSON, anything else as TOML). Used by tests and by `load(paths:)`.
    public func load(texts: [String], names: [String]) throws(InventoryErrors) -> Inventory {
        precondition(texts.count == names.count, "one name per text")
        var hasher = SHA256()
        for t in texts { hasher.update(data: Data(t.utf8)) }
        let digest = hex(hasher.finalize())
        let result = try build(texts: texts, names: names)
        return Inventory(problem: result.problem, files: names, digest: digest, hasCurrentPlacement: result.hasPlacement)
    }

    private func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private func build(texts: [String], names: [String]) throws(InventoryErrors) -> (problem: Problem, hasPlacement: Bool) {
        var diagnostics = Diagnostics(files: names)
        var documents = [Node]()
        for (i, text) in texts.enumerated() {
            let parsed =
                names[i].lowercased().hasSuffix(".json")
                ? JSONSource.parse(text, file: i, fileName: names[i])
                : TOMLSource.parse(text, file: i, fileName: names[i])
            switch parsed {
            case .success(let node): documents.append(node)
            case .failure(let error): diagnostics.errors.append(error)
            }
        }
        var builder = ProblemBuilder(diagnostics: diagnostics)
        let problem = builder.build(documents: documents)
        if let problem, builder.diagnostics.errors.isEmpty {
            return (problem, builder.hasPlacement)
        }
        throw InventoryErrors(capping: builder.diagnostics.sorted())
    }

    /// "permission denied" rather than Foundation's "The file … couldn't be opened …".
    private static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return FileIO.describe(errno: Int32(posix.code))
        }
        return ns.domain == NSPOSIXErrorDomain ? FileIO.describe(errno: Int32(ns.code)) : ns.localizedDescription
    }

    /// Files named by `paths`, directories expanded, duplicates dropped.
    private func expand(paths: [String], errors: inout [InventoryError]) -> [String] {
        let fm = FileManager.default
        var out = [String]()
        var seen = Set<String>()
        func add(_ file: String) {
            let key = URL(fileURLWithPath: file).standardizedFileURL.path
            if seen.insert(key).inserted { out.append(file) }
        }
        if paths.isEmpty {
            errors.append(InventoryError(file: "-", key: "", message: "no inventory files given", kind: .missingFile))
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append(InventoryError(file: path, key: "", message: "no such file or directory", kind: .missingFile))
                continue
            }
            guard isDirectory.boolValue else {
                add(path)
                continue
            }
            let names: [String]
            do {
                names = try fm.contentsOfDirectory(atPath: path)
            } catch {
                errors.append(
                    InventoryError(
                        file: path, key: "", message: "cannot list the directory: \(Self.reason(error))", kind: .io))
                continue
            }
            let inventoryFiles = names.filter { name in
                let lower = name.lowercased()
                return (lower.hasSuffix(".toml") || lower.hasSuffix(".json")) && !name.hasPrefix(".")
            }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            if inventoryFiles.isEmpty {
                errors.append(
                    InventoryError(
                        file: path, key: "", message: "the directory holds no *.toml or *.json files", kind: .missingFile))
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            for name in inventoryFiles { add(base + "/" + name) }
        }
        return out
    }
}

/// Errors collected while building, each tied to a file by load order.
struct Diagnostics {
    var files: [String]
    var errors = [InventoryError]()

    init(files: [String]) { self.files = files }

    mutating func add(file: Int, line: Int?, key: String, _ message: String) {
        errors.append(InventoryError(file: files[file], line: line, key: key, message: message))
    }

    /// Reports a problem with `node` (its file and line) at key path `key`.
    mutating func add(_ node: Node, _ key: String, _ message: String) {
        add(file: node.file, line: node.line, key: key, message)
    }

    /// "file:line" of a node, for messages that point at an earlier definition.
    func location(_ node: Node) -> String {
        files[node.file] + (node.line.map { ":\($0)" } ?? "")
    }

    /// In file load order, then line order (stable otherwise).
    func sorted() -> [InventoryError] {
        let order = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return errors.enumerated().sorted { a, b in
            let fa = order[a.element.file] ?? -1
            let fb = order[b.element.file] ?? -1
            if fa != fb { return fa < fb }
            let la = a.element.line ?? 0
            let lb = b.element.line ?? 0
            if la != lb { return la < lb }
            return a.offset < b.offset
        }.map(\.element)
    }
}
