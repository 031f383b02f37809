import ApiaryStore
import Foundation

/// What the agent last carried out, kept in `<dir>/agent-state.json` so a restart does not
/// redo (or forget to undo) anything.
public struct AgentState: Codable, Sendable, Equatable {
    /// Generation whose orders were fully carried out (0: none yet).
    public var generation: Int = 0
    /// ETag of those orders; sent as `If-None-Match` only when every action succeeded.
    public var etag: String?
    /// Services as currently applied, by service name.
    public var services: [String: ServiceOrder] = [:]
    /// Generation of the last status report the server accepted.
    public var reportedGeneration: Int = 0
    /// Services whose last action failed, with the error, for the status report.
    public var failures: [String: String] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case generation, etag, services, failures
        case reportedGeneration = "reported_generation"
    }

    public static func load(from url: URL) throws -> AgentState {
        guard FileManager.default.fileExists(atPath: url.path) else { return AgentState() }
        let data = try Data(contentsOf: url)
        do {
            return try JSONDecoder().decode(AgentState.self, from: data)
        } catch {
            throw AgentError.badState(path: url.path, message: "\(error)")
        }
    }

    /// Writes atomically (temporary file + rename), so a crash leaves the old or the new state.
    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: url, options: .atomic)
    }
}

/// One step that moves a host from what it runs to its orders.
public enum OrderAction: Sendable, Equatable, CustomStringConvertible {
    case unload(ServiceOrder)
    /// Package, instances or requests changed.
    case update(from: ServiceOrder, to: ServiceOrder)
    case load(ServiceOrder)

    public var service: String {
        switch self {
        case .unload(let order), .load(let order), .update(_, let order): return order.service
        }
    }

    public var description: String {
        switch self {
        case .unload(let order): return "unload \(order.service) (\(order.package))"
        case .load(let order): return "load \(order.service) (\(order.package))"
        case .update(let old, let new): return "update \(new.service) (\(old.package) -> \(new.package))"
        }
    }

    /// The actions from `current` to `orders`: unloads first (a Habitat supervisor runs one
    /// service per package name, so a group moving to another must go before its replacement
    /// loads), then updates, then loads; each group in service-name order.
    public static func diff(from current: [String: ServiceOrder], to orders: [ServiceOrder]) -> [OrderAction] {
        let wanted = Dictionary(orders.map { ($0.service, $0) }, uniquingKeysWith: { a, _ in a })
        var unloads: [OrderAction] = []
        var updates: [OrderAction] = []
        var loads: [OrderAction] = []
        for name in current.keys.sorted() where wanted[name] == nil {
            unloads.append(.unload(current[name]!))
        }
        for name in wanted.keys.sorted() {
            let new = wanted[name]!
            if let old = current[name] {
                if old != new { updates.append(.update(from: old, to: new)) }
            } else {
                loads.append(.load(new))
            }
        }
        return unloads + updates + loads
    }
}

public enum AgentError: Error, CustomStringConvertible, Sendable {
    case badState(path: String, message: String)
    case http(status: Int, message: String)
    case badOrders(String)
    case command(String, status: Int32, output: String)
    case actionsFailed(Int)

    public var description: String {
        switch self {
        case .badState(let path, let message): return "\(path): unreadable agent state (expected JSON written by apiary agent): \(message)"
        case .http(let status, let message): return "server answered \(status): \(message)"
        case .badOrders(let message): return "unexpected orders from the server: \(message)"
        case .command(let command, let status, let output):
            return "`\(command)` exited with status \(status)\(output.isEmpty ? "" : ": \(output)")"
        case .actionsFailed(let count): return "\(count) action(s) failed; will retry"
        }
    }
}
