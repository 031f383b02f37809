import ApiaryCore
import PropertyBased
import Testing

/// Schedules and checks the result with the independent wave verifier: the waves must reach
/// `finalAssignment` with the returned spare hosts (complete or not), which is the target when
/// the schedule is complete.
private func scheduleAndVerify(
    _ p: Problem, _ target: [Int], options: MigrationOptions = MigrationOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MigrationSchedule {
    let sched = MigrationScheduler.schedule(p, target: target, options: options)
    #expect(strictViolations(p, sched).isEmpty, "\(strictViolations(p, sched))", sourceLocation: sourceLocation)
    if sched.isComplete {
        // Running instances the target leaves unplaced are kept where they run.
        var expected = target
        for i in sched.kept { expected[i] = p.current![i]! }
        #expect(sched.finalAssignment == expected, sourceLocation: sourceLocation)
    }
    return sched
}

/// Verifier findings for a schedule against its own final assignment and declared spare hosts.
private func strictViolations(_ p: Problem, _ s: MigrationSchedule) -> [String] {
    WaveVerifier.verify(
        problem: p, current: p.current!, target: s.finalAssignment, waves: s.waves, spareHosts: s.spareHosts
    ).map(\.description)
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

    /// An incomplete schedule whose spare host both passes one instance on and would keep
    /// another (parked, its onward move blocked): the kept one is not parked, so the declared
    /// spare is empty at the end. x/w swap between c and d (x goes through the spare); k/l swap
    /// between the ssd hosts b and f and cannot use the spare (no ssd); y waits for b behind k.
    /// Before the fix y was parked on the spare after x had passed through it and stayed there.
    @Test func spareThatKeepsAnInstanceIsNotPassedThrough() {
        let ssd = ["disk": "ssd"]
        let p = MigFleet.problem(
            hosts: [
                MigFleet.host("a"), MigFleet.host("b", labels: ssd), MigFleet.host("c"), MigFleet.host("d"),
                MigFleet.host("f", labels: ssd), MigFleet.host("spare"),
            ],
            services: [
                MigFleet.service("y.prod", count: 1, cpu: 2),
                MigFleet.service("k.prod", count: 1, cpu: 9, selector: ssd),
                MigFleet.service("l.prod", count: 1, cpu: 8, selector: ssd),
                MigFleet.service("x.prod", count: 1, cpu: 3),
                MigFleet.service("w.prod", count: 1, cpu: 8),
            ],
            current: [0, 1, 4, 2, 3])
        // y a→b, k b→f, l f→b, x c→d, w d→c.
        let s = scheduleAndVerify(p, [1, 4, 1, 3, 2])
        #expect(s.waves == [
            [Move(instance: 3, from: 2, to: 5)], [Move(instance: 4, from: 3, to: 2)], [Move(instance: 3, from: 5, to: 3)],
        ])
        #expect(s.spareHosts == [5])
        #expect(s.finalAssignment == [0, 1, 4, 3, 2], "y stays where it runs")
        #expect(s.unscheduled == [
            Move(instance: 0, from: 0, to: 1), Move(instance: 1, from: 1, to: 4), Move(instance: 2, from: 4, to: 1),
        ])
    }

    /// The random fleet (seed 85) that exposed the gap: svc0.prod[0] was parked on spare0 and
    /// left there (its onward move blocked by zone skew) while svc3.prod[0] passed through
    /// spare0. Without parking svc0.prod[0] the whole migration now runs.
    @Test func seed85SpareIsEmptyAtTheEnd() {
        let c = RandomFleet.make(seed: 85)
        let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
        let s = scheduleAndVerify(c.problem, target)
        #expect(s.isComplete)
        #expect(s.spareHosts == [12])
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

    /// Random fleets: every schedule passes the independent verifier against its own final
    /// assignment and declared spare hosts, and ends at the target when complete; an incomplete
    /// one reports the moves it could not schedule (see `seededFleetsMostlyComplete` for how rare).
    @Test func randomFleetsProduceValidWaves() {
        // Fixed seeds so a failure replays.
        for seed in 0..<500 {
            let c = RandomFleet.make(seed: UInt64(seed))
            let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
            let s = MigrationScheduler.schedule(c.problem, target: target)
            let v = strictViolations(c.problem, s)
            #expect(v.isEmpty, "seed \(seed): \(v)")
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
            let v = strictViolations(c.problem, s)
            #expect(v.isEmpty, "seed \(seed): \(v)")
            if s.isComplete {
                #expect(s.finalAssignment == target, "seed \(seed)")
                complete += 1
            }
        }
        // 299 of 300 are complete (seed 78 leaves a swap of two instances unscheduled).
        #expect(complete >= 298, "\(complete) of 300 complete")
    }
}
