#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

@testable import ApiaryCore

/// The carbon model against figures worked out by hand (FORMATS.md, "Carbon model").
@Suite struct CarbonModelTests {
    static let cpu = Dimension(name: "cpu", kind: .count)
    static let memory = Dimension(name: "memory", kind: .bytes)

    static func service(_ name: String, cpuCores: Double, count: Int) -> Service {
        Service(
            name: name, package: PackageIdent(origin: "t", name: name), count: count,
            requests: Resources([Int64(cpuCores * 1000), 1 << 30]))
    }

    static func host(
        _ name: String, cores: Int64, zone: String? = nil, power: PowerProfile? = nil, state: HostState = .active,
        embodied: Double? = nil, lifetime: Double? = nil
    ) -> Host {
        Host(
            name: name, zone: zone, capacity: Resources([cores * 1000, 64 << 30]), state: state, power: power,
            embodiedKgCO2e: embodied, lifetimeYears: lifetime)
    }

    /// Three hosts in zones a (100 g), b (200 g) and none (default 400 g); PUE 1.5, 10 days,
    /// freed hosts draw 10 W. Three 2-core instances, one per host now, all on h0 after.
    static func smallFleet(curve: CarbonSettings.PowerCurve = .linear) -> Problem {
        Problem(
            dimensions: [cpu, memory],
            hosts: [
                host("h0", cores: 10, zone: "a", power: PowerProfile(idleWatts: 100, maxWatts: 300)),
                host("h1", cores: 10, zone: "b"),
                host("h2", cores: 20, power: PowerProfile(idleWatts: 50, maxWatts: 250), embodied: 1000, lifetime: 5),
            ],
            services: [service("web", cpuCores: 2, count: 3)],
            policy: Policy(headroom: [1, 1]),
            carbon: CarbonSettings(
                gridIntensity: 400, pue: 1.5, horizonDays: 10, powerCurve: curve, fanR: 1.4, offWatts: 10,
                zones: ["a": 100, "b": 200],
                explicitKeys: ["grid_intensity", "pue", "horizon_days", "power_curve", "off_watts", "zones"]),
            current: [0, 1, 2])
    }

    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 0.01) -> Bool { abs(a - b) <= tolerance }

    @Test func hostWattsLinearAndFan() {
        let model = CarbonModel(problem: Self.smallFleet())
        // h0: 100 + 200 * 0.2
        #expect(model.hostWatts(0, cpuUsed: 2000, on: true, curve: .linear) == 140)
        // h1 uses the defaults 100 / 420 W: 100 + 320 * 0.5
        #expect(model.hostWatts(1, cpuUsed: 5000, on: true, curve: .linear) == 260)
        #expect(model.hostWatts(1, cpuUsed: 0, on: true, curve: .fan) == 100)
        #expect(model.hostWatts(1, cpuUsed: 10000, on: true, curve: .fan) == 420)
        // fan at u = 0.5: 100 + 320 * (1 - 0.5^1.4) = 100 + 320 * 0.621072...
        #expect(Self.close(model.hostWatts(1, cpuUsed: 5000, on: true, curve: .fan), 298.743, 0.001))
        // off: off_watts; overcommitted: clamped at max
        #expect(model.hostWatts(0, cpuUsed: 2000, on: false, curve: .linear) == 10)
        #expect(model.hostWatts(0, cpuUsed: 30000, on: true, curve: .linear) == 300)
    }

    @Test func linearWithZonesPUEOffWattsAndEmbodied() {
        let estimate = CarbonModel(problem: Self.smallFleet()).estimate(after: [0, 0, 0])
        // kWh per watt: 24 h × 10 days / 1000 × PUE 1.5 = 0.36
        // before: h0 140 W, h1 164 W, h2 50 + 200 × 0.1 = 70 W → 374 W × 0.36 = 134.64 kWh
        // after:  h0 100 + 200 × 0.6 = 220 W, h1 and h2 off at 10 W → 240 W × 0.36 = 86.4 kWh
        let t = estimate.totals
        #expect(Self.close(t.beforeKWh, 134.64))
        #expect(Self.close(t.afterKWh, 86.4))
        #expect(Self.close(t.savedKWh, 48.24))
        // before kg: 50.4 × 0.1 + 59.04 × 0.2 + 25.2 × 0.4 = 5.04 + 11.808 + 10.08 = 26.928
        // after kg:  79.2 × 0.1 + 3.6 × 0.2 + 3.6 × 0.4 = 7.92 + 0.72 + 1.44 = 10.08
        #expect(Self.close(t.beforeKgCO2e, 26.928))
        #expect(Self.close(t.afterKgCO2e, 10.08))
        #expect(Self.close(t.savedKgCO2e, 16.848))
        // h2 is freed: 1000 kg × 10 / (365 × 5); h1 is freed but has no embodied figure
        #expect(Self.close(estimate.embodiedAvoidedKgCO2e, 5.479))
        #expect(estimate.hosts.map(\.freed) == [false, true, true])

        let doc = estimate.document
        #expect(doc.beforeKgCO2e == t.beforeKgCO2e && doc.savedKWh == t.savedKWh)
        #expect(doc.savedKgCO2e == doc.beforeKgCO2e - doc.afterKgCO2e)  // embodied kept apart
        #expect(doc.zones?.map(\.zone) == ["", "a", "b"])
        let zoneB = doc.zones![2]
        #expect(zoneB.gridIntensity == 200 && zoneB.hostsBefore == 1 && zoneB.hostsAfter == 0)
        #expect(Self.close(zoneB.beforeKgCO2e, 11.808) && Self.close(zoneB.afterKgCO2e, 0.72))
        #expect(Self.close(doc.zones![0].beforeKWh, 25.2) && Self.close(doc.zones![0].afterKWh, 3.6))
    }

    @Test func fanCurveAndBand() {
        let linear = CarbonModel(problem: Self.smallFleet(curve: .linear)).estimate(after: [0, 0, 0])
        let fan = CarbonModel(problem: Self.smallFleet(curve: .fan)).estimate(after: [0, 0, 0])
        func f(_ u: Double) -> Double { 2 * u - pow(u, 1.4) }
        // before: h0 100 + 200 f(0.2), h1 100 + 320 f(0.2), h2 50 + 200 f(0.1)
        let w0 = 100 + 200 * f(0.2)  // 158.988
        let w1 = 100 + 320 * f(0.2)  // 194.380
        let w2 = 50 + 200 * f(0.1)  // 82.038
        let a0 = 100 + 200 * f(0.6)  // 242.177
        #expect(Self.close(w0, 158.99) && Self.close(w1, 194.38) && Self.close(w2, 82.04) && Self.close(a0, 242.18))
        #expect(Self.close(fan.totals.beforeKWh, (w0 + w1 + w2) * 0.36))  // 156.75
        #expect(Self.close(fan.totals.beforeKWh, 156.75))
        #expect(Self.close(fan.totals.afterKWh, (a0 + 20) * 0.36))  // 94.38
        #expect(Self.close(fan.totals.afterKWh, 94.38))
        #expect(Self.close(fan.totals.beforeKgCO2e, w0 * 0.036 + w1 * 0.072 + w2 * 0.144))
        #expect(Self.close(fan.totals.afterKgCO2e, a0 * 0.036 + 0.72 + 1.44))
        // Both curves are always computed; the headline follows power_curve.
        #expect(linear.fan == fan.fan && linear.linear == fan.linear)
        #expect(fan.document.savedKWh == fan.fan.savedKWh)
        let band = linear.document.band!
        #expect(band.savedKWhLow == min(linear.linear.savedKWh, linear.fan.savedKWh))
        #expect(band.savedKWhHigh == max(linear.linear.savedKWh, linear.fan.savedKWh))
        #expect(Self.close(band.savedKWhLow, 48.24) && Self.close(band.savedKWhHigh, 62.36))
        #expect(band.savedKgCO2eLow <= linear.document.savedKgCO2e && linear.document.savedKgCO2e <= band.savedKgCO2eHigh)
        #expect(Set(linear.document.curves!.keys) == ["linear", "fan"])
    }

    /// No `[carbon]`, no power figures, no current placement: every active host is on before,
    /// at an even share of the plan's cpu load; the draining host is off.
    @Test func defaultsWithoutCurrentPlacement() {
        let problem = Problem(
            dimensions: [Self.cpu, Self.memory],
            hosts: [
                Self.host("h0", cores: 10), Self.host("h1", cores: 10),
                Self.host("h2", cores: 10, state: .draining, embodied: 800),
            ],
            services: [Self.service("db", cpuCores: 4, count: 1)],
            policy: Policy(headroom: [1, 1]))
        let estimate = CarbonModel(problem: problem).estimate(after: [0])
        #expect(estimate.baseline == .evenShare(utilization: 0.2))
        // before: h0, h1 at u = 4 / 20 = 0.2: 2 × (100 + 320 × 0.2) = 328 W; after: 100 + 320 × 0.4 = 228 W
        // kWh per watt: 24 × 365 / 1000 × 1.58 = 13.8408
        let t = estimate.totals
        #expect(Self.close(t.beforeKWh, 4539.78))
        #expect(Self.close(t.afterKWh, 3155.70))
        #expect(Self.close(t.savedKWh, 1384.08))
        // 481 g/kWh
        #expect(Self.close(t.beforeKgCO2e, 2183.64))
        #expect(Self.close(t.afterKgCO2e, 1517.89))
        #expect(Self.close(t.savedKgCO2e, 665.74))
        // h2 was never on (draining, no current placement): nothing embodied is avoided.
        #expect(estimate.embodiedAvoidedKgCO2e == 0)

        let a = estimate.assumptions
        #expect(a["pue"]?.value == "1.58" && a["pue"]!.source.contains("Uptime Institute"))
        #expect(a["grid_intensity"]?.value == "481 gCO2e/kWh" && a["grid_intensity"]!.source.contains("Ember"))
        #expect(a["idle_watts"]?.value == "100 W" && a["idle_watts"]!.source.contains("SPECpower"))
        #expect(a["max_watts"]?.value == "420 W")
        #expect(a["power_curve"]!.source.contains("Fan, Weber & Barroso"))
        #expect(a["fan_r"]?.value == "1.4")
        #expect(a["before"]!.source.contains("no current placement"))
    }

    @Test func defaultLifetimeAndExplicitSources() {
        var problem = Self.smallFleet()
        problem.hosts[2].lifetimeYears = nil
        let estimate = CarbonModel(problem: problem).estimate(after: [0, 0, 0])
        // 1000 kg × 10 days / (365 × 4 years)
        #expect(Self.close(estimate.embodiedAvoidedKgCO2e, 6.849))
        let a = estimate.assumptions
        #expect(a["lifetime_years"]?.value == "4")
        #expect(a["pue"]?.source == "inventory [carbon] pue")
        #expect(a["grid_intensity.a"]?.value == "100 gCO2e/kWh")
        #expect(a["grid_intensity.b"]?.source == "inventory [carbon] zones")
        #expect(a["idle_watts"]!.source.contains("1 of 3 hosts"))
        #expect(a["before"]?.value == "current placement")
    }

    @Test func withoutCPUDimensionHostsIdle() {
        let problem = Problem(
            dimensions: [Self.memory],
            hosts: [Host(name: "m0", capacity: Resources([1 << 34])), Host(name: "m1", capacity: Resources([1 << 34]))],
            services: [Service(name: "s", package: PackageIdent(origin: "t", name: "s"), count: 2, requests: Resources([1 << 30]))],
            policy: Policy(headroom: [1]), current: [0, 1])
        let model = CarbonModel(problem: problem)
        #expect(model.cpuDimension == nil)
        let t = model.estimate(after: [0, 0]).totals
        // before 2 × 100 W, after 100 W + 0 W
        #expect(Self.close(t.savedKWh, 100 * 13.8408))
    }

    /// An explicit `before` overrides the problem's current placement; unplaced instances draw nothing.
    @Test func explicitBeforeAndUnplaced() {
        let model = CarbonModel(problem: Self.smallFleet())
        let e = model.estimate(before: [0, 0, -1], after: [0, 0, -1])
        #expect(e.totals.savedKWh == 0 && e.embodiedAvoidedKgCO2e == 0)
        // h0 at 0.4: 180 W, two hosts off at 10 W: 200 W × 0.36
        #expect(Self.close(e.totals.afterKWh, 72))
    }
}
