#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The energy and carbon model of `shared/spec/FORMATS.md` ("Carbon model"): wall power of each
/// host from its CPU utilization, energy over the horizon with PUE, emissions by the grid
/// intensity of the host's zone, and the embodied carbon of the hosts a plan frees.
///
/// Conventions the spec leaves open, decided here:
/// - `u` = placed cpu requests / raw cpu capacity (the dimension named "cpu"), clamped to
///   0...1 (a current placement may overcommit; a host cannot draw more than its maximum).
///   Hosts without a cpu dimension or with zero cpu capacity run at `u` = 0.
/// - *Before* is the current placement when the problem has one. Without one, every active
///   host is on and carries an even share of the plan's placed cpu load (the same work,
///   unconsolidated: each active host at `u` = placed cpu / active cpu capacity); cordoned
///   and draining hosts are off. Comparing against idle hosts instead would charge the plan
///   for the whole workload's dynamic power and report negative savings for real consolidations.
/// - A host without `lifetime_years` is amortized over 4 years; one without
///   `embodied_kgco2e` contributes nothing to `embodied_avoided_kgco2e`.
///
/// The model precomputes per-host coefficients once; ``hostWatts(_:cpuUsed:on:curve:)`` is
/// O(1) and allocation-free, so the packer's `energy` objective can call it in its inner loop.
public struct CarbonModel: Sendable {
    public static let defaultLifetimeYears = 4.0

    public let problem: Problem
    /// Index of the dimension named "cpu", if any.
    public let cpuDimension: Int?
    /// Raw cpu capacity per host (milli-cores; 0 without a cpu dimension).
    public let cpuCapacity: [Int64]
    /// Idle watts per host (inventory figure or default).
    public let idleWatts: [Double]
    /// Max watts per host (inventory figure or default).
    public let maxWatts: [Double]
    /// gCO2e/kWh per host (its zone's intensity, else the default).
    public let gridIntensity: [Double]

    public init(problem: Problem) {
        self.problem = problem
        let cpu = problem.dimensions.firstIndex { $0.name == "cpu" }
        self.cpuDimension = cpu
        self.cpuCapacity = problem.hosts.map { h in cpu.map { h.capacity[$0] } ?? 0 }
        self.idleWatts = problem.hosts.map { $0.power?.idleWatts ?? CarbonSettings.defaultIdleWatts }
        self.maxWatts = problem.hosts.map { $0.power?.maxWatts ?? CarbonSettings.defaultMaxWatts }
        let settings = problem.carbon
        self.gridIntensity = problem.hosts.map { h in
            h.zone.flatMap { settings.zones[$0] } ?? settings.gridIntensity
        }
    }

    /// Kilowatt-hours per watt of steady wall draw over the horizon, PUE included.
    public var kWhPerWatt: Double { 24 * problem.carbon.horizonDays / 1000 * problem.carbon.pue }

    /// CPU utilization of host `h` carrying `cpuUsed` raw cpu units, clamped to 0...1.
    @inlinable public func utilization(_ h: Int, cpuUsed: Int64) -> Double {
        let capacity = cpuCapacity[h]
        guard capacity > 0 else { return 0 }
        return min(1, max(0, Double(cpuUsed) / Double(capacity)))
    }

    /// Wall power of host `h` (watts) carrying `cpuUsed` raw cpu units (milli-cores), or
    /// `off_watts` when it is off.
    /// - Complexity: O(1).
    @inlinable public func hostWatts(_ h: Int, cpuUsed: Int64, on: Bool, curve: CarbonSettings.PowerCurve) -> Double {
        guard on else { return problem.carbon.offWatts }
        return hostWatts(h, utilization: utilization(h, cpuUsed: cpuUsed), curve: curve)
    }

    /// Wall power of host `h` (on) at cpu utilization `u` (0...1).
    @inlinable public func hostWatts(_ h: Int, utilization u: Double, curve: CarbonSettings.PowerCurve) -> Double {
        let idle = idleWatts[h]
        let span = maxWatts[h] - idle
        switch curve {
        case .linear: return idle + span * u
        case .fan: return idle + span * (2 * u - Self.power(u, problem.carbon.fanR))
        }
    }

