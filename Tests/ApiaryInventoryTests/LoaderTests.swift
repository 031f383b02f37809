import ApiaryCore
import Foundation
import Testing

@testable import ApiaryInventory

@Suite("Loading valid inventories")
struct LoaderTests {
    @Test("basic.toml: dimensions, capacities, profiles, overrides, policy, carbon, placement")
    func basic() throws {
        let inventory = try Fixtures.load("small/basic.toml")
        let p = inventory.problem
        #expect(p.dimensions.map(\.name) == ["cpu", "memory", "disk", "gpu"])
        #expect(p.dimensions.map(\.kind) == [.count, .bytes, .bytes, .count])
        #expect(p.hosts.map(\.name) == ["hive-01", "hive-02", "comb-01"])
        #expect(p.hosts[0].capacity.values == [32_000, 128 * GiB, 2 * TiB, 0])
        #expect(p.hosts[1].capacity.values == [16_000, 64 * GiB, 1_000_000_000_000, 2_000])
        #expect(p.hosts[2].capacity.values == [8_000, 32 * GiB, 0, 0])
        #expect(p.hosts[0].zone == "berlin-a")
        #expect(p.hosts[0].labels == ["arch": "x86_64"])
        #expect(p.hosts[0].power == PowerProfile(idleWatts: 110, maxWatts: 420))
        #expect(p.hosts[0].embodiedKgCO2e == 1300)
        #expect(p.hosts[0].lifetimeYears == 4)
        #expect(p.hosts[1].power == nil)
        #expect(p.hosts.map(\.state) == [.active, .cordoned, .draining])

        let prod = try #require(p.service(named: "analytics.prod"))
        #expect(prod.requests.values == [4_000, 8 * GiB, 1 * GiB, 0], "the /2.3.1 profile wins over smartbee/analytics")
        #expect(prod.package.description == "smartbee/analytics/2.3.1/20260101120000")
        #expect(prod.count == 3)
        #expect(prod.spread == .zone)
        #expect(prod.selector == ["arch": "x86_64"])
        #expect(prod.maxUnavailable == 1)
        #expect(!prod.exclusive)

        let staging = try #require(p.service(named: "analytics.staging"))
        #expect(staging.requests.values == [2_000, 10 * GiB, 500 * MiB, 0], "generic profile, memory overridden")
        #expect(staging.spread == Spread.none)

        let redis = try #require(p.service(named: "redis.cache"))
        #expect(redis.requests.values == [500, 2 * GiB, 0, 0])
        #expect(redis.exclusive)
        #expect(redis.spread == .host)

        let trainer = try #require(p.service(named: "trainer.gpu"))
        #expect(trainer.requests.values == [1_500, 1_000_000_000, 0, 1_000], "no profile, every dimension requested")
        #expect(trainer.spread == .label("arch"))

        #expect(p.policy.headroom == [0.8, 0.9, 1.0, 1.0])
        #expect(p.policy.objective == .energy)
        #expect(p.policy.maxMoves == 10)
        #expect(p.policy.supervisor == .systemd)
        #expect(p.policy.maxUnavailable == 2)

        #expect(p.carbon.gridIntensity == 300)
        #expect(p.carbon.pue == 1.2)
        #expect(p.carbon.zones == ["berlin-a": 380, "paris-b": 56])
        #expect(p.carbon.horizonDays == 365)
        #expect(p.carbon.explicitKeys == ["grid_intensity", "pue", "zones"])

        #expect(inventory.hasCurrentPlacement)
        // analytics.prod 0..2, analytics.staging 3, redis.cache 4..5, trainer.gpu 6
        #expect(p.current == [0, 1, nil, nil, nil, nil, 1])
        #expect(inventory.files == [Fixtures.path("small/basic.toml")])
        #expect(inventory.digest.count == 64)
    }

    @Test("JSON with the same structure loads to the same problem")
    func jsonEquivalence() throws {
        let toml = try Fixtures.load("small/basic.toml").problem
        let json = try Fixtures.load("small/basic.json").problem
        expectSameProblem(toml, json)
    }

