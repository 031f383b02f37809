/// One problem found in an inventory: where it is (file, line, key path) and what was expected.
///
/// Renders like a compiler diagnostic:
/// `fixtures/bad/x.toml:12: host[3].capacity.memory: expected a byte size such as "64GiB" …`.
public struct InventoryError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, coarsely, so the CLI can choose an exit status.
    public enum Kind: String, Sendable, Hashable {
        /// The data is malformed or invalid (exit 65, `EX_DATAERR`).
        case data
        /// A file or directory named on the command line does not exist (exit 66, `EX_NOINPUT`).
        case missingFile
        /// A file exists but could not be read (exit 74, `EX_IOERR`).
        case io
    }

    public var file: String
    /// 1-based line, when the parser or the source scan could find one.
    public var line: Int?
    /// Key path such as `host[3].capacity.memory` (array indices count within the file) or
    /// `service.analytics.prod.package` (services are named by their `name`); empty for
    /// errors about the file as a whole.
    public var key: String
    /// What was expected, and what was found.
    public var message: String
    public var kind: Kind

    public init(file: String, line: Int? = nil, key: String, message: String, kind: Kind = .data) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.kind = kind
    }

    public var description: String {
        var out = file
        if let line { out += ":\(line)" }
        out += ": "
        if !key.isEmpty { out += key + ": " }
        return out + message
    }
}

/// Every problem found while loading an inventory (up to ``InventoryErrors/cap``).
public struct InventoryErrors: Error, Sendable, CustomStringConvertible {
    /// At most ``cap`` errors, in file load order, then line order.
    public var errors: [InventoryError]
    /// True when more errors were found than `errors` holds.
    public var truncated: Bool
    /// How many errors were found beyond those in `errors`.
    public var omitted: Int

    /// The most errors kept; the rest are counted in ``omitted``.
    public static let cap = 50

    public init(errors: [InventoryError], truncated: Bool = false, omitted: Int = 0) {
        self.errors = errors
        self.truncated = truncated
        self.omitted = omitted
    }

    /// Keeps the first ``cap`` of `all` (already in report order).
    init(capping all: [InventoryError]) {
        self.errors = Array(all.prefix(Self.cap))
        self.omitted = max(0, all.count - Self.cap)
        self.truncated = omitted > 0
    }

    /// The kind that decides the exit status: a missing file wins over an I/O error,
    /// which wins over bad data.
    public var kind: InventoryError.Kind {
        if errors.contains(where: { $0.kind == .missingFile }) { return .missingFile }
        if errors.contains(where: { $0.kind == .io }) { return .io }
        return .data
    }

    /// One diagnostic per line, then "… and N more" when truncated.
    public var description: String {
        var lines = errors.map(\.description)
        if truncated { lines.append("… and \(omitted) more") }
        return lines.joined(separator: "\n")
    }
}