    @usableFromInline static func power(_ u: Double, _ r: Double) -> Double {
        if u <= 0 { return 0 }
        if u >= 1 { return 1 }
        return pow(u, r)
    }

    /// The placement this model compares against: the current placement as a host index per
    /// instance (-1 for not running), or `nil` when the problem has none.
    public var currentAssignment: [Int]? {
        problem.current.map { $0.map { $0 ?? Plan.unassigned } }
    }

    /// Energy and emissions before and after a placement.
    ///
    /// - Parameters:
    ///   - before: host index per instance (-1 unplaced); `nil` for the problem's own baseline
    ///     (its current placement, or every active host on carrying an even share of `after`'s load).
    ///   - after: host index per instance (-1 unplaced), e.g. `Plan.assignment`.
    /// - Complexity: O(instances + hosts).
    public func estimate(before: [Int]? = nil, after: [Int]) -> CarbonEstimate {
        let hostCount = problem.hosts.count
        let afterLoad = load(of: after)
        let beforeState: HostStates
        let baseline: CarbonEstimate.Baseline
        if let before = before ?? currentAssignment {
            beforeState = load(of: before)
            baseline = .placement
        } else {
            // Every active host on, the plan's placed cpu spread in proportion to cpu capacity.
            var active = [Bool](repeating: false, count: hostCount)
            var activeCPU: Int64 = 0
            for h in 0..<hostCount where problem.hosts[h].state == .active {
                active[h] = true
                activeCPU += cpuCapacity[h]
            }
            let placedCPU = afterLoad.cpuUsed.reduce(0, +)
            let share = activeCPU > 0 ? min(1, Double(placedCPU) / Double(activeCPU)) : 0
            beforeState = HostStates(
                on: active, cpuUsed: [Int64](repeating: 0, count: hostCount),
                utilization: active.map { $0 ? share : 0 })
            baseline = .evenShare(utilization: share)
        }

        let primary = problem.carbon.powerCurve
        var hosts = [CarbonEstimate.HostFigures]()
        hosts.reserveCapacity(hostCount)
        var linear = CarbonEstimate.Totals()
        var fan = CarbonEstimate.Totals()
        var embodied = 0.0
        let perWatt = kWhPerWatt
        for h in 0..<hostCount {
            let onB = beforeState.on[h]
            let onA = afterLoad.on[h]
            let uB = beforeState.utilization[h]
            let uA = afterLoad.utilization[h]
            let off = problem.carbon.offWatts
            let wB = (linear: onB ? hostWatts(h, utilization: uB, curve: .linear) : off,
                      fan: onB ? hostWatts(h, utilization: uB, curve: .fan) : off)
            let wA = (linear: onA ? hostWatts(h, utilization: uA, curve: .linear) : off,
                      fan: onA ? hostWatts(h, utilization: uA, curve: .fan) : off)
            let g = gridIntensity[h] / 1000
            linear.add(before: wB.linear * perWatt, after: wA.linear * perWatt, kgPerKWh: g)
            fan.add(before: wB.fan * perWatt, after: wA.fan * perWatt, kgPerKWh: g)
            let freed = onB && !onA
            var embodiedAvoided = 0.0
            if freed, let e = problem.hosts[h].embodiedKgCO2e {
                let life = problem.hosts[h].lifetimeYears ?? Self.defaultLifetimeYears
                embodiedAvoided = e * problem.carbon.horizonDays / (365 * life)
                embodied += embodiedAvoided
            }
            let wattsB = primary == .linear ? wB.linear : wB.fan
            let wattsA = primary == .linear ? wA.linear : wA.fan
            hosts.append(
                CarbonEstimate.HostFigures(
                    host: h, onBefore: onB, onAfter: onA, utilizationBefore: uB, utilizationAfter: uA,
                    wattsBefore: wattsB, wattsAfter: wattsA,
                    beforeKWh: wattsB * perWatt, afterKWh: wattsA * perWatt,
                    beforeKgCO2e: wattsB * perWatt * g, afterKgCO2e: wattsA * perWatt * g,
                    gridIntensity: gridIntensity[h], embodiedAvoidedKgCO2e: embodiedAvoided))
        }
        return CarbonEstimate(
            curve: primary, linear: linear, fan: fan, hosts: hosts, zones: zones(of: hosts),
            embodiedAvoidedKgCO2e: embodied, baseline: baseline,
            assumptions: assumptions(baseline: baseline))
    }

