import ApiaryStore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Settings of `apiary agent`.
public struct AgentConfiguration: Sendable {
    /// Base URL of `apiary serve`, e.g. `http://10.0.0.5:9632`.
    public var server: String
    public var host: String
    public var token: String
    /// Where the agent keeps its state (and, for `--exec systemd`, its units).
    public var directory: URL
    /// Long-poll duration asked of the server.
    public var wait: Int = 60
    /// Exponential backoff after errors: first delay and cap (seconds).
    public var backoffBase: Double = 0.5
    public var backoffCap: Double = 30

    public init(server: String, host: String, token: String, directory: URL) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.host = host
        self.token = token
        self.directory = directory
    }
}

/// The supervisor-side pull loop: long-polls the host's orders, carries out the difference from
/// what it last applied, and reports status after each change.
public final class Agent: Sendable {
    public let configuration: AgentConfiguration
    let executor: any OrderExecutor
    let client: HTTPClient
    let logger: Logger
    let stateURL: URL

    public init(configuration: AgentConfiguration, executor: any OrderExecutor, client: HTTPClient = .shared, logger: Logger) {
        self.configuration = configuration
        self.executor = executor
        self.client = client
        self.logger = logger
        self.stateURL = configuration.directory.appendingPathComponent("agent-state.json")
    }

    public func currentState() throws -> AgentState { try AgentState.load(from: stateURL) }

    enum Fetched {
        case notModified
        case orders(HostOrders, etag: String?)
    }

    /// Runs until cancelled: poll, apply, report; backs off (exponentially, with jitter) on errors.
    public func run() async throws {
        try FileManager.default.createDirectory(at: configuration.directory, withIntermediateDirectories: true)
        var failures = 0
        while !Task.isCancelled {
            do {
                try await round(wait: configuration.wait)
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let delay = Self.backoff(attempt: failures, base: configuration.backoffBase, cap: configuration.backoffCap)
                logger.warning("\(error); retrying in \(String(format: "%.1f", delay)) s", metadata: ["host": "\(configuration.host)"])
                try? await Task.sleep(for: .milliseconds(Int64(delay * 1000)))
            }
        }
    }

    /// One poll without waiting, then apply and report (`--once`). Throws when anything failed.
    public func runOnce() async throws {
        try FileManager.default.createDirectory(at: configuration.directory, withIntermediateDirectories: true)
        try await round(wait: 0)
    }

    /// Delay before retry `attempt` (1-based): half of `base · 2^(attempt-1)` (capped) plus up to
    /// as much again at random ("equal jitter"), so thousands of agents do not retry in step.
    public static func backoff(attempt: Int, base: Double, cap: Double) -> Double {
        let ceiling = min(cap, base * pow(2, Double(min(attempt - 1, 30))))
        return ceiling / 2 + Double.random(in: 0...(ceiling / 2))
    }

    func round(wait: Int) async throws {
        var state = try AgentState.load(from: stateURL)
        if state.reportedGeneration != state.generation && state.generation > 0 {
            try await report(state)
            state.reportedGeneration = state.generation
            try state.save(to: stateURL)
        }
        switch try await fetch(etag: state.etag, wait: wait) {
        case .notModified:
            return
        case .orders(let orders, let etag):
            try await apply(orders, etag: etag, state: &state)
        }
    }

    func apply(_ orders: HostOrders, etag: String?, state: inout AgentState) async throws {
        guard orders.host == configuration.host else {
            throw AgentError.badOrders("orders are for host \(orders.host), not \(configuration.host)")
        }
        let actions = OrderAction.diff(from: state.services, to: orders.services)
        var failed = 0
        state.failures = [:]
        for action in actions {
            do {
                try await executor.perform(action, generation: orders.generation)
                switch action {
                case .unload(let order): state.services[order.service] = nil
                case .load(let order), .update(_, let order): state.services[order.service] = order
                }
                logger.info("\(action)", metadata: ["host": "\(configuration.host)", "generation": "\(orders.generation)"])
            } catch {
                failed += 1
                state.failures[action.service] = "\(error)"
                logger.error("\(action) failed: \(error)", metadata: ["host": "\(configuration.host)"])
            }
            try state.save(to: stateURL)
        }
        state.generation = orders.generation
        state.etag = failed == 0 ? etag : nil
        try state.save(to: stateURL)
        try await report(state, orders: orders)
        state.reportedGeneration = orders.generation
        try state.save(to: stateURL)
        if failed > 0 { throw AgentError.actionsFailed(failed) }
    }

    // MARK: HTTP

    var ordersURL: String { "\(configuration.server)/v1/hosts/\(Self.escape(configuration.host))/orders" }
    var statusURL: String { "\(configuration.server)/v1/hosts/\(Self.escape(configuration.host))/status" }

    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
    }

    func fetch(etag: String?, wait: Int) async throws -> Fetched {
        var request = HTTPClientRequest(url: wait > 0 ? "\(ordersURL)?wait=\(wait)" : ordersURL)
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        if let etag { request.headers.add(name: "If-None-Match", value: etag) }
        let response = try await client.execute(request, timeout: .seconds(Int64(wait) + 15))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        switch response.status.code {
        case 200:
            do {
                let orders = try JSONDecoder().decode(HostOrders.self, from: Data(body.readableBytesView))
                return .orders(orders, etag: response.headers.first(name: "ETag"))
            } catch {
                throw AgentError.badOrders("\(error)")
            }
        case 304:
            return .notModified
        default:
            throw AgentError.http(status: Int(response.status.code), message: Self.message(body))
        }
    }

    func report(_ state: AgentState, orders: HostOrders? = nil) async throws {
        let ordered = orders?.services.map(\.service) ?? state.services.keys.sorted()
        var services = ordered.map { name in
            if let failure = state.failures[name] {
                return ServiceStatus(service: name, state: "failed", message: String(failure.prefix(500)))
            }
            return ServiceStatus(service: name, state: state.services[name] != nil ? "running" : "pending")
        }
        // Services that should be gone but failed to unload.
        for (name, failure) in state.failures.sorted(by: { $0.key < $1.key }) where !ordered.contains(name) {
            services.append(ServiceStatus(service: name, state: "failed", message: String(failure.prefix(500))))
        }
        let body = try JSONEncoder().encode(StatusReport(generation: state.generation, services: services))
        var request = HTTPClientRequest(url: statusURL)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(15))
        let text = try await response.body.collect(upTo: 1024 * 1024)
        guard response.status.code == 204 || response.status.code == 200 else {
            throw AgentError.http(status: Int(response.status.code), message: Self.message(text))
        }
    }

    static func message(_ body: ByteBuffer) -> String {
        struct ErrorBody: Decodable {
            struct Inner: Decodable { var message: String }
            var error: Inner
        }
        if let decoded = try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)) { return decoded.error.message }
        return String(buffer: body).prefix(200).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
