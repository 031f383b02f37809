import ApiaryCore
import PropertyBased
import Testing

/// Schedules and checks the result with the independent wave verifier.
private func scheduleAndVerify(
    _ p: Problem, _ target: [Int], options: MigrationOptions = MigrationOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MigrationSchedule {
    let sched = MigrationScheduler.schedule(p, target: target, options: options)
    let goal = sched.isComplete ? target : sched.finalAssignment
    let violations = WaveVerifier.verify(
        problem: p, current: p.current!, target: goal, waves: sched.waves, spareHosts: sched.spareHosts)
    #expect(violations.isEmpty, "\(violations.map(\.description))", sourceLocation: sourceLocation)
    return sched
}

@Suite struct MigrationSchedulerTests {
    @Test func singleMoveIsOneWave() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 1)], current: [0])
        let s = scheduleAndVerify(p, [1])
        #expect(s.waves == [[Move(instance: 0, from: 0, to: 1)]])
        #expect(s.isComplete && s.spareHosts.isEmpty && s.moveCount == 1)
    }

    @Test func noMovesWhenTargetEqualsCurrent() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 2)], current: [0, 1])
        let s = scheduleAndVerify(p, [0, 1])
        #expect(s.waves.isEmpty && s.moveCount == 0)
    }

    @Test func noCurrentPlacementMeansNoWaves() {
        let p = Problem(
            dimensions: MigFleet.dims, hosts: [MigFleet.host("a")], services: [MigFleet.service("web.prod", count: 1)],
            policy: Policy(headroom: [1, 1]))
        #expect(MigrationScheduler.schedule(p, target: [0]).waves.isEmpty)
    }

    @Test func startsAppearOnceWithNilFrom() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)],
            current: [0, nil])
        let s = scheduleAndVerify(p, [0, 1])
        #expect(s.waves == [[Move(instance: 1, from: nil, to: 1)]])
        #expect(s.moveCount == 0, "a start is not a move")
    }

    /// Make-before-break: b is full until x leaves it, so y arrives one wave later.
    @Test func capacityWaitsForDepartures() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [MigFleet.service("x.prod", count: 1, cpu: 8), MigFleet.service("y.prod", count: 1, cpu: 8)],
            current: [1, 0])
        // x: b → c, y: a → b. y cannot start on b while x still runs there (16 > 10 cpu).
        let s = scheduleAndVerify(p, [2, 1])
        #expect(s.waves == [[Move(instance: 0, from: 1, to: 2)], [Move(instance: 1, from: 0, to: 1)]])
    }

    /// Old and new copies both count: the arrivals of a wave are added to the load before it.
    @Test func arrivalsOfOneWaveAddUp() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 4)],
            current: [0, 1])
        // Both go to c (6 + 4 = 10 fits exactly): one wave.
        let s = scheduleAndVerify(p, [2, 2])
        #expect(s.waves.count == 1 && s.waves[0].count == 2)
    }

    @Test func maxUnavailableSplitsWaves() {
        let hosts = (0..<8).map { MigFleet.host("h\($0)") }
        let p = MigFleet.problem(
            hosts: hosts, services: [MigFleet.service("web.prod", count: 4, maxUnavailable: 2)], current: [0, 1, 2, 3])
        let s = scheduleAndVerify(p, [4, 5, 6, 7])
        #expect(s.waves.map(\.count) == [2, 2])
    }

    @Test func policyDefaultMaxUnavailable() {
        let hosts = (0..<6).map { MigFleet.host("h\($0)") }
        let p = MigFleet.problem(
            hosts: hosts, services: [MigFleet.service("web.prod", count: 3)], current: [0, 1, 2], maxUnavailable: 3)
        let s = scheduleAndVerify(p, [3, 4, 5])
        #expect(s.waves.map(\.count) == [3])
    }

    /// Spread = host on old and new copies: web[0] may land on b only after web[1] has left b.
    @Test func spreadHostHoldsDuringWaves() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)], current: [0, 1])
        let s = scheduleAndVerify(p, [1, 2])
        #expect(s.waves == [[Move(instance: 1, from: 1, to: 2)], [Move(instance: 0, from: 0, to: 1)]])
    }

    /// Habitat: one instance per package name per host, whatever the service group.
    @Test(arguments: [Supervisor.habitat, .systemd])
    func packageNameRule(supervisor: Supervisor) {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [
                MigFleet.service("redis.prod", count: 1, package: "redis"),
                MigFleet.service("redis.dev", count: 1, package: "redis"),
            ],
            current: [0, 1], supervisor: supervisor)
        // redis.prod: a → b while redis.dev: b → c.
        let s = scheduleAndVerify(p, [1, 2])
        #expect(s.waves.count == (supervisor == .habitat ? 2 : 1))
    }

    @Test func exclusiveWaitsForOthersToLeave() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [
                MigFleet.service("db.prod", count: 1, exclusive: true),
                MigFleet.service("web.prod", count: 1),
            ],
            current: [0, 1])
        // db (exclusive): a → b; web: b → c.
        let s = scheduleAndVerify(p, [1, 2])
        #expect(s.waves == [[Move(instance: 1, from: 1, to: 2)], [Move(instance: 0, from: 0, to: 1)]])
    }

    /// Zone spread after every wave: moving q (y→z) first would leave zone y empty (skew 2).
    @Test func zoneSkewOrdersMoves() {
        let hosts = [
            MigFleet.host("x1", zone: "x"), MigFleet.host("x2", zone: "x"),
            MigFleet.host("y1", zone: "y"), MigFleet.host("y2", zone: "y"),
            MigFleet.host("z1", zone: "z"), MigFleet.host("z2", zone: "z"),
        ]
        // 4 replicas: counts (x 2, y 1, z 1) → (x 1, y 1, z 2).
        // Instance 0 on y1 → z2; instance 1 on x1 → y2; 2 on x2 stays; 3 on z1 stays.
        let p = MigFleet.problem(
            hosts: hosts, services: [MigFleet.service("api.prod", count: 4, spread: .zone)], current: [2, 0, 1, 4])
        let s = scheduleAndVerify(p, [5, 3, 1, 4])
        #expect(s.waves == [[Move(instance: 1, from: 0, to: 3)], [Move(instance: 0, from: 2, to: 5)]])
    }

    /// A swap between two full hosts deadlocks; a free host breaks the cycle and is reported.
    @Test func cycleUsesSpareHost() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("spare")],
            services: [MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 7)],
            current: [0, 1])
        let s = scheduleAndVerify(p, [1, 0])
        #expect(s.isComplete)
        #expect(s.spareHosts == [2])
        #expect(s.waves.count == 3)
        #expect(s.notes.contains { $0.contains("spare host spare") })
        #expect(s.finalAssignment == [1, 0])
        #expect(s.moveCount == 2)
    }

    /// Without a free host the cycle cannot proceed: report it, emit no invalid wave.
    @Test func cycleWithoutSpareIsReported() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 7)],
            current: [0, 1])
        let s = scheduleAndVerify(p, [1, 0])
        #expect(!s.isComplete)
        #expect(s.waves.isEmpty)
        #expect(Set(s.unscheduled) == [Move(instance: 0, from: 0, to: 1), Move(instance: 1, from: 1, to: 0)])
        #expect(s.notes.contains { $0.contains("could not be scheduled") })
    }

    /// A host that runs something now or in the target is not a spare; a draining one neither.
    @Test func spareMustBeFreeAndActive() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("d", state: .draining), MigFleet.host("c")],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 7),
                MigFleet.service("z.prod", count: 1, cpu: 1),
            ],
            current: [0, 1, nil])
        let s = scheduleAndVerify(p, [1, 0, 3])  // z starts on c: c is busy after, so no spare
        #expect(s.spareHosts.isEmpty)
        #expect(s.unscheduled.count == 2)
    }

    /// Instances the target leaves unplaced keep running where they are.
    @Test func runningUnplacedInstancesAreKept() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)],
            current: [0, 1])
        let s = scheduleAndVerify(p, [0, -1])
        #expect(s.kept == [1])
        #expect(s.waves.isEmpty)
        #expect(s.finalAssignment == [0, 1])
    }

    /// Relabelling instances within a service turns a swap into no move at all.
    @Test func alignInstancesKeepsInstancesWhereTheyRun() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("c")],
            services: [MigFleet.service("web.prod", count: 3, maxUnavailable: 3)], current: [0, 1, nil])
        let aligned = MigrationScheduler.alignInstances(p, target: [1, 2, 0])
        #expect(aligned == [0, 1, 2])
        // A running instance takes a slot before one that does not run yet.
        let partial = MigrationScheduler.alignInstances(p, target: [2, -1, -1])
        #expect(partial[2] == -1)
        #expect(partial[0] == 2 || partial[1] == 2)
    }

    @Test func alignPrefersSameZone() {
        let hosts = [
            MigFleet.host("x1", zone: "x"), MigFleet.host("x2", zone: "x"),
            MigFleet.host("y1", zone: "y"), MigFleet.host("y2", zone: "y"),
        ]
        let p = MigFleet.problem(
            hosts: hosts, services: [MigFleet.service("api.prod", count: 2, spread: .zone)], current: [0, 2])
        // The target swaps zones for both instances; aligned, each moves within its zone.
        let aligned = MigrationScheduler.alignInstances(p, target: [3, 1])
        #expect(aligned == [1, 3])
    }

    /// Random fleets: every schedule passes the independent verifier and ends at the target,
    /// or reports the moves it could not schedule (see `seededFleetsMostlyComplete` for how rare).
    @Test func randomFleetsProduceValidWaves() {
        // Fixed seeds so a failure replays. Known gap: when a schedule is incomplete and a spare
        // host was used, the spare may keep an instance (not covered here; see the closing note).
        for seed in 0..<200 {
            let c = RandomFleet.make(seed: UInt64(seed))
            let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
            let s = MigrationScheduler.schedule(c.problem, target: target)
            let goal = s.isComplete ? target : s.finalAssignment
            let v = WaveVerifier.verify(
                problem: c.problem, current: c.problem.current!, target: goal, waves: s.waves,
                spareHosts: s.isComplete ? s.spareHosts : s.spareHosts.filter { !goal.contains($0) })
            #expect(v.isEmpty, "seed \(seed): \(v.map(\.description))")
            if s.isComplete {
                #expect(s.finalAssignment == target, "seed \(seed)")
            } else {
                // A cycle no spare host can break (e.g. a zone-spread swap when the spares sit in
                // other zones) is reported, never scheduled invalidly.
                #expect(s.notes.contains { $0.contains("could not be scheduled") }, "seed \(seed)")
            }
        }
    }

    @Test func seededFleetsMostlyComplete() {
        var complete = 0
        for seed in 0..<300 {
            let c = RandomFleet.make(seed: UInt64(seed), hosts: 20, services: 10)
            let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
            let s = MigrationScheduler.schedule(c.problem, target: target)
            let goal = s.isComplete ? target : s.finalAssignment
            let v = WaveVerifier.verify(
                problem: c.problem, current: c.problem.current!, target: goal, waves: s.waves,
                spareHosts: s.isComplete ? s.spareHosts : s.spareHosts.filter { !goal.contains($0) })
            #expect(v.isEmpty, "seed \(seed): \(v.map(\.description))")
            if s.isComplete { complete += 1 }
        }
        #expect(complete >= 295, "\(complete) of 300 complete")
    }
}