    struct HostStates {
        var on: [Bool]
        var cpuUsed: [Int64]
        var utilization: [Double]
    }

    private func load(of assignment: [Int]) -> HostStates {
        let hostCount = problem.hosts.count
        var count = [Int](repeating: 0, count: hostCount)
        var cpuUsed = [Int64](repeating: 0, count: hostCount)
        for (s, service) in problem.services.enumerated() {
            let request = cpuDimension.map { service.requests[$0] } ?? 0
            for id in problem.instanceOffset[s]..<problem.instanceOffset[s + 1] where id < assignment.count {
                let h = assignment[id]
                guard h >= 0, h < hostCount else { continue }
                count[h] += 1
                cpuUsed[h] += request
            }
        }
        return HostStates(
            on: count.map { $0 > 0 }, cpuUsed: cpuUsed,
            utilization: (0..<hostCount).map { utilization($0, cpuUsed: cpuUsed[$0]) })
    }

    private func zones(of hosts: [CarbonEstimate.HostFigures]) -> [CarbonEstimate.ZoneFigures] {
        var byZone = [String: CarbonEstimate.ZoneFigures]()
        for f in hosts {
            let zone = problem.hosts[f.host].zone ?? ""
            var z = byZone[zone] ?? CarbonEstimate.ZoneFigures(zone: zone, gridIntensity: f.gridIntensity)
            z.hosts += 1
            z.hostsBefore += f.onBefore ? 1 : 0
            z.hostsAfter += f.onAfter ? 1 : 0
            z.beforeKWh += f.beforeKWh
            z.afterKWh += f.afterKWh
            z.beforeKgCO2e += f.beforeKgCO2e
            z.afterKgCO2e += f.afterKgCO2e
            byZone[zone] = z
        }
        return byZone.values.sorted { $0.zone < $1.zone }
    }

