import ApiaryAgent
import ApiaryCore
import ApiaryServer
import ApiaryStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A real server on loopback, three agents with a fake `hab`, two plans.
@Suite("End to end")
struct EndToEndTests {
    static let hosts = ["hive-01", "hive-02", "hive-03"]

    /// A `hab` that appends its arguments to a log, one line per call.
    static func fakeHab(in dir: TemporaryDirectory, host: String) throws -> (hab: String, log: String) {
        let log = dir.path("\(host)-hab.log")
        let script = dir.path("\(host)-hab")
        try "#!/bin/sh\necho \"$*\" >> '\(log)'\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        return (script, log)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test(.timeLimit(.minutes(1)))
    func threeAgentsConvergeAndFollowASecondPlan() async throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("e2e.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        var issued: [String: String] = [:]
        for host in Self.hosts { issued[host] = try store.issueToken(role: .host(host)).token }
        let tokens = issued
        let server = OrderServer(
            store: store, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, pollInterval: .milliseconds(50)),
            logger: Fixtures.logger)
        try await server.prepare()

        try await server.buildApplication().test(.live) { client in
            let port = try #require(client.port)
            var agents: [String: Agent] = [:]
            var logs: [String: String] = [:]
            for host in Self.hosts {
                let (hab, log) = try Self.fakeHab(in: dir, host: host)
                logs[host] = log
                var configuration = AgentConfiguration(
                    server: "http://127.0.0.1:\(port)", host: host, token: tokens[host]!,
                    directory: dir.url.appendingPathComponent("agent-\(host)"))
                configuration.wait = 5
                configuration.backoffBase = 0.05
                configuration.backoffCap = 0.5
                agents[host] = Agent(configuration: configuration, executor: HabitatExecutor(hab: hab), logger: Fixtures.logger)
            }
            let running = agents.values.map { agent in Task { try await agent.run() } }
            defer { for task in running { task.cancel() } }

            func converged(to generation: Int) async throws -> Bool {
                for host in Self.hosts {
                    let state = try agents[host]!.currentState()
                    guard state.generation == generation, state.reportedGeneration == generation,
                        let orders = try store.orders(host: host, generation: generation)
                    else { return false }
                    let applied = state.services.values.sorted { $0.service < $1.service }
                    if applied != orders.services { return false }
                    if try store.report(host: host, generation: generation) == nil { return false }
                }
                return true
            }

            #expect(try await eventually { try await converged(to: 1) })
            #expect(Self.lines(logs["hive-01"]!).sorted() == [
                "svc load core/nginx/1.25.3/20240101000000 --group prod",
                "svc load core/redis/7.2.4/20240102000000 --group prod",
                "svc load smartbee/analytics/2.3.1/20240301120000 --group prod",
            ])
            #expect(Self.lines(logs["hive-03"]!) == ["svc load core/nginx/1.25.3/20240101000000 --group prod"])
            let report = try #require(try store.report(host: "hive-02", generation: 1))
            #expect(report.services.allSatisfy { $0.state == "running" })

            // Plan B: analytics moves hive-01 -> hive-02, redis is upgraded.
            try store.apply(try Fixtures.plan("three-hosts-b.json"))
            #expect(try await eventually { try await converged(to: 2) })
            let hive01 = Self.lines(logs["hive-01"]!).dropFirst(3)
            #expect(Array(hive01) == [
                "svc unload smartbee/analytics/2.3.1/20240301120000",
                "svc unload core/redis/7.2.4/20240102000000",
                "svc load core/redis/7.2.5/20240401000000 --group prod",
            ])
            #expect(Self.lines(logs["hive-02"]!).dropFirst(2).sorted() == [
                "svc load core/redis/7.2.5/20240401000000 --group prod",
                "svc load smartbee/analytics/2.3.1/20240301120000 --group prod",
                "svc unload core/redis/7.2.4/20240102000000",
            ])
            // hive-03's orders did not change: nothing ran again.
            #expect(Self.lines(logs["hive-03"]!).count == 1)

            // A host token opens only its own host.
            try await client.execute(
                uri: "/v1/hosts/hive-02/orders", method: .get, headers: [.authorization: "Bearer \(tokens["hive-01"]!)"]
            ) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/hosts/hive-02/orders", method: .get) { #expect($0.status == .unauthorized) }
        }
    }
}
