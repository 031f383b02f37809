/// The JSON bodies of the placement orders API (`shared/spec/FORMATS.md`, "Placement orders API").
///
/// These are the wire contract between `apiary serve` and `apiary agent`; fields beyond the spec
/// are additive.

/// `GET /v1/hosts/{host}/orders`: what one host must run at one generation.
public struct HostOrders: Codable, Sendable, Equatable {
    public var host: String
    public var generation: Int
    public var services: [ServiceOrder]

    public init(host: String, generation: Int, services: [ServiceOrder]) {
        self.host = host
        self.generation = generation
        self.services = services
    }
}

/// One service group a host must run, with the instance numbers it holds.
public struct ServiceOrder: Codable, Sendable, Equatable {
    /// `service.group`, as in the inventory.
    public var service: String
    /// Package ident, `origin/name[/version[/release]]`.
    public var package: String
    /// Instance numbers of this service placed on the host, ascending.
    public var instances: [Int]
    /// Requests of one instance in display units (cores, bytes).
    public var requests: [String: Double]

    public init(service: String, package: String, instances: [Int], requests: [String: Double]) {
        self.service = service
        self.package = package
        self.instances = instances
        self.requests = requests
    }
}

/// `POST /v1/hosts/{host}/status`: what a host's agent reports after acting on its orders.
public struct StatusReport: Codable, Sendable, Equatable {
    public var generation: Int
    public var services: [ServiceStatus]

    public init(generation: Int, services: [ServiceStatus]) {
        self.generation = generation
        self.services = services
    }
}

public struct ServiceStatus: Codable, Sendable, Equatable {
    public var service: String
    /// `running`, `failed`, `unloaded`, … (free text, at most 64 characters).
    public var state: String
    public var message: String?

    public init(service: String, state: String, message: String? = nil) {
        self.service = service
        self.state = state
        self.message = message
    }
}
