import TOMLKit

/// TOML text → `Node`, with the line of every key found by ``TOMLLineScanner``.
enum TOMLSource {
    /// Parses `text`; a syntax error comes back as an `InventoryError` with the parser's line.
    static func parse(_ text: String, file: Int, fileName: String) -> Result<Node, InventoryError> {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            return .failure(
                InventoryError(
                    file: fileName, line: line > 0 ? line : nil, key: "",
                    message: "TOML syntax error: \(error.description)"))
        } catch {
            return .failure(InventoryError(file: fileName, key: "", message: "TOML syntax error: \(error)"))
        }
        let lines = TOMLLineScanner.scan(text)
        return .success(convert(table, path: [], lines: lines, file: file, line: nil))
    }

    private static func convert(
        _ value: any TOMLValueConvertible, path: [PathComponent], lines: [[PathComponent]: Int], file: Int,
        line: Int?
    ) -> Node {
        let v: Node.Value
        switch value.type {
        case .table:
            let table = value.table!
            var entries = [Node.Entry]()
            for key in table.keys {
                guard let child = table[key] else { continue }
                let childPath = path + [.key(key)]
                entries.append(
                    Node.Entry(
                        key: key,
                        node: convert(child, path: childPath, lines: lines, file: file, line: lines[childPath] ?? line)
                    ))
            }
            // toml++ orders keys alphabetically; report in document order instead.
            entries = entries.enumerated().sorted { a, b in
                let la = a.element.node.line ?? Int.max
                let lb = b.element.node.line ?? Int.max
                return la != lb ? la < lb : a.offset < b.offset
            }.map(\.element)
            v = .table(entries)
        case .array:
            let array = value.array!
            var nodes = [Node]()
            for (i, element) in array.enumerated() {
                let childPath = path + [.index(i)]
                nodes.append(convert(element, path: childPath, lines: lines, file: file, line: lines[childPath] ?? line))
            }
            v = .array(nodes)
        case .string: v = .string(value.string ?? "")
        case .int: v = .int(Int64(value.int ?? 0))
        case .double: v = .double(value.double ?? .nan)
        case .bool: v = .bool(value.bool ?? false)
        case .date: v = .other("date")
        case .time: v = .other("time")
        case .dateTime: v = .other("date-time")
        }
        return Node(value: v, file: file, line: line)
    }
}

/// A light structural scan of TOML text that records the line of every key, table header
/// and array element, by document path (`[[host]]` elements are numbered within the file).
///
/// It runs only on text TOMLKit has accepted, so it can be lenient; it always advances.
struct TOMLLineScanner {
    private let chars: [Character]
    private var pos = 0
    private var line = 1
    private var lines: [[PathComponent]: Int] = [:]
    /// Elements seen so far of each array of tables, by resolved path.
    private var arrayCounts: [[PathComponent]: Int] = [:]

    static func scan(_ text: String) -> [[PathComponent]: Int] {
        var scanner = TOMLLineScanner(chars: Array(text))
        scanner.scanDocument()
        return scanner.lines
    }

    private init(chars: [Character]) { self.chars = chars }

    private var atEnd: Bool { pos >= chars.count }
    private var current: Character? { pos < chars.count ? chars[pos] : nil }

    private func peek(_ offset: Int) -> Character? {
        pos + offset < chars.count ? chars[pos + offset] : nil
    }

    private mutating func advance() {
        if chars[pos] == "\n" { line += 1 }
        pos += 1
    }

