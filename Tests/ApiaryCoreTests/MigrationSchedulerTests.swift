import ApiaryCore
import PropertyBased
import Testing
import TestSupport

/// Schedules and checks the result with the independent wave verifier: the waves must reach
/// `finalAssignment` with the returned spare hosts (complete or not). When the schedule is
/// complete, see `completeScheduleFindings`.
private func scheduleAndVerify(
    _ p: Problem, _ target: [Int], options: MigrationOptions = MigrationOptions(),
    sourceLocation: SourceLocation = #_sourceLocation
) -> MigrationSchedule {
    let sched = MigrationScheduler.schedule(p, target: target, options: options)
    #expect(strictViolations(p, sched).isEmpty, "\(strictViolations(p, sched))", sourceLocation: sourceLocation)
    let findings = completeScheduleFindings(p, target, sched)
    #expect(findings.isEmpty, "\(findings)", sourceLocation: sourceLocation)
    return sched
}

/// For a complete schedule: the final assignment is the target (running instances the target
/// leaves unplaced stop before the first wave), except for `retargeted` instances, which end on hosts
/// the target already uses; and when the target passes the placement rules (`Verifier`), so
/// does the final assignment. Empty for an incomplete schedule.
func completeScheduleFindings(_ p: Problem, _ target: [Int], _ s: MigrationSchedule) -> [String] {
    guard s.isComplete else { return [] }
    var out = [String]()
    let expected = target
    let targetHosts = Set(target.filter { $0 >= 0 })
    let retargeted = Set(s.retargeted)
    for i in expected.indices {
        if retargeted.contains(i) {
            if s.finalAssignment[i] == expected[i] { out.append("instance \(i) is listed as retargeted but ends on its target") }
            if !targetHosts.contains(s.finalAssignment[i]) {
                out.append("instance \(i) is retargeted to host \(s.finalAssignment[i]), which the target does not use")
            }
        } else if s.finalAssignment[i] != expected[i] {
            out.append("instance \(i) ends on \(s.finalAssignment[i]), its target is \(expected[i])")
        }
    }
    if placementViolations(p, target).isEmpty { out += placementViolations(p, s.finalAssignment) }
    return out
}

