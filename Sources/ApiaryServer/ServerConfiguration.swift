/// Settings of `apiary serve`, validated by the command that builds them.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// How often the server looks for a new generation (and expires long polls).
    public var pollInterval: Duration
    /// Upper bound of `?wait=` in seconds.
    public var maxWait: Double
    /// Largest accepted request body in bytes (413 beyond).
    public var maxBodyBytes: Int
    /// A host counts as reporting when its last status is younger than this.
    public var reportingWindow: Duration
    /// How often tokens are reloaded (picks up revocations).
    public var tokenRefreshInterval: Duration
    /// How long a status post waits for its report to be committed before it is acknowledged
    /// anyway (the report stays queued and is written when the store is free, e.g. after an
    /// `apply` releases the write lock); `nil`: a 204 always means the report is on disk.
    public var statusAckDeadline: Duration?

    public init(
        host: String = "127.0.0.1", port: Int = 9632, pollInterval: Duration = .milliseconds(250), maxWait: Double = 300,
        maxBodyBytes: Int = 64 * 1024, reportingWindow: Duration = .seconds(300), tokenRefreshInterval: Duration = .seconds(5),
        statusAckDeadline: Duration? = .milliseconds(20)
    ) {
        self.host = host
        self.port = port
        self.pollInterval = pollInterval
        self.maxWait = maxWait
        self.maxBodyBytes = maxBodyBytes
        self.reportingWindow = reportingWindow
        self.tokenRefreshInterval = tokenRefreshInterval
        self.statusAckDeadline = statusAckDeadline
    }

    /// Parses `HOST:PORT` (`[::1]:9632` for IPv6).
    public static func parseListen(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