    /// Every coefficient used, with its value and where it came from.
    private func assumptions(baseline: CarbonEstimate.Baseline) -> [String: PlanDocument.Carbon.Assumption] {
        typealias A = PlanDocument.Carbon.Assumption
        let c = problem.carbon
        func given(_ key: String) -> Bool { c.explicitKeys.contains(key) }
        func fromInventory(_ key: String) -> String { "inventory [carbon] \(key)" }
        var out = [String: A]()
        out["grid_intensity"] = A(
            value: "\(Self.number(c.gridIntensity)) gCO2e/kWh",
            source: given("grid_intensity")
                ? fromInventory("grid_intensity")
                : "default: Ember, Global Electricity Review 2024, world average grid intensity 2023 (481 gCO2e/kWh)")
        out["pue"] = A(
            value: Self.number(c.pue),
            source: given("pue")
                ? fromInventory("pue")
                : "default: Uptime Institute Global Data Center Survey 2023, average annual PUE 1.58")
        out["horizon_days"] = A(
            value: Self.number(c.horizonDays),
            source: given("horizon_days") ? fromInventory("horizon_days") : "default: one year")
        out["power_curve"] = A(
            value: c.powerCurve.rawValue,
            source: (given("power_curve") ? fromInventory("power_curve") : "default")
                + "; linear P = idle + (max - idle) * u, fan P = idle + (max - idle) * (2u - u^r) after"
                + " Fan, Weber & Barroso, \"Power provisioning for a warehouse-sized computer\", ISCA 2007;"
                + " the band reports both")
        out["fan_r"] = A(
            value: Self.number(c.fanR),
            source: given("fan_r")
                ? fromInventory("fan_r")
                : "default: r = 1.4, the calibration of Fan, Weber & Barroso (ISCA 2007)")
        out["off_watts"] = A(
            value: "\(Self.number(c.offWatts)) W",
            source: given("off_watts") ? fromInventory("off_watts") : "default: freed hosts powered off (0 W)")
        let hostCount = problem.hosts.count
        let defaulted = problem.hosts.filter { $0.power == nil }.count
        let powerSource =
            "default for \(defaulted) of \(hostCount) hosts without [[host]] power: typical 2-socket"
            + " server figures from SPECpower_ssj2008 results (active idle ~100 W, 100 % load ~420 W)"
        if defaulted == 0 {
            out["idle_watts"] = A(value: "per host", source: "inventory [[host]] power.idle_watts (all hosts)")
            out["max_watts"] = A(value: "per host", source: "inventory [[host]] power.max_watts (all hosts)")
        } else {
            let mixed = defaulted < hostCount ? "; other hosts: inventory [[host]] power" : ""
            out["idle_watts"] = A(value: "\(Self.number(CarbonSettings.defaultIdleWatts)) W", source: powerSource + mixed)
            out["max_watts"] = A(value: "\(Self.number(CarbonSettings.defaultMaxWatts)) W", source: powerSource + mixed)
        }
        let withEmbodied = problem.hosts.filter { $0.embodiedKgCO2e != nil }
        let lifetimeDefaulted = withEmbodied.filter { $0.lifetimeYears == nil }.count
        out["embodied_kgco2e"] = A(
            value: "per host",
            source: "inventory [[host]] embodied_kgco2e (\(withEmbodied.count) of \(hostCount) hosts; others count 0)")
        out["lifetime_years"] = A(
            value: lifetimeDefaulted > 0 ? "\(Self.number(Self.defaultLifetimeYears))" : "per host",
            source: lifetimeDefaulted > 0
                ? "default for \(lifetimeDefaulted) hosts with embodied figures but no lifetime_years:"
                    + " a typical 4-year server refresh cycle"
                : "inventory [[host]] lifetime_years")
        out["utilization"] = A(
            value: "placed cpu requests / cpu capacity",
            source: cpuDimension == nil
                ? "no cpu dimension in the inventory: every host at u = 0"
                : "spec (clamped to 0...1)")
        switch baseline {
        case .placement:
            out["before"] = A(value: "current placement", source: "inventory [[placement]]")
        case .evenShare(let u):
            out["before"] = A(
                value: "every active host on at u = \(Self.number(u))",
                source: "no current placement: the plan's placed cpu load spread evenly over active hosts")
        }
        let zoneNames = Set(problem.hosts.compactMap(\.zone)).sorted()
        for zone in zoneNames {
            if let g = c.zones[zone] {
                out["grid_intensity.\(zone)"] = A(value: "\(Self.number(g)) gCO2e/kWh", source: "inventory [carbon] zones")
            } else {
                out["grid_intensity.\(zone)"] = A(
                    value: "\(Self.number(c.gridIntensity)) gCO2e/kWh", source: "not in [carbon] zones: grid_intensity")
            }
        }
        return out
    }

    /// Shortest plain decimal for a coefficient (no exponent, trailing zeros dropped).
    static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}

/// Energy and emissions before and after a placement, in total, per host and per zone.
public struct CarbonEstimate: Sendable, Equatable {
    /// What *before* means for this estimate.
    public enum Baseline: Sendable, Equatable {
        /// A given (current) placement.
        case placement
        /// No current placement: every active host on at this cpu utilization.
        case evenShare(utilization: Double)
    }

    /// Before/after totals under one power curve.
    public struct Totals: Sendable, Equatable {
        public var beforeKWh = 0.0
        public var afterKWh = 0.0
        public var beforeKgCO2e = 0.0
        public var afterKgCO2e = 0.0
        public var savedKWh: Double { beforeKWh - afterKWh }
        public var savedKgCO2e: Double { beforeKgCO2e - afterKgCO2e }

