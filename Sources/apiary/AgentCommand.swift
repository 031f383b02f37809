import ApiaryAgent
import ArgumentParser
import Foundation
import Logging

/// `apiary agent`: the host-side loop that carries out this host's placement orders.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Long-poll this host's placement orders and carry them out.",
        discussion: """
            Keeps what it applied in DIR/agent-state.json and carries out only the difference: \
            --exec print shows the hab commands; habitat runs `hab svc load IDENT --group G` / \
            `hab svc unload IDENT`; systemd writes one unit per service into DIR with CPUQuota=, \
            MemoryMax=, MemoryHigh=, TasksMax= and Slice=apiary.slice. Reports status after each \
            change; backs off exponentially (with jitter) on errors.
            """
    )

    enum Executor: String, ExpressibleByArgument, CaseIterable { case print, habitat, systemd }

    @Option(help: "Base URL of `apiary serve`, e.g. http://10.0.0.5:9632.")
    var server: String

    @Option(help: "This host's name, as in the inventory.")
    var host: String

    @Option(name: .customLong("token-file"), help: "File holding this host's token.")
    var tokenFile: String

    @Flag(help: "Poll once without waiting, apply, report and exit.")
    var once = false

    @Option(help: "How to carry out orders: print, habitat or systemd.")
    var exec: Executor = .print

    @Option(help: "State directory (and unit directory for --exec systemd).")
    var dir = "/var/lib/apiary-agent"

    @Option(help: "The hab executable.")
    var hab = "hab"

    @Option(
        parsing: .unconditional, help: "Long-poll duration in seconds.")
    var wait = 60

    @Option(name: .customLong("exec-start"), help: "ExecStart= template for --exec systemd ({hab} {package} {service} {name} {group}).")
    var execStart: String?

    func validate() throws {
        guard server.hasPrefix("http://") || server.hasPrefix("https://") else {
            throw ValidationError("--server: expected an http:// or https:// URL, got \(server)")
        }
        guard wait >= 0 else { throw ValidationError("--wait must be 0 or more, got \(wait)") }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "apiary.agent")
        let data = try StoreCLI.readFile(tokenFile, what: "a token from `apiary token issue --host \(host)`")
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw StoreCLI.fail(65, "\(tokenFile): empty (expected a token)") }
        let directory = URL(fileURLWithPath: dir, isDirectory: true)
        let executor: any OrderExecutor
        switch exec {
        case .print: executor = PrintExecutor(hab: hab)
        case .habitat: executor = HabitatExecutor(hab: hab)
        case .systemd:
            var options = SystemdUnitExecutor.Options()
            if hab != "hab" { options.hab = hab }
            if let execStart { options.execStart = execStart }
            executor = SystemdUnitExecutor(directory: directory, options: options)
        }
        var configuration = AgentConfiguration(server: server, host: host, token: token, directory: directory)
        configuration.wait = wait
        let agent = Agent(configuration: configuration, executor: executor, logger: logger)
        do {
            if once { try await agent.runOnce() } else { try await agent.run() }
        } catch {
            throw StoreCLI.fail(1, "agent: \(error)")
        }
    }
}