    private mutating func record(_ path: [PathComponent], _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    /// Skips spaces and tabs (and newlines and comments when `newlines`).
    private mutating func skipSpace(newlines: Bool) {
        while let c = current {
            if c == " " || c == "\t" || c == "\r" {
                advance()
            } else if c == "#" {
                while let d = current, d != "\n" { advance() }
            } else if c == "\n" && newlines {
                advance()
            } else {
                return
            }
        }
    }

    private mutating func skipToLineEnd() {
        while let c = current, c != "\n" { advance() }
    }

    private mutating func scanDocument() {
        var prefix: [PathComponent] = []
        while true {
            skipSpace(newlines: true)
            guard let c = current else { return }
            let start = line
            if c == "[" {
                let isArray = peek(1) == "["
                advance()
                if isArray { advance() }
                skipSpace(newlines: false)
                let keys = scanKey()
                skipToLineEnd()
                var resolved: [PathComponent] = []
                for (i, k) in keys.enumerated() {
                    resolved.append(.key(k))
                    let last = i == keys.count - 1
                    if last && isArray {
                        let n = arrayCounts[resolved, default: 0]
                        arrayCounts[resolved] = n + 1
                        record(resolved, start)
                        resolved.append(.index(n))
                    } else if let n = arrayCounts[resolved] {
                        resolved.append(.index(n - 1))
                    }
                    record(resolved, start)
                }
                prefix = resolved
            } else {
                let before = pos
                scanKeyValue(prefix: prefix)
                if pos == before { advance() }
                skipToLineEnd()
            }
        }
    }

    /// A dotted key: bare, "basic" or 'literal' parts separated by dots.
    private mutating func scanKey() -> [String] {
        var parts: [String] = []
        while true {
            skipSpace(newlines: false)
            guard let c = current else { break }
            if c == "\"" || c == "'" {
                parts.append(scanString())
            } else {
                var s = ""
                while let d = current, d.isLetter || d.isNumber || d == "_" || d == "-" {
                    s.append(d)
                    advance()
                }
                if s.isEmpty { break }
                parts.append(s)
            }
            skipSpace(newlines: false)
            if current == "." { advance() } else { break }
        }
        return parts
    }

    private mutating func scanKeyValue(prefix: [PathComponent]) {
        let start = line
        let keys = scanKey()
        guard !keys.isEmpty else { return }
        var path = prefix
        for k in keys {
            path.append(.key(k))
            record(path, start)
        }
        skipSpace(newlines: false)
        guard current == "=" else { return }
        advance()
        skipSpace(newlines: false)
        scanValue(path: path)
    }

    private mutating func scanValue(path: [PathComponent]) {
        guard let c = current else { return }
        switch c {
        case "{":
            advance()
            while true {
                skipSpace(newlines: true)
                guard let d = current else { return }
                if d == "}" {
                    advance()
                    return
                }
                if d == "," {
                    advance()
                    continue
                }
                let before = pos
                scanKeyValue(prefix: path)
                if pos == before { advance() }
            }
        case "[":
            advance()
            var index = 0
            while true {
                skipSpace(newlines: true)
                guard let d = current else { return }
                if d == "]" {
                    advance()
                    return
                }
                if d == "," {
                    advance()
                    continue
                }
                let element = path + [.index(index)]
                record(element, line)
                let before = pos
                scanValue(path: element)
                if pos == before { advance() }
                index += 1
            }
        case "\"", "'":
            _ = scanString()
        default:
            while let d = current, !",]}\n#".contains(d) { advance() }
        }
    }

    /// A basic, literal or multi-line string; returns its (roughly unescaped) contents.
    private mutating func scanString() -> String {
        guard let quote = current else { return "" }
        let multi = peek(1) == quote && peek(2) == quote
        advance()
        if multi {
            advance()
            advance()
        }
        var s = ""
        while let c = current {
            if c == "\\" && quote == "\"" {
                advance()
                if let e = current {
                    s.append(e)
                    advance()
                }
                continue
            }
            if c == quote {
                if !multi {
                    advance()
                    return s
                }
                if peek(1) == quote && peek(2) == quote {
                    advance()
                    advance()
                    advance()
                    // Up to two more quotes may belong to the string.
                    while current == quote { advance() }
                    return s
                }
            }
            if c == "\n" && !multi { return s }
            s.append(c)
            advance()
        }
        return s
    }
}
