import ApiaryCore
import Testing
import TestSupport

@Suite("Planner")
struct PlannerTests {
    @Test("packs identical services onto the fewest hosts and proves it with the bound")
    func packsTight() {
        let hosts = (0..<10).map { Fleet.host("h\($0)", cpu: 16, memGiB: 64) }
        // 16 services x 2 replicas x (4 cpu, 16 GiB): 32 instances, 4 per host -> 8 hosts.
        let services = (0..<16).map { Fleet.service("s\($0)", count: 2, cpu: 4, memGiB: 16) }
        let problem = Fleet.problem(hosts: hosts, services: services)
        let plan = Planner.plan(problem)
        #expect(plan.unplaced.isEmpty)
        #expect(Set(plan.assignment).count == 8)
        #expect(plan.lowerBound.value == 8)
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        #expect(Verifier(problem: problem).verify(doc).isEmpty)
        #expect(doc.summary.hostsFreed == 2)
    }

    @Test("an instance wider than every host is unplaced with reasons")
    func tooWide() {
        let hosts = [Fleet.host("h0", cpu: 8, memGiB: 32), Fleet.host("h1", cpu: 8, memGiB: 32, labels: ["arch": "arm64"])]
        let services = [
            Fleet.service("big", count: 1, cpu: 4, memGiB: 64),
            Fleet.service("armonly", count: 1, cpu: 1, memGiB: 1, selector: ["arch": "arm64"]),
        ]
        let problem = Fleet.problem(hosts: hosts, services: services)
        let plan = Planner.plan(problem)
        #expect(plan.unplaced.count == 1)
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        #expect(doc.unplaced.first?.service == "big")
        #expect(doc.unplaced.first?.reasons == ["insufficient memory": 2])
        #expect(Verifier(problem: problem).verify(doc).isEmpty)
    }

    @Test("the Habitat rule keeps two groups of one package apart; systemd lifts it")
    func habitatRule() {
        let hosts = (0..<3).map { Fleet.host("h\($0)", cpu: 16, memGiB: 64) }
        let services = [
            Fleet.service("redis.cache", package: "core/redis", count: 1, cpu: 1, memGiB: 1),
            Fleet.service("redis.sessions", package: "core/redis", count: 1, cpu: 1, memGiB: 1),
        ]
        let habitat = Planner.plan(Fleet.problem(hosts: hosts, services: services))
        #expect(habitat.assignment[0] != habitat.assignment[1])
        let systemd = Planner.plan(Fleet.problem(hosts: hosts, services: services, supervisor: .systemd))
        #expect(systemd.assignment[0] == systemd.assignment[1])
    }

    @Test("exclusive tenants take the smallest host that fits and share it with nobody")
    func exclusive() {
        let hosts = [
            Fleet.host("big", cpu: 64, memGiB: 256), Fleet.host("small", cpu: 8, memGiB: 32),
            Fleet.host("mid", cpu: 16, memGiB: 64),
        ]
        let services = [
            Fleet.service("pg", count: 1, cpu: 6, memGiB: 24, exclusive: true),
            Fleet.service("web", count: 1, cpu: 1, memGiB: 1),
        ]
        let problem = Fleet.problem(hosts: hosts, services: services)
        let plan = Planner.plan(problem)
        #expect(plan.assignment[0] == 1)
        #expect(plan.assignment[1] != 1)
        #expect(plan.lowerBound.value == 2)
    }

    @Test("zone spread balances replicas with max skew 1")
    func zoneSpread() {
        let hosts = (0..<6).map { Fleet.host("h\($0)", cpu: 16, memGiB: 64, zone: ["a", "b", "c"][$0 % 3]) }
        let services = [Fleet.service("api", count: 5, cpu: 1, memGiB: 1, spread: .zone)]
        let problem = Fleet.problem(hosts: hosts, services: services, supervisor: .systemd)
        let plan = Planner.plan(problem)
        var perZone = [String: Int]()
        for h in plan.assignment { perZone[hosts[h].zone!, default: 0] += 1 }
        #expect(perZone.values.max()! - perZone.values.min()! <= 1)
        #expect(perZone.count == 3)
    }

    @Test("draining hosts are emptied and cordoned hosts keep what they run")
    func hostStates() {
        let hosts = [
            Fleet.host("drain", cpu: 16, memGiB: 64, state: .draining),
            Fleet.host("cord", cpu: 16, memGiB: 64, state: .cordoned),
            Fleet.host("ok", cpu: 16, memGiB: 64),
        ]
        let services = [Fleet.service("a", count: 1, cpu: 1, memGiB: 1), Fleet.service("b", count: 1, cpu: 1, memGiB: 1)]
        let problem = Fleet.problem(hosts: hosts, services: services, current: [0, 1])
        let plan = Planner.plan(problem)
        #expect(plan.assignment == [2, 1])
        let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
        #expect(Verifier(problem: problem).verify(doc).isEmpty)
        #expect(doc.summary.moves == 1)
    }

