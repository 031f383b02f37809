/// The plan document (`apiary-plan/1`) exactly as `apiary plan --format json` writes it and
/// `apiary verify`, `apiary apply` and `apiary report` read it. Field names follow
/// `shared/spec/FORMATS.md`; fields beyond the spec are additive.
///
/// Resource amounts are in display units: cores for count dimensions, bytes for byte dimensions.
public struct PlanDocument: Codable, Sendable, Equatable {
    public static let formatTag = "apiary-plan/1"

    public var format: String
    /// Where the plan came from: inventory digest and files, planner settings.
    public var inventory: InventoryRef?
    public var summary: Summary
    public var assignments: [Assignment]
    public var unplaced: [Unplaced]
    public var hosts: [HostEntry]
    /// Package and requests of each service, so placement orders need no inventory.
    public var services: [ServiceEntry]?
    public var carbon: Carbon?
    public var migration: Migration?
    public var lowerBound: LowerBoundEntry?
    public var notes: [String]?

    public init(
        format: String = PlanDocument.formatTag, inventory: InventoryRef? = nil, summary: Summary,
        assignments: [Assignment], unplaced: [Unplaced], hosts: [HostEntry], services: [ServiceEntry]? = nil,
        carbon: Carbon? = nil, migration: Migration? = nil, lowerBound: LowerBoundEntry? = nil,
        notes: [String]? = nil
    ) {
        self.format = format
        self.inventory = inventory
        self.summary = summary
        self.assignments = assignments
        self.unplaced = unplaced
        self.hosts = hosts
        self.services = services
        self.carbon = carbon
        self.migration = migration
        self.lowerBound = lowerBound
        self.notes = notes
    }

    enum CodingKeys: String, CodingKey {
        case format, inventory, summary, assignments, unplaced, hosts, services, carbon, migration, notes
        case lowerBound = "lower_bound"
    }

    public struct InventoryRef: Codable, Sendable, Equatable {
        /// SHA-256 (hex) over the inventory files' contents in load order.
        public var digest: String
        public var files: [String]
        public var objective: String?
        public var seed: UInt64?
        public init(digest: String, files: [String], objective: String? = nil, seed: UInt64? = nil) {
            self.digest = digest
            self.files = files
            self.objective = objective
            self.seed = seed
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var hostsTotal: Int
        public var hostsUsed: Int
        public var hostsFreed: Int
        public var lowerBound: Int
        public var instances: Int
        public var unplaced: Int
        public var moves: Int
        /// Used / capacity over the hosts used, per dimension.
        public var utilization: [String: Double]
        /// Hosts on before (current placement, or every active host without one).
        public var hostsBefore: Int?
        public var waves: Int?
        public init(
            hostsTotal: Int, hostsUsed: Int, hostsFreed: Int, lowerBound: Int, instances: Int, unplaced: Int,
            moves: Int, utilization: [String: Double], hostsBefore: Int? = nil, waves: Int? = nil
        ) {
            self.hostsTotal = hostsTotal
            self.hostsUsed = hostsUsed
            self.hostsFreed = hostsFreed
            self.lowerBound = lowerBound
            self.instances = instances
            self.unplaced = unplaced
            self.moves = moves
            self.utilization = utilization
            self.hostsBefore = hostsBefore
            self.waves = waves
        }
        enum CodingKeys: String, CodingKey {
            case hostsTotal = "hosts_total", hostsUsed = "hosts_used", hostsFreed = "hosts_freed"
            case lowerBound = "lower_bound", instances, unplaced, moves, utilization
            case hostsBefore = "hosts_before", waves
        }
    }

    public struct Assignment: Codable, Sendable, Equatable {
        public var service: String
        public var instance: Int
        public var host: String
        public init(service: String, instance: Int, host: String) {
            self.service = service
            self.instance = instance
            self.host = host
        }
    }

    public struct Unplaced: Codable, Sendable, Equatable {
        public var service: String
        public var instance: Int
        /// Reason text → number of hosts that refused for it ("insufficient gpu": 118).
        public var reasons: [String: Int]
        public init(service: String, instance: Int, reasons: [String: Int]) {
            self.service = service
            self.instance = instance
            self.reasons = reasons
        }
    }

