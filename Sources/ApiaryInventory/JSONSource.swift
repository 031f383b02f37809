/// JSON text → `Node`: a small strict parser (RFC 8259) that keeps key order, tells
/// integers from fractions, and knows the line of every key and of any syntax error.
struct JSONSource {
    private let bytes: [UInt8]
    private var pos = 0
    private var line = 1
    private let file: Int

    struct SyntaxError: Error {
        var line: Int
        var message: String
    }

    static func parse(_ text: String, file: Int, fileName: String) -> Result<Node, InventoryError> {
        parseValue(text, file: file, fileName: fileName).flatMap { node in
            guard node.table != nil else {
                return .failure(
                    InventoryError(file: fileName, line: 1, key: "", message: "expected a JSON object at the top level"))
            }
            return .success(node)
        }
    }

    /// Parses a JSON text whatever its top-level value (a plan document's shape is checked
    /// by its decoder, which names what it expected).
    static func parseValue(_ text: String, file: Int, fileName: String) -> Result<Node, InventoryError> {
        var parser = JSONSource(bytes: Array(text.utf8), file: file)
        do throws(SyntaxError) {
            parser.skipSpace()
            let node = try parser.parseValue(line: 1)
            parser.skipSpace()
            if parser.pos < parser.bytes.count { throw parser.fail("unexpected text after the top-level value") }
            return .success(node)
        } catch {
            return .failure(
                InventoryError(file: fileName, line: error.line, key: "", message: "JSON syntax error: \(error.message)"))
        }
    }

    private init(bytes: [UInt8], file: Int) {
        self.bytes = bytes
        self.file = file
    }

    private func fail(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }

    private var current: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    /// The character at the current position, for messages.
    private var found: String {
        guard let c = current else { return "the end of the input" }
        switch c {
        case 0x0A: return "a newline"
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(c)))'"
        default: return "byte 0x\(String(c, radix: 16))"
        }
    }

    private mutating func skipSpace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
            if c == 0x0A { line += 1 }
            pos += 1
        }
    }

    private mutating func expect(_ c: UInt8, _ what: String) throws(SyntaxError) {
        guard current == c else { throw fail("expected \(what), got \(found)") }
        pos += 1
    }

    private mutating func parseValue(line valueLine: Int) throws(SyntaxError) -> Node {
        guard let c = current else { throw fail("unexpected end of input, expected a value") }
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var entries = [Node.Entry]()
            var seen = Set<String>()
            skipSpace()
            if current == UInt8(ascii: "}") {
                pos += 1
                return Node(value: .table(entries), file: file, line: valueLine)
            }
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyLine = line
                let key = try parseString()
                if !seen.insert(key).inserted { throw fail("duplicate key \(quoted(key))") }
                skipSpace()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipSpace()
                let value = try parseValue(line: keyLine)
                entries.append(Node.Entry(key: key, node: value))
                skipSpace()
                if current == UInt8(ascii: ",") {
                    pos += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return Node(value: .table(entries), file: file, line: valueLine)
            }
        case UInt8(ascii: "["):
            pos += 1
            var nodes = [Node]()
            skipSpace()
            if current == UInt8(ascii: "]") {
                pos += 1
                return Node(value: .array(nodes), file: file, line: valueLine)
            }
            while true {
                skipSpace()
                nodes.append(try parseValue(line: line))
                skipSpace()
                if current == UInt8(ascii: ",") {
                    pos += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return Node(value: .array(nodes), file: file, line: valueLine)
            }
        case UInt8(ascii: "\""):
            return Node(value: .string(try parseString()), file: file, line: valueLine)
        case UInt8(ascii: "t"):
            try literal("true")
            return Node(value: .bool(true), file: file, line: valueLine)
        case UInt8(ascii: "f"):
            try literal("false")
            return Node(value: .bool(false), file: file, line: valueLine)
        case UInt8(ascii: "n"):
            try literal("null")
            return Node(value: .other("null"), file: file, line: valueLine)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return Node(value: try parseNumber(), file: file, line: valueLine)
        default:
            throw fail("unexpected character \(quoted(String(decoding: [c], as: UTF8.self)))")
        }
    }

    private mutating func literal(_ word: String) throws(SyntaxError) {
        for b in word.utf8 {
            guard current == b else { throw fail("expected \(word)") }
            pos += 1
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> Node.Value {
        let start = pos
        var isInteger = true
        if current == UInt8(ascii: "-") { pos += 1 }
        guard let first = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw fail("expected a digit")
        }
        while let c = current, "0123456789.eE+-".utf8.contains(c) {
            if !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { isInteger = false }
            pos += 1
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if isInteger, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw fail("malformed number \(text)") }
        return .double(d)
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        pos += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard let c = current else { throw fail("unterminated string") }
            pos += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = current else { throw fail("unterminated string") }
                pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), current == UInt8(ascii: "\\"), pos + 1 < bytes.count,
                        bytes[pos + 1] == UInt8(ascii: "u")
                    {
                        pos += 2
                        let low = try hex4()
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default:
                    throw fail("invalid escape in string")
                }
            case 0x0A:
                throw fail("newline inside a string")
            default:
                out.append(c)
            }
        }
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard pos + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[pos..<pos + 4], as: UTF8.self), radix: 16)
        else { throw fail("invalid \\u escape") }
        pos += 4
        return v
    }
}
