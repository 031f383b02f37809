/// Lifecycle state of a host as far as placement is concerned.
public enum HostState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Takes new instances.
    case active
    /// Keeps what runs there now, takes nothing new.
    case cordoned
    /// Must be emptied: gets nothing.
    case draining
}

/// Wall-power figures of a host (watts at idle and at full CPU load).
public struct PowerProfile: Sendable, Hashable, Codable {
    public var idleWatts: Double
    public var maxWatts: Double

    public init(idleWatts: Double, maxWatts: Double) {
        self.idleWatts = idleWatts
        self.maxWatts = maxWatts
    }
}

/// A machine that can run service instances.
public struct Host: Sendable, Hashable {
    public var name: String
    /// Failure domain; `nil` when the inventory gives none.
    public var zone: String?
    public var labels: [String: String]
    /// Raw capacity per dimension (before headroom).
    public var capacity: Resources
    public var state: HostState
    /// `nil` when the inventory gives no figures (the carbon model then uses its defaults).
    public var power: PowerProfile?
    public var embodiedKgCO2e: Double?
    public var lifetimeYears: Double?

    public init(
        name: String, zone: String? = nil, labels: [String: String] = [:], capacity: Resources,
        state: HostState = .active, power: PowerProfile? = nil,
        embodiedKgCO2e: Double? = nil, lifetimeYears: Double? = nil
    ) {
        self.name = name
        self.zone = zone
        self.labels = labels
        self.capacity = capacity
        self.state = state
        self.power = power
        self.embodiedKgCO2e = embodiedKgCO2e
        self.lifetimeYears = lifetimeYears
    }
}
