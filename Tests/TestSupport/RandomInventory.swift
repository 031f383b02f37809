import ApiaryCore

/// A seeded generator for tests: ApiaryCore's SplitMix64 on a scrambled seed, so every random
/// inventory replays from its seed.
public struct TestRNG: RandomNumberGenerator, Sendable {
    private var inner: SplitMix64
    public init(seed: UInt64) { inner = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 1) }
    public mutating func next() -> UInt64 { inner.next() }
}

/// Builders for small problems, so tests read as tables.
public enum Fleet {
    public static let dims = [
        Dimension(name: "cpu", kind: .count), Dimension(name: "memory", kind: .bytes),
    ]
    public static let gib: Int64 = 1 << 30

    /// A host with `cpu` cores and `memGiB` GiB of memory.
    public static func host(
        _ name: String, cpu: Double, memGiB: Int64, zone: String? = nil, labels: [String: String] = [:],
        state: HostState = .active
    ) -> Host {
        Host(
            name: name, zone: zone, labels: labels,
            capacity: Resources([Int64(cpu * 1000), memGiB * gib]), state: state)
    }

    /// A service of `count` instances each requesting `cpu` cores and `memGiB` GiB.
    public static func service(
        _ name: String, package: String? = nil, count: Int, cpu: Double, memGiB: Int64, spread: Spread = .host,
        selector: [String: String] = [:], exclusive: Bool = false
    ) -> Service {
        Service(
            name: name, package: PackageIdent(parsing: package ?? "test/\(name)")!, count: count, spread: spread,
            selector: selector, exclusive: exclusive, requests: Resources([Int64(cpu * 1000), memGiB * gib]))
    }

    public static func problem(
        hosts: [Host], services: [Service], headroom: Double = 1.0, supervisor: Supervisor = .habitat,
        current: [Int?]? = nil, maxMoves: Int? = nil
    ) -> Problem {
        Problem(
            dimensions: dims, hosts: hosts, services: services,
            policy: Policy(headroom: [headroom, headroom], maxMoves: maxMoves, supervisor: supervisor),
            current: current)
    }
}

/// Random inventories mixing every constraint kind: zones and labels, selectors, spread by
/// host / zone / label / none, exclusive tenants, shared package names, both supervisors,
/// headroom, cordoned and draining hosts, and (half the time) a current placement, which may
/// break rules (also on cordoned hosts) and comes with a move budget a quarter of the time.
public enum RandomInventory {
    /// - Parameter rulesBroken: let a current placement put any instance on a cordoned host (half
    ///   the time) and set `max_moves` (a quarter of the time). These draws come from a second
    ///   generator, so with `false` every inventory is the one earlier sessions drew (the
    ///   `random-fleets` benchmark compares across sessions that way).
    public static func make(seed: UInt64, maxHosts: Int = 24, maxServices: Int = 18, rulesBroken: Bool = true) -> Problem {
        var rng = TestRNG(seed: seed)
        var extra = TestRNG(seed: seed ^ 0x5EED_CAFE_F00D_0001)
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(rng.next() % UInt64(r.count)) }
        let zones = ["a", "b", "c"].prefix(int(1...3))
        let hostCount = int(3...maxHosts)
        var hosts = [Host]()
        for h in 0..<hostCount {
            let big = rng.next() % 3 == 0
            let arm = rng.next() % 4 == 0
            var labels = ["arch": arm ? "arm64" : "x86_64"]
            if rng.next() % 2 == 0 { labels["rack"] = "r\(int(1...3))" }
            let state: HostState = {
                switch rng.next() % 12 {
                case 0: return .cordoned
                case 1: return .draining
                default: return .active
                }
            }()
            hosts.append(
                Fleet.host(
                    "h\(h)", cpu: big ? 32 : 16, memGiB: big ? 128 : 64,
                    zone: rng.next() % 10 == 0 ? nil : pick(Array(zones)), labels: labels, state: state))
        }
        let supervisor: Supervisor = rng.next() % 3 == 0 ? .systemd : .habitat
        var services = [Service]()
        let packages = ["core/redis", "core/nginx", "acme/api", "acme/worker", "acme/batch", "core/postgresql"]
        for s in 0..<int(1...maxServices) {
            let spread: Spread = pick([.host, .host, .zone, .label("rack"), .none])
            var selector = [String: String]()
            if rng.next() % 5 == 0 { selector["arch"] = pick(["arm64", "x86_64"]) }
            let exclusive = rng.next() % 10 == 0
            let cpu = Double(int(1...16)) / 2
            let mem = Int64(int(1...24))
            let pkg = rng.next() % 3 == 0 ? pick(packages) : "acme/svc\(s)"
            services.append(
                Fleet.service(
                    "svc\(s).prod", package: pkg, count: int(0...6), cpu: cpu, memGiB: mem, spread: spread,
                    selector: selector, exclusive: exclusive))
        }
        let headroom = pick([1.0, 0.9, 0.8])
        var problem = Fleet.problem(hosts: hosts, services: services, headroom: headroom, supervisor: supervisor)
        if rng.next() % 2 == 0 {
            // A current placement: each instance on a random host (or not running). It need not
            // be valid: the planner must repair what breaks the rules. A cordoned host keeps what
            // may run there together; half the time only such instances go there, else anything.
            let strictCordons = !rulesBroken || extra.next() % 2 == 0
            var current = [Int?]()
            var load = [[Int64]](repeating: [0, 0], count: hosts.count)
            var pkgOn = [Set<String>](repeating: [], count: hosts.count)
            for svc in services {
                for _ in 0..<svc.count {
                    if rng.next() % 5 == 0 {
                        current.append(nil)
                        continue
                    }
                    let h = int(0...(hosts.count - 1))
                    if hosts[h].state == .cordoned, strictCordons {
                        let fits = (0..<2).allSatisfy { load[h][$0] + svc.requests[$0] <= problem.usable[h][$0] }
                        let ok =
                            fits && !svc.exclusive && !pkgOn[h].contains(svc.package.name)
                            && svc.selector.allSatisfy { hosts[h].labels[$0.key] == $0.value }
                            && svc.spread == .none
                        if !ok {
                            current.append(nil)
                            continue
                        }
                        for d in 0..<2 { load[h][d] += svc.requests[d] }
                        pkgOn[h].insert(svc.package.name)
                    }
                    current.append(h)
                }
            }
            // A move budget a quarter of the time, often below the moves the placement forces.
            var policy = problem.policy
            if rulesBroken, extra.next() % 4 == 0 { policy.maxMoves = Int(extra.next() % 7) }
            problem = Problem(dimensions: problem.dimensions, hosts: hosts, services: services, policy: policy, current: current)
        }
        return problem
    }
}
