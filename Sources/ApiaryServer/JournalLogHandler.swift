#if os(Linux)
import CSystemd
import Glibc
#endif
import Logging

/// A swift-log handler that writes structured entries to the systemd journal with
/// `sd_journal_sendv`: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/
/// `CODE_FUNC`, `LOGGER` (the label) and one field per metadata key (upper-cased, other
/// characters mapped to `_`).
///
/// All fields are packed into one contiguous buffer and the iovecs point into it for the
/// duration of the call only.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let identifier: String

    public init(label: String, identifier: String = "apiary") {
        self.label = label
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A journal field name: upper-case letters, digits and `_`, not starting with `_`.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "_" })
        while name.hasPrefix("_") { name.removeFirst() }
        if name.isEmpty || name.first!.isNumber { name = "F" + name }
        return String(name.prefix(64))
    }

    /// The `FIELD=value` entries of one event (also used by tests).
    func fields(for event: LogEvent) -> [String] {
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
            "LOGGER=\(label)",
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        return fields
    }

    public func log(event: LogEvent) {
        #if os(Linux)
        let fields = fields(for: event)
        var buffer: [UInt8] = []
        var spans: [(offset: Int, length: Int)] = []
        for field in fields {
            spans.append((buffer.count, field.utf8.count))
            buffer.append(contentsOf: field.utf8)
        }
        buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            var vectors = spans.map { iovec(iov_base: base + $0.offset, iov_len: $0.length) }
            _ = sd_journal_sendv(&vectors, Int32(vectors.count))
        }
        #endif
    }
}