        mutating func add(before: Double, after: Double, kgPerKWh: Double) {
            beforeKWh += before
            afterKWh += after
            beforeKgCO2e += before * kgPerKWh
            afterKgCO2e += after * kgPerKWh
        }
    }

    /// One host under the estimate's primary curve.
    public struct HostFigures: Sendable, Equatable {
        public var host: Int
        public var onBefore: Bool
        public var onAfter: Bool
        public var utilizationBefore: Double
        public var utilizationAfter: Double
        public var wattsBefore: Double
        public var wattsAfter: Double
        public var beforeKWh: Double
        public var afterKWh: Double
        public var beforeKgCO2e: Double
        public var afterKgCO2e: Double
        public var gridIntensity: Double
        public var embodiedAvoidedKgCO2e: Double
        /// On before and off after.
        public var freed: Bool { onBefore && !onAfter }
    }

    /// One grid zone under the estimate's primary curve.
    public struct ZoneFigures: Sendable, Equatable {
        /// "" for hosts without a zone.
        public var zone: String
        public var gridIntensity: Double
        public var hosts = 0
        public var hostsBefore = 0
        public var hostsAfter = 0
        public var beforeKWh = 0.0
        public var afterKWh = 0.0
        public var beforeKgCO2e = 0.0
        public var afterKgCO2e = 0.0
    }

    /// The curve of the headline figures (`[carbon] power_curve`).
    public var curve: CarbonSettings.PowerCurve
    public var linear: Totals
    public var fan: Totals
    public var hosts: [HostFigures]
    public var zones: [ZoneFigures]
    public var embodiedAvoidedKgCO2e: Double
    public var baseline: Baseline
    public var assumptions: [String: PlanDocument.Carbon.Assumption]

    /// The headline totals (under `curve`).
    public var totals: Totals { curve == .linear ? linear : fan }

    /// The plan document's `carbon` object.
    public var document: PlanDocument.Carbon {
        let t = totals
        return PlanDocument.Carbon(
            beforeKgCO2e: t.beforeKgCO2e, afterKgCO2e: t.afterKgCO2e, savedKgCO2e: t.savedKgCO2e,
            beforeKWh: t.beforeKWh, afterKWh: t.afterKWh, savedKWh: t.savedKWh,
            embodiedAvoidedKgCO2e: embodiedAvoidedKgCO2e,
            band: PlanDocument.Carbon.Band(
                savedKgCO2eLow: min(linear.savedKgCO2e, fan.savedKgCO2e),
                savedKgCO2eHigh: max(linear.savedKgCO2e, fan.savedKgCO2e),
                savedKWhLow: min(linear.savedKWh, fan.savedKWh),
                savedKWhHigh: max(linear.savedKWh, fan.savedKWh)),
            assumptions: assumptions,
            zones: zones.map {
                PlanDocument.Carbon.ZoneEntry(
                    zone: $0.zone, gridIntensity: $0.gridIntensity, hostsBefore: $0.hostsBefore,
                    hostsAfter: $0.hostsAfter, beforeKWh: $0.beforeKWh, afterKWh: $0.afterKWh,
                    beforeKgCO2e: $0.beforeKgCO2e, afterKgCO2e: $0.afterKgCO2e)
            },
            curves: [
                "linear": PlanDocument.Carbon.CurveEntry(
                    beforeKWh: linear.beforeKWh, afterKWh: linear.afterKWh,
                    beforeKgCO2e: linear.beforeKgCO2e, afterKgCO2e: linear.afterKgCO2e),
                "fan": PlanDocument.Carbon.CurveEntry(
                    beforeKWh: fan.beforeKWh, afterKWh: fan.afterKWh,
                    beforeKgCO2e: fan.beforeKgCO2e, afterKgCO2e: fan.afterKgCO2e),
            ])
    }
}