    @Test("the improvement phase empties hosts first-fit decreasing leaves half full")
    func improvementEmpties() {
        // Items 6,6,6 and 4,4,4 (+2s) on capacity-10 hosts: FFD opens a host per 6;
        // pairing 6+4 then 2s fills exactly.
        let hosts = (0..<8).map { Fleet.host("h\($0)", cpu: 10, memGiB: 100) }
        let services = [
            Fleet.service("six", count: 3, cpu: 6, memGiB: 1, spread: .none),
            Fleet.service("four", count: 3, cpu: 4, memGiB: 1, spread: .none),
        ]
        let problem = Fleet.problem(hosts: hosts, services: services, supervisor: .systemd)
        let plan = Planner.plan(problem)
        #expect(Set(plan.assignment).count == 3)
        #expect(plan.lowerBound.value == 3)
    }

    @Test("the same input and seed give the same plan")
    func deterministic() {
        let problem = RandomInventory.make(seed: 42, maxHosts: 40, maxServices: 30)
        let a = Planner.plan(problem, options: PlannerOptions(seed: 7))
        let b = Planner.plan(problem, options: PlannerOptions(seed: 7))
        #expect(a.assignment == b.assignment)
        #expect(PlanDocumentBuilder.build(problem: problem, plan: a) == PlanDocumentBuilder.build(problem: problem, plan: b))
    }
}

@Suite("Energy objective")
struct EnergyObjectiveTests {
    @Test("keeps the hosts that draw least, where the hosts objective only counts them")
    func keepsEfficientHosts() {
        var hosts = [Host]()
        for i in 0..<4 {
            var h = Fleet.host("old\(i)", cpu: 16, memGiB: 64)
            h.power = PowerProfile(idleWatts: 220, maxWatts: 520)
            hosts.append(h)
        }
        for i in 0..<4 {
            var h = Fleet.host("new\(i)", cpu: 16, memGiB: 64)
            h.power = PowerProfile(idleWatts: 60, maxWatts: 240)
            hosts.append(h)
        }
        let services = (0..<6).map { Fleet.service("s\($0)", count: 1, cpu: 4, memGiB: 16) }
        var problem = Fleet.problem(hosts: hosts, services: services)
        let byCount = Planner.plan(problem)
        problem.policy.objective = .energy
        let byEnergy = Planner.plan(problem)
        #expect(Set(byCount.assignment).count == Set(byEnergy.assignment).count)
        #expect(byEnergy.assignment.allSatisfy { $0 >= 4 }, "energy plan uses \(byEnergy.assignment)")
        let model = CarbonModel(problem: problem)
        let e = model.estimate(after: byEnergy.assignment).totals.afterKWh
        let c = model.estimate(after: byCount.assignment).totals.afterKWh
        #expect(e < c)
    }

    /// An exclusive tenant whose replicas may share a host takes the one host that holds all
    /// of them, not a host per instance on the smallest hosts.
    @Test func exclusiveTenantSharesOneLargerHost() {
        let hosts = [
            Fleet.host("h0", cpu: 4, memGiB: 16), Fleet.host("h1", cpu: 4, memGiB: 16), Fleet.host("h2", cpu: 8, memGiB: 32),
        ]
        let p = Fleet.problem(
            hosts: hosts, services: [Fleet.service("db", count: 3, cpu: 2, memGiB: 1, spread: .none, exclusive: true)],
            supervisor: .systemd)
        let plan = Planner.plan(p, options: PlannerOptions(timeLimit: 0.1))
        #expect(plan.assignment == [2, 2, 2])
    }

    /// A tenant leaves a zone's only host to a zone-spread service when an equal host elsewhere
    /// takes it.
    @Test func exclusiveTenantLeavesARareZoneFree() {
        let hosts = [
            Fleet.host("h0", cpu: 4, memGiB: 16, zone: "c", labels: ["arch": "y"]),
            Fleet.host("h1", cpu: 8, memGiB: 16, zone: "b", labels: ["arch": "x"]),
            Fleet.host("h2", cpu: 8, memGiB: 16, zone: "b", labels: ["arch": "x"]),
            Fleet.host("h3", cpu: 4, memGiB: 16, zone: "b", labels: ["arch": "y"]),
        ]
        let services = [
            Fleet.service("web", count: 2, cpu: 2, memGiB: 1, spread: .zone),
            Fleet.service("db", count: 1, cpu: 2, memGiB: 1, spread: .none, selector: ["arch": "y"], exclusive: true),
        ]
        let p = Fleet.problem(hosts: hosts, services: services, supervisor: .systemd)
        let plan = Planner.plan(p, options: PlannerOptions(timeLimit: 0.1))
        #expect(plan.unplaced.isEmpty)
        #expect(plan.assignment[2] == 3)
    }
}
