import ApiaryCore
import Testing

/// The wave verifier catches each broken rule on hand-made waves.
@Suite struct MigrationWaveVerifierTests {
    let three = [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")]

    private func kinds(_ p: Problem, target: [Int], _ waves: [[Move]], spares: [Int] = []) -> Set<WaveViolation.Kind> {
        Set(WaveVerifier.verify(problem: p, current: p.current!, target: target, waves: waves, spareHosts: spares).map(\.kind))
    }

    @Test func validWavesPass() {
        let p = MigFleet.problem(hosts: three, services: [MigFleet.service("web.prod", count: 1)], current: [0])
        #expect(kinds(p, target: [2], [[Move(instance: 0, from: 0, to: 2)]]).isEmpty)
        #expect(verifyWaves(problem: p, current: [0], target: [2], waves: [[Move(instance: 0, from: 0, to: 2)]]).isEmpty)
    }

    @Test func chainIsRejected() {
        let p = MigFleet.problem(hosts: three, services: [MigFleet.service("web.prod", count: 1)], current: [0])
        let waves = [[Move(instance: 0, from: 0, to: 1)], [Move(instance: 0, from: 1, to: 2)]]
        #expect(kinds(p, target: [2], waves) == [.chain])
        // Through a declared spare (free before and after) the same shape is allowed.
        #expect(kinds(p, target: [2], waves, spares: [1]).isEmpty)
    }

    @Test func cancellingMovesAreRejected() {
        let p = MigFleet.problem(hosts: three, services: [MigFleet.service("web.prod", count: 1)], current: [0])
        #expect(kinds(p, target: [0], [[Move(instance: 0, from: 0, to: 0)]]).contains(.cancelling))
        let back = [[Move(instance: 0, from: 0, to: 1)], [Move(instance: 0, from: 1, to: 0)]]
        #expect(kinds(p, target: [0], back, spares: [1]).contains(.cancelling))
    }

    @Test func wrongFromAndDuplicates() {
        let p = MigFleet.problem(
            hosts: three, services: [MigFleet.service("web.prod", count: 1, maxUnavailable: 2)], current: [0])
        #expect(kinds(p, target: [2], [[Move(instance: 0, from: 1, to: 2)]]).contains(.badMove))
        #expect(kinds(p, target: [2], [[Move(instance: 0, from: nil, to: 2)]]).contains(.badMove))
        let twice = [[Move(instance: 0, from: 0, to: 2), Move(instance: 0, from: 0, to: 1)]]
        #expect(kinds(p, target: [2], twice).contains(.duplicateInWave))
    }

    @Test func capacityCountsOldAndNewCopies() {
        let p = MigFleet.problem(
            hosts: three,
            services: [MigFleet.service("x.prod", count: 1, cpu: 8), MigFleet.service("y.prod", count: 1, cpu: 8)],
            current: [1, 0])
        // y arrives on b in the same wave x leaves it: 16 cpu on a 10-cpu host.
        let oneWave = [[Move(instance: 0, from: 1, to: 2), Move(instance: 1, from: 0, to: 1)]]
        let v = WaveVerifier.verify(problem: p, current: p.current!, target: [2, 1], waves: oneWave)
        #expect(v.map(\.kind) == [.capacity])
        #expect(v[0].description == "wave 1: b needs 16 cpu during the wave, usable 10")
        let twoWaves = [[Move(instance: 0, from: 1, to: 2)], [Move(instance: 1, from: 0, to: 1)]]
        #expect(kinds(p, target: [2, 1], twoWaves).isEmpty)
    }

    @Test func maxUnavailableIsPerWave() {
        let hosts = (0..<4).map { MigFleet.host("h\($0)") }
        let p = MigFleet.problem(hosts: hosts, services: [MigFleet.service("web.prod", count: 2)], current: [0, 1])
        let wave = [[Move(instance: 0, from: 0, to: 2), Move(instance: 1, from: 1, to: 3)]]
        #expect(kinds(p, target: [2, 3], wave) == [.maxUnavailable])
    }

    @Test func hostLevelRulesHoldOnTheUnion() {
        // spread = host
        let p1 = MigFleet.problem(
            hosts: three, services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)], current: [0, 1])
        let w1 = [[Move(instance: 0, from: 0, to: 1), Move(instance: 1, from: 1, to: 2)]]
        #expect(kinds(p1, target: [1, 2], w1).contains(.spreadHost))
        // package name
        let p2 = MigFleet.problem(
            hosts: three,
            services: [MigFleet.service("redis.prod", count: 1), MigFleet.service("redis.dev", count: 1)], current: [0, 1])
        let w2 = [[Move(instance: 0, from: 0, to: 1), Move(instance: 1, from: 1, to: 2)]]
        #expect(kinds(p2, target: [1, 2], w2) == [.packageName])
        // exclusive
        let p3 = MigFleet.problem(
            hosts: three,
            services: [MigFleet.service("db.prod", count: 1, exclusive: true), MigFleet.service("web.prod", count: 1)],
            current: [0, 1])
        #expect(kinds(p3, target: [1, 2], w2) == [.exclusive])
    }

    @Test func zoneSkewAfterEachWave() {
        let hosts = [
            MigFleet.host("x1", zone: "x"), MigFleet.host("x2", zone: "x"),
            MigFleet.host("y1", zone: "y"), MigFleet.host("y2", zone: "y"),
            MigFleet.host("z1", zone: "z"), MigFleet.host("z2", zone: "z"),
        ]
        let p = MigFleet.problem(
            hosts: hosts, services: [MigFleet.service("api.prod", count: 4, spread: .zone)], current: [2, 0, 1, 4])
        let bad = [[Move(instance: 0, from: 2, to: 5)], [Move(instance: 1, from: 0, to: 3)]]
        #expect(kinds(p, target: [5, 3, 1, 4], bad) == [.spreadSkew])
    }

    @Test func finalStateMustMatchTarget() {
        let p = MigFleet.problem(hosts: three, services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)], current: [0, 1])
        #expect(kinds(p, target: [2, 1], []) == [.finalState])
        // A running instance the target leaves unplaced may stay where it is.
        #expect(kinds(p, target: [0, -1], []).isEmpty)
    }

    @Test func sparesMustBeFree() {
        let p = MigFleet.problem(hosts: three, services: [MigFleet.service("web.prod", count: 1)], current: [0])
        #expect(kinds(p, target: [0], [], spares: [0]).contains(.spareHost))
    }

    @Test func movesOntoDrainingHostsAreRejected() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("d", state: .draining)], services: [MigFleet.service("web.prod", count: 1)],
            current: [0])
        #expect(kinds(p, target: [1], [[Move(instance: 0, from: 0, to: 1)]]) == [.hostNotEligible])
    }
}

extension MigrationWaveVerifierTests {
    @Test func capacityMessagesUseGiBForBytes() {
        let gib: Int64 = 1 << 30
        let hosts = [
            Host(name: "a", capacity: Resources([10_000, 100 * gib])), Host(name: "b", capacity: Resources([10_000, 100 * gib])),
            Host(name: "c", capacity: Resources([10_000, 100 * gib])),
        ]
        let svc = { (name: String) in
            Service(name: name, package: PackageIdent(origin: "o", name: name), count: 1, requests: Resources([1000, 60 * gib]))
        }
        let p = MigFleet.problem(hosts: hosts, services: [svc("x"), svc("y")], current: [1, 0])
        let v = WaveVerifier.verify(
            problem: p, current: p.current!, target: [2, 1],
            waves: [[Move(instance: 0, from: 1, to: 2), Move(instance: 1, from: 0, to: 1)]])
        #expect(v.map(\.description) == ["wave 1: b needs 120 GiB memory during the wave, usable 100 GiB"])
    }
}
