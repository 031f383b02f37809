/// One step of a path into a document: a table key or an array index.
enum PathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)
}

/// A parsed document value, format-neutral (TOML and JSON both become `Node`s), with the
/// file it came from and the line of its key where known.
struct Node {
    enum Value {
        /// Entries in document order.
        case table([Entry])
        case array([Node])
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)
        /// A value of a type the inventory never uses (TOML dates and times), by type name.
        case other(String)
    }

    struct Entry {
        var key: String
        var node: Node
    }

    var value: Value
    /// Index of the file in load order.
    var file: Int
    /// Line of the key (or array element, or table header) that holds this value.
    var line: Int?

    /// "a string", "an integer", … for messages.
    var typeName: String {
        switch value {
        case .table: "a table"
        case .array: "an array"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number"
        case .bool: "a boolean"
        case .other(let name): "a \(name)"
        }
    }

    /// What was found, for "expected …, got …": the value itself when short, else its type.
    var shown: String {
        switch value {
        case .string(let s): s.count <= 40 ? quoted(s) : "a long string"
        case .int(let i): String(i)
        case .double(let d): formatNumber(d)
        case .bool(let b): String(b)
        default: typeName
        }
    }

    var table: [Entry]? {
        if case .table(let entries) = value { return entries }
        return nil
    }
}

/// A string in double quotes with the few escapes a message needs.
func quoted(_ s: String) -> String {
    var out = "\""
    for ch in s {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default: out.append(ch)
        }
    }
    return out + "\""
}

/// `2` for integral values, `0.5` otherwise.
func formatNumber(_ d: Double) -> String {
    if d.isFinite, d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return String(d)
}
