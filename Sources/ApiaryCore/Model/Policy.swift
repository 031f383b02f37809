/// What the planner minimizes.
public enum Objective: String, Sendable, Hashable, Codable {
    /// Fewest hosts.
    case hosts
    /// Lowest total power (idle + load-proportional) over the hosts kept on.
    case energy
}

/// Which process supervisor runs the services on each host.
public enum Supervisor: String, Sendable, Hashable, Codable {
    /// A Habitat supervisor runs at most one instance of any package name per host.
    case habitat
    /// systemd units: no package-name limit.
    case systemd
}

/// Inventory-wide planning policy (`[policy]`).
public struct Policy: Sendable, Hashable {
    /// Usable fraction of each capacity dimension, one entry per problem dimension.
    public var headroom: [Double]
    public var objective: Objective
    /// Cap on instance moves versus the current placement; `nil` = unlimited.
    public var maxMoves: Int?
    public var supervisor: Supervisor
    /// Default per-service disruption budget during migration.
    public var maxUnavailable: Int

    public init(
        headroom: [Double], objective: Objective = .hosts, maxMoves: Int? = nil,
        supervisor: Supervisor = .habitat, maxUnavailable: Int = 1
    ) {
        self.headroom = headroom
        self.objective = objective
        self.maxMoves = maxMoves
        self.supervisor = supervisor
        self.maxUnavailable = maxUnavailable
    }
}

/// Carbon-model settings (`[carbon]`), with the spec's defaults.
public struct CarbonSettings: Sendable, Hashable {
    public enum PowerCurve: String, Sendable, Hashable, Codable {
        case linear
        case fan
    }

    /// gCO2e per kWh, default for every zone.
    public var gridIntensity: Double
    public var pue: Double
    public var horizonDays: Double
    public var powerCurve: PowerCurve
    public var fanR: Double
    public var offWatts: Double
    /// Per-zone grid intensity (gCO2e/kWh).
    public var zones: [String: Double]
    /// Which settings the inventory gave explicitly (the rest are defaults).
    public var explicitKeys: Set<String>

    public static let defaultGridIntensity = 481.0
    public static let defaultPUE = 1.58
    public static let defaultIdleWatts = 100.0
    public static let defaultMaxWatts = 420.0

    public init(
        gridIntensity: Double = CarbonSettings.defaultGridIntensity, pue: Double = CarbonSettings.defaultPUE,
        horizonDays: Double = 365, powerCurve: PowerCurve = .linear, fanR: Double = 1.4,
        offWatts: Double = 0, zones: [String: Double] = [:], explicitKeys: Set<String> = []
    ) {
        self.gridIntensity = gridIntensity
        self.pue = pue
        self.horizonDays = horizonDays
        self.powerCurve = powerCurve
        self.fanR = fanR
        self.offWatts = offWatts
        self.zones = zones
        self.explicitKeys = explicitKeys
    }
}
