import Foundation

/// Decodes JSON documents (such as the `apiary-plan/1` plan document) with errors people can
/// act on: the file, the line, the key path and what was expected, in words.
///
/// ```
/// plan.json:14: assignments[0].instance: expected an integer, got 0.5
/// ```
///
/// Valid documents go through Foundation's `JSONDecoder`. When it fails, the text is parsed
/// again with the inventory's JSON parser (which keeps lines and tells integers from
/// fractions) and decoded with a small decoder over that tree, whose errors keep their key
/// path; ``describe(_:file:)`` turns any `DecodingError` into words, in this one place.
public enum JSONDocument {
    /// Decodes `type` from `data`, read from `file`.
    ///
    /// - Parameter expected: what the document should be, for messages about its top level
    ///   ("a plan written by `apiary plan --format json`").
    /// - Throws: an ``InventoryError`` of kind `.data` naming the file, line and key.
    public static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, file: String, expected: String
    ) throws(InventoryError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw diagnose(T.self, data: data, file: file, expected: expected, original: error)
        }
    }

    /// Words for a `DecodingError`: the key path, what was expected and, when known, what was
    /// found. Types read as "an integer", "a number", "a string", "true or false", "an object",
    /// "a list".
    public static func describe(_ error: DecodingError, file: String) -> InventoryError {
        describe(error, file: file, root: nil, expected: nil)
    }

    // MARK: - Diagnosis

    private static func diagnose<T: Decodable>(
        _ type: T.Type, data: Data, file: String, expected: String, original: any Error
    ) -> InventoryError {
        guard let text = String(data: data, encoding: .utf8) else {
            return InventoryError(file: file, key: "", message: "expected UTF-8 text (\(expected))")
        }
        if text.allSatisfy({ $0.isWhitespace }) {
            return InventoryError(file: file, key: "", message: "the file is empty, expected \(expected)")
        }
        let root: Node
        switch JSONSource.parseValue(text, file: 0, fileName: file) {
        case .failure(let error): return error
        case .success(let node): root = node
        }
        do {
            _ = try T(from: NodeDecoder(node: root, codingPath: []))
        } catch let error as DecodingError {
            return describe(error, file: file, root: root, expected: expected)
        } catch {
            return InventoryError(file: file, key: "", message: "\(error)")
        }
        // Both parsers accept the text but Foundation's decoder still refused it.
        if let error = original as? DecodingError { return describe(error, file: file, root: root, expected: expected) }
        return InventoryError(file: file, key: "", message: "not valid: \(original)")
    }

    static func describe(_ error: DecodingError, file: String, root: Node?, expected: String?) -> InventoryError {
        func at(_ path: [any CodingKey], _ message: String) -> InventoryError {
            InventoryError(file: file, line: root.flatMap { line(of: path, in: $0) }, key: keyPath(path), message: message)
        }
        switch error {
        case .keyNotFound(let key, let context):
            return at(context.codingPath + [key], "missing required key")
        case .typeMismatch(let type, let context):
            var message = "expected \(words(for: type))"
            if context.codingPath.isEmpty, let expected { message += " (\(expected))" }
            return at(context.codingPath, message + found(context))
        case .valueNotFound(let type, let context):
            return at(context.codingPath, "expected \(words(for: type)), got null")
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix(NodeDecoder.mark) {
                return at(context.codingPath, String(context.debugDescription.dropFirst(NodeDecoder.mark.count)))
            }
            return at(context.codingPath, context.codingPath.isEmpty ? "not valid JSON" : "invalid value")
        @unknown default:
            return InventoryError(file: file, key: "", message: "\(error)")
        }
    }

    /// ", got 0.5" from this decoder's errors, ", got a string" from Foundation's.
    private static func found(_ context: DecodingError.Context) -> String {
        let text = context.debugDescription
        if text.hasPrefix(NodeDecoder.mark) { return ", " + text.dropFirst(NodeDecoder.mark.count) }
        // Foundation: "Expected to decode Int but found a string instead."
        guard let range = text.range(of: "but found "),
            let end = text.range(of: " instead", range: range.upperBound..<text.endIndex)
        else { return "" }
        let what = String(text[range.upperBound..<end.lowerBound])
        switch what {
        case "a dictionary": return ", got an object"
        case "an array": return ", got a list"
        case "a number", "a string", "a bool", "null": return ", got " + (what == "a bool" ? "true or false" : what)
        default: return ""
        }
    }

    /// "an integer", "a list", … for a Swift type.
    static func words(for type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type: return "an integer"
        case is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: return "an integer ≥ 0"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: break
        }
        let name = String(describing: type)
        if name.hasPrefix("Dictionary<") { return "an object" }
        if name.hasPrefix("Array<") { return "a list" }
        return "a \(name)"
    }

    /// `assignments[0].instance`; empty for the top level.
    static func keyPath(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue, key.stringValue == "Index \(i)" || key is NodeDecoder.IndexKey {
                out += "[\(i)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out
    }

    /// The line of the deepest node on `path` that exists (the parent, for a missing key).
    private static func line(of path: [any CodingKey], in root: Node) -> Int? {
        var node = root
        for key in path {
            switch node.value {
            case .table(let entries):
                guard let next = entries.first(where: { $0.key == key.stringValue })?.node else { return node.line }
                node = next
            case .array(let items):
                guard let i = key.intValue, items.indices.contains(i) else { return node.line }
                node = items[i]
            default:
                return node.line
            }
        }
        return node.line
    }
}

