/// Numbers and counted nouns for people, shared by the plan table, the reports, `explain` and
/// the CLI's messages, so every output rounds and pluralizes the same way.
public enum TextFormat {
    /// "1 host", "2 hosts", "0 hosts"; `plural` for irregular nouns ("1 match", "2 matches").
    public static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(noun(n, singular, plural))"
    }

    /// The noun alone, in the form `n` takes.
    public static func noun(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        n == 1 ? singular : (plural ?? singular + "s")
    }

    /// `x` with `digits` decimals, halves rounded away from zero (6.25 → "6.3", -6.25 → "-6.3"),
    /// never "-0.0". Deterministic across platforms (no locale, no printf).
    public static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let v = (abs(x) * scale).rounded(.toNearestOrAwayFromZero)
        let body: String
        if v < 9e15 {
            let n = Int64(v)
            let unit = Int64(scale)
            var frac = String(n % unit)
            while frac.count < digits { frac = "0" + frac }
            body = digits > 0 ? "\(n / unit).\(frac)" : "\(n)"
        } else if let n = UInt64(exactly: abs(x).rounded()) {
            // Beyond 2^53 the digits after the point are noise anyway.
            body = String(n) + (digits > 0 ? "." + String(repeating: "0", count: digits) : "")
        } else {
            body = String(abs(x))
        }
        return (x < 0 && v != 0 ? "-" : "") + body
    }

    /// A fraction as a percentage with one decimal: 0.0625 → "6.3 %".
    public static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 1) + " %" }

    /// "30.0–46.0", or "-288.7 to -232.2" when an end is negative (a dash between minus signs
    /// reads as a subtraction).
    public static func range(_ low: String, _ high: String) -> String {
        low.hasPrefix("-") || high.hasPrefix("-") ? "\(low) to \(high)" : "\(low)–\(high)"
    }

    /// A rejection reason with the number of hosts that gave it, as a phrase: "2 insufficient
    /// memory", and for reasons about the host itself "1 host has no zone", "2 hosts have no
    /// zone", "3 hosts draining".
    public static func reason(_ text: String, hosts n: Int) -> String {
        if text.hasPrefix("host has ") {
            return n == 1 ? "1 \(text)" : "\(n) hosts have " + text.dropFirst("host has ".count)
        }
        if text.hasPrefix("host ") { return "\(count(n, "host")) " + text.dropFirst("host ".count) }
        return "\(n) \(text)"
    }
}
