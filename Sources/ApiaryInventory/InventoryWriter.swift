/// Renders inventory fragments, e.g. the `[[placement]]` tables `apiary import habitat-census`
/// writes from what supervisors report running.
public struct InventoryWriter {
    public init() {}

    /// A `[[placement]]` TOML fragment, one table per (host, service, count) triple, in the
    /// order given; triples with a count of 0 are left out. An optional `comment` becomes
    /// `#` lines at the top. The output loads back with ``InventoryLoader`` together with
    /// the hosts and services it names.
    public func placementFragment(
        _ placements: [(host: String, service: String, count: Int)], comment: String? = nil
    ) -> String {
        var out = ""
        if let comment {
            for line in comment.split(separator: "\n", omittingEmptySubsequences: false) {
                out += line.isEmpty ? "#\n" : "# \(line)\n"
            }
        }
        for p in placements where p.count > 0 {
            if !out.isEmpty { out += "\n" }
            out += "[[placement]]\n"
            out += "host = \(Self.tomlString(p.host))\n"
            out += "service = \(Self.tomlString(p.service))\n"
            out += "count = \(p.count)\n"
        }
        return out
    }

    /// A TOML basic string with the escapes TOML requires.
    public static func tomlString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
