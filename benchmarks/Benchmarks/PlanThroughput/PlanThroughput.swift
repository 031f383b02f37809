import ApiaryCore
import Benchmark

/// Seeded fleets: `planted` fills identical hosts exactly with 2-D items (optimum known),
/// `fleet` draws heavy-tailed requests with replicas spread over hosts.
enum Fleets {
    struct RNG {
        var inner: SplitMix64
        init(state: UInt64) { inner = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { inner.next() }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    static let dims = [Dimension(name: "cpu", kind: .count), Dimension(name: "memory", kind: .bytes)]
    static let cap: [Int64] = [32_000, 128 << 30]

    static func planted(instances: Int, seed: UInt64) -> Problem {
        var rng = RNG(state: seed)
        var services = [Service]()
        var filled = 0
        while services.count < instances {
            var rem = cap
            while true {
                let c = Int64(Double(cap[0]) * (0.05 + 0.25 * rng.unit()))
                let m = Int64(Double(cap[1]) * (0.05 + 0.25 * rng.unit()))
                let item: [Int64] = (c >= rem[0] || m >= rem[1]) ? rem : [c, m]
                services.append(
                    Service(
                        name: "s\(services.count)", package: PackageIdent(origin: "bench", name: "s\(services.count)"),
                        count: 1, spread: .none, requests: Resources(item)))
                if item == rem { break }
                rem[0] -= c
                rem[1] -= m
            }
            filled += 1
        }
        let hosts = (0..<(filled * 3 / 2)).map { Host(name: "h\($0)", zone: "z\($0 % 3)", capacity: Resources(cap)) }
        return Problem(
            dimensions: dims, hosts: hosts, services: services, policy: Policy(headroom: [1, 1], supervisor: .systemd))
    }

    static func fleet(instances: Int, seed: UInt64) -> Problem {
        var rng = RNG(state: seed)
        var services = [Service]()
        var total = 0
        while total < instances {
            let c = Int64(Double(cap[0]) * min(0.4, 0.01 + 0.05 * -log(max(1e-9, rng.unit()))))
            let m = Int64(Double(cap[1]) * min(0.4, 0.01 + 0.05 * -log(max(1e-9, rng.unit()))))
            let n = 1 + Int(rng.next() % 9)
            services.append(
                Service(
                    name: "s\(services.count)", package: PackageIdent(origin: "bench", name: "s\(services.count)"),
                    count: n, spread: .host, requests: Resources([c, m])))
            total += n
        }
        let hosts = (0..<(instances / 5)).map { Host(name: "h\($0)", zone: "z\($0 % 3)", capacity: Resources(cap)) }
        return Problem(dimensions: dims, hosts: hosts, services: services, policy: Policy(headroom: [0.9, 0.9]))
    }

    static func log(_ x: Double) -> Double {
        // Natural log without Foundation: ln(x) = 2·atanh((x-1)/(x+1)), series to convergence.
        var m = x
        var k = 0.0
        while m > 2 { m /= 2.718281828459045; k += 1 }
        while m < 0.5 { m *= 2.718281828459045; k -= 1 }
        let y = (m - 1) / (m + 1)
        var term = y
        var sum = 0.0
        var n = 1.0
        while abs(term) > 1e-15 {
            sum += term / n
            term *= y * y
            n += 2
        }
        return 2 * sum + k
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, .instructions],
        maxDuration: .seconds(10), maxIterations: 10)
    for n in [1_000, 10_000, 100_000] {
        let planted = Fleets.planted(instances: n, seed: 1)
        let fleet = Fleets.fleet(instances: n, seed: 1)
        Benchmark("construction planted \(n)") { benchmark in
            let plan = Planner.plan(planted, options: PlannerOptions(constructionOnly: true))
            blackHole(plan.assignment.count)
        }
        Benchmark("construction fleet \(n)") { benchmark in
            let plan = Planner.plan(fleet, options: PlannerOptions(constructionOnly: true))
            blackHole(plan.assignment.count)
        }
        Benchmark("lower bound fleet \(n)") { benchmark in
            blackHole(LowerBounds.compute(fleet).value)
        }
    }
}
