import ApiaryServer
import ApiaryStore
import ArgumentParser
import Foundation
import Logging

/// `apiary serve`: the placement orders API for host agents.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve placement orders to host agents (long poll, ETags, status reports, metrics).",
        discussion: """
            Routes: GET /v1/hosts/{host}/orders [?wait=SECONDS], POST /v1/hosts/{host}/status, \
            GET /healthz, GET /metrics. Shuts down gracefully on SIGTERM/SIGINT. Under systemd \
            (Type=notify) it reports READY/STATUS/STOPPING, pings the watchdog when WatchdogSec= \
            is set, and logs to the journal when stdout is the journal. See contrib/apiary.service.
            """
    )

    @Option(help: "The order store (must exist: `apiary token issue` or `apiary apply` creates it).")
    var db = "apiary.db"

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:9632"

    @Option(name: .customLong("max-body"), help: "Largest accepted request body in bytes.")
    var maxBody = 64 * 1024

    @Option(name: .customLong("max-wait"), help: "Upper bound of ?wait= in seconds.")
    var maxWait = 300.0

    @Option(name: .customLong("poll-ms"), help: "How often to look for a new generation, in milliseconds.")
    var pollMilliseconds = 250

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard ServerConfiguration.parseListen(listen) != nil else { throw ValidationError("--listen: expected HOST:PORT, got \(listen)") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        guard maxBody > 0, maxWait >= 0, pollMilliseconds > 0 else { throw ValidationError("limits must be positive") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let journal = Systemd.stdoutIsJournal(journalStream: ProcessInfo.processInfo.environment["JOURNAL_STREAM"])
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "apiary.serve")
        let (host, port) = ServerConfiguration.parseListen(listen)!
        let store = try StoreCLI.open(db, create: false)
        let configuration = ServerConfiguration(
            host: host, port: port, pollInterval: .milliseconds(pollMilliseconds), maxWait: maxWait, maxBodyBytes: maxBody)
        let server = OrderServer(store: store, configuration: configuration, logger: logger)
        do {
            try await server.prepare()
        } catch {
            throw StoreCLI.fail(74, "\(db): cannot load orders: \(error)")
        }
        do {
            try await server.run { port in
                FileHandle.standardOutput.write(Data("apiary: listening on http://\(host):\(port)\n".utf8))
            }
        } catch {
            throw StoreCLI.fail(1, "server stopped: \(error)")
        }
    }
}