    public struct HostEntry: Codable, Sendable, Equatable {
        public var name: String
        public var instances: Int
        public var utilization: [String: Double]
        public var zone: String?
        public var state: String?
        /// Instances before the plan (current placement), when there is one.
        public var instancesBefore: Int?
        /// "keep" (runs instances after the plan), "power-off" (freed), or "idle" (empty before and after).
        public var action: String?
        public init(
            name: String, instances: Int, utilization: [String: Double], zone: String? = nil, state: String? = nil,
            instancesBefore: Int? = nil, action: String? = nil
        ) {
            self.name = name
            self.instances = instances
            self.utilization = utilization
            self.zone = zone
            self.state = state
            self.instancesBefore = instancesBefore
            self.action = action
        }
        enum CodingKeys: String, CodingKey {
            case name, instances, utilization, zone, state, action
            case instancesBefore = "instances_before"
        }
    }

    public struct ServiceEntry: Codable, Sendable, Equatable {
        public var name: String
        public var package: String
        public var count: Int
        /// Requests of one instance in display units (cores, bytes).
        public var requests: [String: Double]
        public init(name: String, package: String, count: Int, requests: [String: Double]) {
            self.name = name
            self.package = package
            self.count = count
            self.requests = requests
        }
    }

    public struct Move: Codable, Sendable, Equatable {
        public var service: String
        public var instance: Int
        /// `nil` for an instance that does not run anywhere yet.
        public var from: String?
        public var to: String
        public init(service: String, instance: Int, from: String?, to: String) {
            self.service = service
            self.instance = instance
            self.from = from
            self.to = to
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(service, forKey: .service)
            try c.encode(instance, forKey: .instance)
            try c.encode(from, forKey: .from)  // explicit null, as the spec shows
            try c.encode(to, forKey: .to)
        }
        enum CodingKeys: String, CodingKey { case service, instance, from, to }
    }

    public struct Migration: Codable, Sendable, Equatable {
        public var waves: [[Move]]
        public var spareHosts: [String]?
        /// Running instances the plan leaves unplaced, each with the host it runs on now: no
        /// host may take them (they are in `unplaced`, with reasons). They stop before the
        /// first wave.
        public var stops: [Assignment]?
        public init(waves: [[Move]], spareHosts: [String]? = nil, stops: [Assignment]? = nil) {
            self.waves = waves
            self.spareHosts = spareHosts
            self.stops = stops
        }
        enum CodingKeys: String, CodingKey {
            case waves
            case spareHosts = "spare_hosts"
            case stops
        }
    }


    public struct LowerBoundEntry: Codable, Sendable, Equatable {
        public var value: Int
        public var argument: [String]
        public init(value: Int, argument: [String]) {
            self.value = value
            self.argument = argument
        }
    }

    /// The spec's `carbon` object plus the band and the assumptions behind every figure.
    public struct Carbon: Codable, Sendable, Equatable {
        public var beforeKgCO2e: Double
        public var afterKgCO2e: Double
        public var savedKgCO2e: Double
        public var beforeKWh: Double?
        public var afterKWh: Double?
        public var savedKWh: Double
        public var embodiedAvoidedKgCO2e: Double?
        /// The same plan under both curves: saved kgCO2e low/high.
        public var band: Band?
        /// Coefficient name → value and where it came from.
        public var assumptions: [String: Assumption]
        /// Before/after per grid zone, in zone-name order (hosts without a zone under "").
        public var zones: [ZoneEntry]?
        /// Before/after under each power curve ("linear", "fan"): the ends of the band.
        public var curves: [String: CurveEntry]?
        public init(
            beforeKgCO2e: Double, afterKgCO2e: Double, savedKgCO2e: Double, beforeKWh: Double? = nil,
            afterKWh: Double? = nil, savedKWh: Double, embodiedAvoidedKgCO2e: Double? = nil, band: Band? = nil,
            assumptions: [String: Assumption], zones: [ZoneEntry]? = nil, curves: [String: CurveEntry]? = nil
        ) {
            self.zones = zones
            self.curves = curves
            self.beforeKgCO2e = beforeKgCO2e
            self.afterKgCO2e = afterKgCO2e
            self.savedKgCO2e = savedKgCO2e
            self.beforeKWh = beforeKWh
            self.afterKWh = afterKWh
            self.savedKWh = savedKWh
            self.embodiedAvoidedKgCO2e = embodiedAvoidedKgCO2e
            self.band = band
            self.assumptions = assumptions
        }
        enum CodingKeys: String, CodingKey {
            case beforeKgCO2e = "before_kgco2e", afterKgCO2e = "after_kgco2e", savedKgCO2e = "saved_kgco2e"
            case beforeKWh = "before_kwh", afterKWh = "after_kwh", savedKWh = "saved_kwh"
            case embodiedAvoidedKgCO2e = "embodied_avoided_kgco2e", band, assumptions, zones, curves
        }

