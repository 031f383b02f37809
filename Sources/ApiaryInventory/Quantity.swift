import ApiaryCore

/// A resource amount as written in the inventory, before its dimension's kind is known.
enum Quantity: Equatable {
    /// A plain number: cores or units for count dimensions, bytes for byte dimensions.
    case number(Double)
    /// Millicores / milli-units, `"500m"`.
    case milli(Int64)
    /// A size with a byte unit, in bytes (rounded later).
    case bytes(Double)

    var hasByteUnit: Bool {
        if case .bytes = self { return true }
        return false
    }

    /// Byte units and their multipliers: binary (`KiB`, `Ki`, …), decimal (`KB`, …) and `B`.
    static let byteUnits: [String: Double] = {
        var units: [String: Double] = ["B": 1]
        let prefixes = ["K", "M", "G", "T", "P"]
        for (i, p) in prefixes.enumerated() {
            let binary = pow2(10 * (i + 1))
            let decimal = pow10(3 * (i + 1))
            units[p + "iB"] = binary
            units[p + "i"] = binary
            units[p + "B"] = decimal
        }
        units["kB"] = 1000
        return units
    }()

    private static func pow2(_ n: Int) -> Double { (0..<n).reduce(1.0) { acc, _ in acc * 2 } }
    private static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { acc, _ in acc * 10 } }

    /// Why a value is not a quantity: the message's "got …" part is added by the caller.
    enum ParseFailure: Error, Equatable {
        case notAQuantity
        case negative
        case notFinite
    }

    /// Parses an integer, a float, or a string such as `"0.5"`, `"500m"`, `"64GiB"`, `"1.5 TB"`.
    static func parse(_ node: Node) -> Result<Quantity, ParseFailure> {
        let q: Quantity
        switch node.value {
        case .int(let i): q = .number(Double(i))
        case .double(let d): q = .number(d)
        case .string(let s):
            guard let parsed = parse(string: s) else { return .failure(.notAQuantity) }
            q = parsed
        default:
            return .failure(.notAQuantity)
        }
        switch q {
        case .number(let d), .bytes(let d):
            if !d.isFinite { return .failure(.notFinite) }
            if d < 0 { return .failure(.negative) }
        case .milli(let m):
            if m < 0 { return .failure(.negative) }
        }
        return .success(q)
    }

    static func parse(string raw: String) -> Quantity? {
        let s = raw.trimmingWhitespace()
        var numberEnd = s.startIndex
        var seenDigit = false
        while numberEnd < s.endIndex {
            let c = s[numberEnd]
            if c.isASCII && c.isNumber {
                seenDigit = true
            } else if c == "." || ((c == "-" || c == "+") && numberEnd == s.startIndex) {
                // part of the number
            } else if (c == "e" || c == "E") && seenDigit {
                // An exponent only when digits follow ("1e3"), never a unit.
                let next = s.index(after: numberEnd)
                guard next < s.endIndex else { break }
                var digitAt = next
                if s[next] == "-" || s[next] == "+" { digitAt = s.index(after: next) }
                guard digitAt < s.endIndex, s[digitAt].isASCII, s[digitAt].isNumber else { break }
                numberEnd = digitAt
                continue
            } else {
                break
            }
            numberEnd = s.index(after: numberEnd)
        }
        guard seenDigit, let value = Double(s[s.startIndex..<numberEnd]) else { return nil }
        let unit = String(s[numberEnd...]).trimmingWhitespace()
        if unit.isEmpty { return .number(value) }
        if unit == "m" {
            let milli = (value).rounded()
            guard milli.isFinite, abs(milli) < 9e18, milli == value else { return nil }
            return .milli(Int64(milli))
        }
        guard let multiplier = byteUnits[unit] else { return nil }
        return .bytes(value * multiplier)
    }

    /// The amount in raw units of a dimension of `kind`; `nil` when it cannot be one
    /// (a fractional byte count, millicores of a byte dimension, a byte unit on a count
    /// dimension, or too large).
    func raw(for kind: DimensionKind) -> Int64? {
        let limit = 9.0e18
        switch (self, kind) {
        case (.number(let d), .bytes):
            guard d == d.rounded(), d < limit else { return nil }
            return Int64(d)
        case (.bytes(let d), .bytes):
            let r = d.rounded()
            guard r < limit else { return nil }
            return Int64(r)
        case (.milli, .bytes):
            return nil
        case (.number(let d), .count):
            let r = (d * 1000).rounded()
            guard r < limit else { return nil }
            return Int64(r)
        case (.milli(let m), .count):
            return m
        case (.bytes, .count):
            return nil
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