/// Placement-rule findings of the independent `Verifier` on an assignment.
func placementViolations(_ p: Problem, _ assignment: [Int]) -> [String] {
    Verifier(problem: p).verify(assignment: assignment, offset: Array(p.instanceOffset.dropLast())).map(\.description)
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
    /// x needs an ssd host (b or the spare), so it cannot stay on a, and the target has no
    /// third host to send one of them to instead.
    @Test func cycleUsesSpareHost() {
        let ssd = ["disk": "ssd"]
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b", labels: ssd), MigFleet.host("spare", labels: ssd)],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 1, cpu: 7),
            ],
            current: [0, 1])
        let s = scheduleAndVerify(p, [1, 0])
        #expect(s.isComplete)
        #expect(s.retargeted.isEmpty)
        #expect(s.spareHosts == [2])
        #expect(s.waves.count == 3)
        #expect(s.notes.contains { $0.contains("spare host spare") })
        #expect(s.finalAssignment == [1, 0])
        #expect(s.moveCount == 2)
    }

    /// Without a free host, nor a way to keep both where they run, nor another target host,
    /// the cycle cannot proceed: report it, emit no invalid wave.
    @Test func cycleWithoutSpareIsReported() {
        let ssd = ["disk": "ssd"]
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b", labels: ssd)],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 1, cpu: 7),
            ],
            current: [0, 1])
        let s = scheduleAndVerify(p, [1, 0])
        #expect(!s.isComplete)
        #expect(s.waves.isEmpty && s.retargeted.isEmpty)
        #expect(Set(s.unscheduled) == [Move(instance: 0, from: 0, to: 1), Move(instance: 1, from: 1, to: 0)])
        #expect(s.notes.contains { $0.contains("could not be scheduled") })
    }

    /// A plain swap of two instances between two full hosts, no spare: both may stay where they
    /// run (the final placement is valid and keeps the same hosts on), so no move runs at all.
    @Test func swapWithoutSpareKeepsBothWhereTheyRun() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")],
            services: [MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 7)],
            current: [0, 1])
        let s = scheduleAndVerify(p, [1, 0])
        #expect(s.isComplete)
        #expect(s.waves.isEmpty && s.moveCount == 0)
        #expect(s.retargeted == [0, 1])
        #expect(s.finalAssignment == [0, 1])
        #expect(s.notes.contains { $0.contains("y.prod[0] stays on b and x.prod[0] on a instead of swapping hosts") })
        // Without retargeting, the old behaviour: both moves are reported.
        let off = scheduleAndVerify(p, [1, 0], options: MigrationOptions(retargetBlockedMoves: false))
        #expect(off.unscheduled.count == 2 && off.retargeted.isEmpty)
    }

    /// A 2-cycle on full hosts, every host busy before (no spare), x cannot stay on a (it needs
    /// ssd): x goes to c, a third host the target keeps on (for z) with room for it, which
    /// frees a for y. Complete, one move each, the final placement valid.
    @Test func cycleWithoutSpareRetargetsToAnotherTargetHost() {
        let ssd = ["disk": "ssd"]
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b", labels: ssd), MigFleet.host("c", labels: ssd)],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 1, cpu: 7),
                MigFleet.service("z.prod", count: 1, cpu: 1),
            ],
            current: [0, 1, 2])
        let s = scheduleAndVerify(p, [1, 0, 2])
        #expect(s.isComplete)
        #expect(s.spareHosts.isEmpty)
        #expect(s.retargeted == [0])
        #expect(s.finalAssignment == [2, 0, 2])
        #expect(s.waves == [[Move(instance: 0, from: 0, to: 2)], [Move(instance: 1, from: 1, to: 0)]])
        #expect(s.moveCount == 2)
        #expect(s.notes.contains { $0.contains("wave 1: x.prod[0] goes to c instead of b to break a cycle of moves") })
        #expect(placementViolations(p, s.finalAssignment).isEmpty)
    }

    /// A zone-spread instance is retargeted only where the final skew stays at most 1: w[0]
    /// (ssd only, so it cannot stay on a) is blocked on its way a→b (zone q) by y (b→a). e (zone
    /// p) and c (zone q) both have room in the target, e has the lower index, but w[1] already
    /// ends in zone p: w[0] goes to c.
    @Test func retargetKeepsZoneSpread() {
        let ssd = ["disk": "ssd"]
        let p = MigFleet.problem(
            hosts: [
                MigFleet.host("a", zone: "p"), MigFleet.host("b", zone: "q", labels: ssd),
                MigFleet.host("e", zone: "p", labels: ssd), MigFleet.host("c", zone: "q", labels: ssd),
                MigFleet.host("d", zone: "p", labels: ssd),
            ],
            services: [
                MigFleet.service("w.prod", count: 2, cpu: 6, spread: .zone, selector: ssd),
                MigFleet.service("y.prod", count: 1, cpu: 7), MigFleet.service("z.prod", count: 1, cpu: 1),
                MigFleet.service("v.prod", count: 1, cpu: 1),
            ],
            current: [0, 4, 1, 3, 2])
        let s = scheduleAndVerify(p, [1, 4, 0, 3, 2])
        #expect(s.isComplete)
        #expect(s.retargeted == [0])
        #expect(s.finalAssignment == [3, 4, 0, 3, 2])
        #expect(s.notes.contains { $0.contains("w.prod[0] goes to c instead of b") })
        #expect(placementViolations(p, s.finalAssignment).isEmpty)
    }

    /// The third target host is there but no blocked instance may end on it: full in the
    /// target (capacity), holding another replica (spread = host), or the same package name
    /// (Habitat). The moves stay unscheduled; nothing invalid is emitted.
    @Test(arguments: ["capacity", "spread", "package"])
    func cycleWithoutValidRetargetIsReported(reason: String) {
        let ssd = ["disk": "ssd"]
        // x (ssd only) a→b, y b→a, and on c (targeted): z, which leaves c no room for x or y
        // (capacity), or is another replica of y while x cannot use c (no ssd) (spread), or
        // shares y's package name while x cannot use c (package).
        let cLabels = reason == "capacity" ? ssd : [:]
        let services: [Service]
        let current: [Int?]
        let target: [Int]
        switch reason {
        case "capacity":
            services = [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 1, cpu: 7),
                MigFleet.service("z.prod", count: 1, cpu: 5),
            ]
            current = [0, 1, 2]
            target = [1, 0, 2]
        case "spread":
            // y[0] b→a, y[1] stays on c, which has room for y[0] but spread = host keeps it off.
            services = [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 2, cpu: 5),
            ]
            current = [0, 1, 2]
            target = [1, 0, 2]
        default:
            services = [
                MigFleet.service("x.prod", count: 1, cpu: 6, selector: ssd), MigFleet.service("y.prod", count: 1, cpu: 7),
                MigFleet.service("z.dev", count: 1, cpu: 1, package: "y"),
            ]
            current = [0, 1, 2]
            target = [1, 0, 2]
        }
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b", labels: ssd), MigFleet.host("c", labels: cLabels)],
            services: services, current: current)
        let s = scheduleAndVerify(p, target)
        #expect(!s.isComplete, "\(s.waves)")
        #expect(s.retargeted.isEmpty)
        #expect(s.waves.isEmpty)
        #expect(s.unscheduled.count == 2)
    }

    /// An incomplete schedule whose spare host both passes one instance on and would keep
    /// another (parked, its onward move blocked): the kept one is not parked, so the declared
    /// spare is empty at the end. x/w swap between c and d (x goes through the spare); k/l swap
    /// between the ssd hosts b and f and cannot use the spare (no ssd); y waits for b behind k.
    /// Before the fix y was parked on the spare after x had passed through it and stayed there.
    /// (Spare hosts only: x/w and k/l could otherwise stay where they run.)
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
        let s = scheduleAndVerify(p, [1, 4, 1, 3, 2], options: MigrationOptions(retargetBlockedMoves: false))
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

    /// A parked instance whose onward move cannot be scheduled ends on the spare host: the
    /// notes say so (instead of only "it goes on to … later"), the host is not declared a spare,
    /// and the waves still verify. Random fleet (30 hosts, seed 1216), the one such case in
    /// 9,000 seeds swept.
    @Test func parkedInstanceLeftOnSpareIsNoted() {
        let c = RandomFleet.make(seed: 1216, hosts: 30, services: 15)
        let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
        let s = scheduleAndVerify(c.problem, target)
        // Unscheduled moves that start somewhere else than where the instance ran: parked ones.
        let left = s.unscheduled.filter { m in c.problem.current![m.instance] != m.from }
        #expect(!left.isEmpty)
        for m in left {
            let p = c.problem
            let svc = p.service(ofInstance: m.instance)
            let label = "\(p.services[svc].name)[\(m.instance - p.instanceOffset[svc])]"
            #expect(s.finalAssignment[m.instance] == m.from!)
            #expect(!s.spareHosts.contains(m.from!))
            #expect(
                s.notes.contains("\(label) stays on \(p.hosts[m.from!].name), where it parked: its move on to \(p.hosts[m.to].name) could not be scheduled"),
                "\(s.notes)")
        }
    }

    /// A host that runs something now or in the target is not a spare; a draining one neither.
    /// (Spare hosts only: x/y could otherwise stay where they run, or x go to c.)
    @Test func spareMustBeFreeAndActive() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b"), MigFleet.host("d", state: .draining), MigFleet.host("c")],
            services: [
                MigFleet.service("x.prod", count: 1, cpu: 6), MigFleet.service("y.prod", count: 1, cpu: 7),
                MigFleet.service("z.prod", count: 1, cpu: 1),
            ],
            current: [0, 1, nil])
        // z starts on c: c is busy after, so no spare.
        let s = scheduleAndVerify(p, [1, 0, 3], options: MigrationOptions(retargetBlockedMoves: false))
        #expect(s.spareHosts.isEmpty)
        #expect(s.unscheduled.count == 2)
    }

    /// Running instances the target leaves unplaced stop before the first wave.
    @Test func runningUnplacedInstancesStopFirst() {
        let p = MigFleet.problem(
            hosts: [MigFleet.host("a"), MigFleet.host("b")], services: [MigFleet.service("web.prod", count: 2, maxUnavailable: 2)],
            current: [0, 1])
        let s = scheduleAndVerify(p, [0, -1])
        #expect(s.kept == [1])
        #expect(s.waves.isEmpty)
        #expect(s.finalAssignment == [0, -1])
    }

    /// The room of an instance that stops is free for the waves: on a full host, a start takes
    /// the place of an instance no host may take.
    @Test func aStopMakesRoomForAStart() {
        let p = Fleet.problem(
            hosts: [Fleet.host("h1", cpu: 2, memGiB: 16)],
            services: [
                Fleet.service("web.g1", package: "core/web/1", count: 1, cpu: 3, memGiB: 1),
                Fleet.service("web.g3", package: "core/web/2", count: 1, cpu: 1, memGiB: 1),
            ],
            supervisor: .systemd, current: [0, nil])
        let plan = Planner.plan(p, options: PlannerOptions(timeLimit: 0.1))
        #expect(plan.assignment == [-1, 0])
        #expect(plan.unscheduled.isEmpty)
        let doc = PlanDocumentBuilder.build(problem: p, plan: plan)
        #expect(doc.migration?.stops == [.init(service: "web.g1", instance: 0, host: "h1")])
        #expect(Verifier(problem: p).verify(doc).isEmpty)
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
    /// assignment and declared spare hosts; when complete it ends at the target except for
    /// retargeted instances, on hosts the target uses, and the final placement passes the
    /// placement rules (`completeScheduleFindings`); an incomplete one reports the moves it
    /// could not schedule (see `seededFleetsMostlyComplete` for how rare).
    @Test(arguments: [true, false])
    func randomFleetsProduceValidWaves(spares: Bool) {
        // Fixed seeds so a failure replays.
        for seed in 0..<500 {
            let c = RandomFleet.make(seed: UInt64(seed), spares: spares)
            let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
            #expect(placementViolations(c.problem, target).isEmpty, "seed \(seed): the generator's target")
            let s = MigrationScheduler.schedule(c.problem, target: target)
            let v = strictViolations(c.problem, s)
            #expect(v.isEmpty, "seed \(seed): \(v)")
            let f = completeScheduleFindings(c.problem, target, s)
            #expect(f.isEmpty, "seed \(seed): \(f)")
            if !s.isComplete {
                // A cycle nothing can break (e.g. a zone-spread swap when the spares sit in other
                // zones and no target host may take either instance) is reported, never
                // scheduled invalidly.
                #expect(s.notes.contains { $0.contains("could not be scheduled") }, "seed \(seed)")
            }
        }
    }

    /// Complete schedules out of 300 random fleets of 20 hosts, with the two free hosts and
    /// without (every host busy before, as on a real fleet): 300 and 277. Without breaking
    /// cycles by retargeting (only spare hosts): 299 (seed 78 left a swap unscheduled) and 220.
    @Test(arguments: [(true, 300), (false, 275)])
    func seededFleetsMostlyComplete(spares: Bool, atLeast: Int) {
        var complete = 0
        for seed in 0..<300 {
            let c = RandomFleet.make(seed: UInt64(seed), hosts: 20, services: 10, spares: spares)
            let target = MigrationScheduler.alignInstances(c.problem, target: c.target)
            let s = MigrationScheduler.schedule(c.problem, target: target)
            let v = strictViolations(c.problem, s)
            #expect(v.isEmpty, "seed \(seed): \(v)")
            let f = completeScheduleFindings(c.problem, target, s)
            #expect(f.isEmpty, "seed \(seed): \(f)")
            if s.isComplete { complete += 1 }
        }
        #expect(complete >= atLeast, "\(complete) of 300 complete")
    }
}