        /// Energy and emissions of the hosts of one grid zone.
        public struct ZoneEntry: Codable, Sendable, Equatable {
            /// Zone name; "" for hosts without a zone.
            public var zone: String
            /// gCO2e per kWh used for this zone.
            public var gridIntensity: Double
            public var hostsBefore: Int
            public var hostsAfter: Int
            public var beforeKWh: Double
            public var afterKWh: Double
            public var beforeKgCO2e: Double
            public var afterKgCO2e: Double
            public init(
                zone: String, gridIntensity: Double, hostsBefore: Int, hostsAfter: Int, beforeKWh: Double,
                afterKWh: Double, beforeKgCO2e: Double, afterKgCO2e: Double
            ) {
                self.zone = zone
                self.gridIntensity = gridIntensity
                self.hostsBefore = hostsBefore
                self.hostsAfter = hostsAfter
                self.beforeKWh = beforeKWh
                self.afterKWh = afterKWh
                self.beforeKgCO2e = beforeKgCO2e
                self.afterKgCO2e = afterKgCO2e
            }
            enum CodingKeys: String, CodingKey {
                case zone, gridIntensity = "grid_intensity", hostsBefore = "hosts_before", hostsAfter = "hosts_after"
                case beforeKWh = "before_kwh", afterKWh = "after_kwh"
                case beforeKgCO2e = "before_kgco2e", afterKgCO2e = "after_kgco2e"
            }
        }

        /// Totals under one power curve.
        public struct CurveEntry: Codable, Sendable, Equatable {
            public var beforeKWh: Double
            public var afterKWh: Double
            public var beforeKgCO2e: Double
            public var afterKgCO2e: Double
            public init(beforeKWh: Double, afterKWh: Double, beforeKgCO2e: Double, afterKgCO2e: Double) {
                self.beforeKWh = beforeKWh
                self.afterKWh = afterKWh
                self.beforeKgCO2e = beforeKgCO2e
                self.afterKgCO2e = afterKgCO2e
            }
            enum CodingKeys: String, CodingKey {
                case beforeKWh = "before_kwh", afterKWh = "after_kwh"
                case beforeKgCO2e = "before_kgco2e", afterKgCO2e = "after_kgco2e"
            }
        }

        public struct Band: Codable, Sendable, Equatable {
            public var savedKgCO2eLow: Double
            public var savedKgCO2eHigh: Double
            public var savedKWhLow: Double
            public var savedKWhHigh: Double
            public init(savedKgCO2eLow: Double, savedKgCO2eHigh: Double, savedKWhLow: Double, savedKWhHigh: Double) {
                self.savedKgCO2eLow = savedKgCO2eLow
                self.savedKgCO2eHigh = savedKgCO2eHigh
                self.savedKWhLow = savedKWhLow
                self.savedKWhHigh = savedKWhHigh
            }
            enum CodingKeys: String, CodingKey {
                case savedKgCO2eLow = "saved_kgco2e_low", savedKgCO2eHigh = "saved_kgco2e_high"
                case savedKWhLow = "saved_kwh_low", savedKWhHigh = "saved_kwh_high"
            }
        }

        public struct Assumption: Codable, Sendable, Equatable {
            public var value: String
            public var source: String
            public init(value: String, source: String) {
                self.value = value
                self.source = source
            }
        }
    }
}