    @Test("a directory merges its *.toml and *.json files in name order, tables split any way")
    func directoryMerge() throws {
        let inventory = try Fixtures.load("small/split")
        #expect(
            inventory.files.map { URL(fileURLWithPath: $0).lastPathComponent }
                == ["10-hosts.toml", "20-services.toml", "30-policy.json", "40-packages.toml"])
        let whole = try Fixtures.load("small/basic.toml").problem
        var split = inventory.problem
        // basic.toml sets the policy's headroom/objective the same way; only carbon keys differ.
        #expect(split.carbon.explicitKeys == ["grid_intensity", "pue", "zones"])
        split.carbon = whole.carbon
        expectSameProblem(whole, split)
        #expect(split.current == [0, 1, nil, nil, nil, nil, 1], "placements numbered in file, then document order")
    }

    @Test("the same file named twice (directly and through its directory) loads once")
    func duplicatePathsLoadOnce() throws {
        let inventory = try Fixtures.load("small/split", "small/split/10-hosts.toml")
        #expect(inventory.files.count == 4)
    }

    @Test("the digest depends on contents and order, not on paths")
    func digest() throws {
        let a = try Fixtures.load("small/basic.toml")
        let text = try String(contentsOfFile: Fixtures.path("small/basic.toml"), encoding: .utf8)
        let b = try InventoryLoader().load(texts: [text], names: ["elsewhere/inventory.toml"])
        #expect(a.digest == b.digest)
        let c = try Fixtures.load("small/basic.json")
        #expect(a.digest != c.digest)
        #expect(a.digest.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test("headroom as one number applies to every dimension")
    func headroomNumber() throws {
        let inventory = try InventoryLoader().load(
            texts: [
                """
                [policy]
                headroom = 0.5
                [[host]]
                name = "a"
                capacity = { cpu = 3, memory = "1GiB" }
                """
            ], names: ["h.toml"])
        #expect(inventory.problem.policy.headroom == [0.5, 0.5])
        #expect(inventory.problem.usable[0].values == [1_500, 512 * MiB])
        #expect(!inventory.hasCurrentPlacement)
        #expect(inventory.problem.current == nil)
    }

    @Test("without [policy] or [carbon] the defaults apply")
    func defaults() throws {
        let p = try InventoryLoader().load(
            texts: ["[[host]]\nname = \"a\"\ncapacity = { cpu = 1 }\n"], names: ["d.toml"]
        ).problem
        #expect(p.policy.headroom == [1.0])
        #expect(p.policy.objective == .hosts)
        #expect(p.policy.supervisor == .habitat)
        #expect(p.policy.maxMoves == nil)
        #expect(p.policy.maxUnavailable == 1)
        #expect(p.carbon == CarbonSettings())
        #expect(p.carbon.explicitKeys.isEmpty)
    }

    @Test("a dimension is in bytes when any host gives it a byte unit, and counted otherwise")
    func dimensionKinds() throws {
        let p = try InventoryLoader().load(
            texts: [
                """
                [[host]]
                name = "a"
                capacity = { scratch = "100GB", gpu = 2, cpu = 4 }
                [[host]]
                name = "b"
                capacity = { scratch = 1000, fpga = "1500m", storage = 10 }
                """
            ], names: ["k.toml"]
        ).problem
        #expect(p.dimensions.map(\.name) == ["cpu", "fpga", "gpu", "scratch", "storage"])
        #expect(p.dimensions.map(\.kind) == [.count, .count, .count, .bytes, .bytes])
        #expect(p.hosts[0].capacity.values == [4_000, 0, 2_000, 100_000_000_000, 0])
        #expect(p.hosts[1].capacity.values == [0, 1_500, 0, 1_000, 10])
    }

    @Test("profiles: the most specific matching ident wins, release beats version beats name")
    func profileSpecificity() throws {
        let p = try InventoryLoader().load(
            texts: [
                """
                [[host]]
                name = "a"
                capacity = { cpu = 64 }
                [[package]]
                ident = "core/app/1.0/20260101"
                requests = { cpu = 4 }
                [[package]]
                ident = "core/app"
                requests = { cpu = 1 }
                [[package]]
                ident = "core/app/1.0"
                requests = { cpu = 2 }
                [[package]]
                ident = "core/other"
                requests = { cpu = 9 }
                [[service]]
                name = "r.x"
                package = "core/app/1.0/20260101"
                [[service]]
                name = "v.x"
                package = "core/app/1.0/20250101"
                [[service]]
                name = "n.x"
                package = "core/app/2.0"
                [[service]]
                name = "o.x"
                package = "core/app"
                [[service]]
                name = "z.x"
                package = "core/app/1.0"
                count = 0
                """
            ], names: ["p.toml"]
        ).problem
        #expect(p.services.map { $0.requests[0] } == [4_000, 2_000, 1_000, 1_000, 2_000])
        #expect(p.services.map(\.count) == [1, 1, 1, 1, 0])
    }

    @Test("the demo fleet loads: 20 hosts in 3 zones, ~25 services, a valid current placement")
    func demo() throws {
        let inventory = try Fixtures.load("demo")
        let p = inventory.problem
        #expect(inventory.files.count >= 4)
        #expect(p.hosts.count == 20)
        #expect(Set(p.hosts.compactMap(\.zone)).count == 3)
        #expect((22...28).contains(p.services.count))
        #expect(p.dimensions.map(\.name) == ["cpu", "memory", "disk", "gpu"])
        #expect(p.hosts.filter { $0.state == .draining }.count == 1)
        #expect(p.hosts.filter { $0.state == .cordoned }.count == 1)
        #expect(inventory.hasCurrentPlacement)
        let current = try #require(p.current)
        #expect(current.allSatisfy { $0 != nil }, "every instance runs somewhere now")
        let cordoned = try #require(p.hosts.firstIndex { $0.state == .cordoned })
        #expect(current.contains(cordoned), "the cordoned host runs something")
        #expect(p.services.filter { $0.package.name == "redis" }.count == 2)
        #expect(p.services.contains { $0.exclusive })
        #expect(p.services.contains { $0.spread == .zone } && p.services.contains { $0.spread == .host })
        #expect(p.services.contains { $0.selector["arch"] == "arm64" })
        #expect(p.services.contains { $0.requests[3] > 0 }, "some service requests a gpu")

        // The current placement is itself valid: capacity under headroom, selectors,
        // exclusive tenants, one instance per package name per host, spread.
        let owner = p.serviceOfEachInstance()
        var load = p.hosts.map { _ in Resources(zeros: p.dimensions.count) }
        var names = p.hosts.map { _ in [String: Int]() }
        var servicesOn = p.hosts.map { _ in Set<Int>() }
        for (id, host) in current.enumerated() {
            guard let h = host else { continue }
            let s = owner[id]
            let svc = p.services[s]
            load[h] += svc.requests
            names[h][svc.package.name, default: 0] += 1
            servicesOn[h].insert(s)
            for (k, v) in svc.selector { #expect(p.hosts[h].labels[k] == v, "\(svc.name) on \(p.hosts[h].name)") }
        }
        var used = 0
        for h in p.hosts.indices where !servicesOn[h].isEmpty {
            used += 1
            #expect(load[h].fits(in: p.usable[h]), "\(p.hosts[h].name) over capacity")
            #expect(names[h].values.allSatisfy { $0 == 1 }, "\(p.hosts[h].name) runs a package name twice")
            if servicesOn[h].contains(where: { p.services[$0].exclusive }) {
                #expect(servicesOn[h].count == 1, "exclusive tenant shares \(p.hosts[h].name)")
            }
        }
        #expect(used >= 18, "spread over nearly all hosts")
        for (s, svc) in p.services.enumerated() where svc.spread != .none {
            let hosts = current[p.instanceOffset[s]..<p.instanceOffset[s + 1]].compactMap { $0 }
            #expect(Set(hosts).count == hosts.count, "\(svc.name) has two replicas on a host")
            if svc.spread == .zone {
                var perZone = [String: Int]()
                for h in hosts { perZone[p.hosts[h].zone ?? "", default: 0] += 1 }
                let counts = Set(p.hosts.compactMap(\.zone)).map { perZone[$0, default: 0] }
                #expect(counts.max()! - counts.min()! <= 1, "\(svc.name) zone skew")
            }
        }
        let cpu = 0
        let total = p.hosts.reduce(Int64(0)) { $0 + $1.capacity[cpu] }
        let usedCPU = load.reduce(Int64(0)) { $0 + $1[cpu] }
        let utilization = Double(usedCPU) / Double(total)
        #expect((0.18...0.35).contains(utilization), "about 25 % cpu, got \(utilization)")
    }
}

/// Compares two problems field by field (Problem is not Equatable).
func expectSameProblem(_ a: Problem, _ b: Problem, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.dimensions == b.dimensions, sourceLocation: sourceLocation)
    #expect(a.hosts == b.hosts, sourceLocation: sourceLocation)
    #expect(a.services == b.services, sourceLocation: sourceLocation)
    #expect(a.policy == b.policy, sourceLocation: sourceLocation)
    #expect(a.carbon == b.carbon, sourceLocation: sourceLocation)
    #expect(a.current == b.current, sourceLocation: sourceLocation)
    #expect(a.usable == b.usable, sourceLocation: sourceLocation)
}