// MARK: - A decoder over `Node`

/// Decodes from a parsed `Node` tree. Every error keeps the full coding path (Foundation's
/// decoder loses it when a number does not fit the type), and says what it found.
struct NodeDecoder: Decoder {
    /// Prefix of debug descriptions this decoder writes (the rest is shown to people).
    static let mark = "\u{1}"

    struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ index: Int) { self.intValue = index }
        init?(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .table(let entries) = node.value else { throw Self.mismatch([String: Any].self, node, codingPath) }
        return KeyedDecodingContainer(Keyed<Key>(entries: entries, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = node.value else { throw Self.mismatch([Any].self, node, codingPath) }
        return Unkeyed(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(node: node, codingPath: codingPath) }

    // MARK: Errors and values

    static func mismatch(_ type: Any.Type, _ node: Node, _ path: [any CodingKey], note: String = "") -> DecodingError {
        .typeMismatch(type, .init(codingPath: path, debugDescription: mark + "got \(shown(node))" + note))
    }

    /// What a node holds, for "got …": short values themselves, else their kind.
    static func shown(_ node: Node) -> String {
        switch node.value {
        case .table: "an object"
        case .array: "a list"
        case .string(let s): s.count <= 40 ? quoted(s) : "a long string"
        case .int(let i): String(i)
        case .double(let d) where !d.isFinite: "a number too large"
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : String(d)
        case .bool(let b): String(b)
        case .other(let name): name
        }
    }

    static func null(_ type: Any.Type, _ path: [any CodingKey]) -> DecodingError {
        .valueNotFound(type, .init(codingPath: path, debugDescription: mark + "got null"))
    }

    static func isNull(_ node: Node) -> Bool {
        if case .other("null") = node.value { return true }
        return false
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ node: Node, _ path: [any CodingKey]) throws -> T {
        if isNull(node) { throw null(type, path) }
        switch node.value {
        case .int(let i):
            if let v = T(exactly: i) { return v }
            throw mismatch(type, node, path, note: T.isSigned || i >= 0 ? " (out of range)" : "")
        case .double(let d) where d.isFinite && d == d.rounded():
            // 2.0 is accepted as 2, as Foundation's decoder does.
            if let v = T(exactly: d) { return v }
            throw mismatch(type, node, path, note: " (out of range)")
        default:
            throw mismatch(type, node, path)
        }
    }

    static func number(_ node: Node, _ path: [any CodingKey]) throws -> Double {
        switch node.value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default:
            if isNull(node) { throw null(Double.self, path) }
            throw mismatch(Double.self, node, path)
        }
    }

    static func string(_ node: Node, _ path: [any CodingKey]) throws -> String {
        if case .string(let s) = node.value { return s }
        if isNull(node) { throw null(String.self, path) }
        throw mismatch(String.self, node, path)
    }

    static func bool(_ node: Node, _ path: [any CodingKey]) throws -> Bool {
        if case .bool(let b) = node.value { return b }
        if isNull(node) { throw null(Bool.self, path) }
        throw mismatch(Bool.self, node, path)
    }

    static func value<T: Decodable>(_ type: T.Type, _ node: Node, _ path: [any CodingKey]) throws -> T {
        if isNull(node), !(T.self is any ExpressibleByNilLiteral.Type) {
            // A struct or collection where null stands: say so, as for the primitives.
            throw null(type, path)
        }
        return try T(from: NodeDecoder(node: node, codingPath: path))
    }

    // MARK: Containers

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let entries: [Node.Entry]
        let codingPath: [any CodingKey]
        let byKey: [String: Node]

        init(entries: [Node.Entry], codingPath: [any CodingKey]) {
            self.entries = entries
            self.codingPath = codingPath
            self.byKey = Dictionary(entries.map { ($0.key, $0.node) }, uniquingKeysWith: { a, _ in a })
        }

        var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }
        func contains(_ key: Key) -> Bool { byKey[key.stringValue] != nil }

        private func node(_ key: Key) throws -> Node {
            guard let node = byKey[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
            }
            return node
        }

        func decodeNil(forKey key: Key) throws -> Bool { NodeDecoder.isNull(try node(key)) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try NodeDecoder.bool(node(key), codingPath + [key]) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try NodeDecoder.string(node(key), codingPath + [key]) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try NodeDecoder.number(node(key), codingPath + [key]) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try NodeDecoder.number(node(key), codingPath + [key])) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try NodeDecoder.integer(type, node(key), codingPath + [key]) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try NodeDecoder.value(type, node(key), codingPath + [key])
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try NodeDecoder(node: node(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try NodeDecoder(node: node(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "super decoders are not supported"))
        }

        func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [Node]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(items: [Node], codingPath: [any CodingKey]) {
            self.items = items
            self.codingPath = codingPath
        }

        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        private mutating func next<T>(_ type: T.Type) throws -> (Node, [any CodingKey]) {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: mark + "the list ends"))
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, NodeDecoder.isNull(items[currentIndex]) else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { let (n, p) = try next(type); return try NodeDecoder.bool(n, p) }
        mutating func decode(_ type: String.Type) throws -> String { let (n, p) = try next(type); return try NodeDecoder.string(n, p) }
        mutating func decode(_ type: Double.Type) throws -> Double { let (n, p) = try next(type); return try NodeDecoder.number(n, p) }
        mutating func decode(_ type: Float.Type) throws -> Float { let (n, p) = try next(type); return Float(try NodeDecoder.number(n, p)) }
        mutating func decode(_ type: Int.Type) throws -> Int { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (n, p) = try next(type); return try NodeDecoder.integer(type, n, p) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (n, p) = try next(type)
            return try NodeDecoder.value(type, n, p)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            let (n, p) = try next([String: Any].self)
            return try NodeDecoder(node: n, codingPath: p).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            let (n, p) = try next([Any].self)
            return try NodeDecoder(node: n, codingPath: p).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "super decoders are not supported"))
        }
    }

    struct Single: SingleValueDecodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool { NodeDecoder.isNull(node) }
        func decode(_ type: Bool.Type) throws -> Bool { try NodeDecoder.bool(node, codingPath) }
        func decode(_ type: String.Type) throws -> String { try NodeDecoder.string(node, codingPath) }
        func decode(_ type: Double.Type) throws -> Double { try NodeDecoder.number(node, codingPath) }
        func decode(_ type: Float.Type) throws -> Float { Float(try NodeDecoder.number(node, codingPath)) }
        func decode(_ type: Int.Type) throws -> Int { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: Int8.Type) throws -> Int8 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: Int16.Type) throws -> Int16 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: Int32.Type) throws -> Int32 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: Int64.Type) throws -> Int64 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: UInt.Type) throws -> UInt { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try NodeDecoder.integer(type, node, codingPath) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try NodeDecoder.integer(type, node, codingPath) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try NodeDecoder.value(type, node, codingPath) }
    }
}
