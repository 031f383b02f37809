import ApiaryCore
import TestSupport
import Foundation

// Random running fleets: every drawn inventory (TestSupport's RandomInventory: zones, labels,
// selectors, spreads, exclusive tenants, shared package names, headroom, draining hosts) that
// comes with a current placement is planned twice, with it and from scratch, and both plans
// go through the independent verifier (waves included). Cordoned hosts are made active, so
// the current placement, drawn on random hosts, breaks rules the plan has to repair.
//
//   cd benchmarks && swift build -c release --product random-fleets
//   .build/release/random-fleets FIRST_SEED LAST_SEED [TIME_LIMIT] [MAX_HOSTS] [MAX_SERVICES]
//
// Prints one line per invalid plan and per plan worse than from scratch (more unplaced
// instances, or as many and more hosts), then a summary line.
let args = CommandLine.arguments
guard args.count >= 3, let first = UInt64(args[1]), let last = UInt64(args[2]), first <= last else {
    FileHandle.standardError.write(
        Data("usage: random-fleets FIRST_SEED LAST_SEED [TIME_LIMIT=0.2] [MAX_HOSTS=24] [MAX_SERVICES=18]\n".utf8))
    exit(2)
}
let timeLimit = args.count > 3 ? Double(args[3]) ?? 0.2 : 0.2
let maxHosts = args.count > 4 ? Int(args[4]) ?? 24 : 24
let maxServices = args.count > 5 ? Int(args[5]) ?? 18 : 18

struct Outcome {
    var hosts: Int
    var unplaced: Int
    var moves: Int
    var violations: [String]
}

func run(_ problem: Problem, seed: UInt64) -> Outcome {
    let start = Date()
    let plan = Planner.plan(
        problem, options: PlannerOptions(timeLimit: timeLimit, seed: seed),
        elapsed: { Date().timeIntervalSince(start) })
    let doc = PlanDocumentBuilder.build(problem: problem, plan: plan)
    return Outcome(
        hosts: doc.summary.hostsUsed, unplaced: plan.unplaced.count, moves: doc.summary.moves,
        violations: Verifier(problem: problem).verify(doc).map(\.description))
}

var fleets = 0, invalid = 0, worse = 0, better = 0
var hostsWith = 0, hostsScratch = 0, unplacedWith = 0, unplacedScratch = 0
for seed in first...last {
    let drawn = RandomInventory.make(seed: seed, maxHosts: maxHosts, maxServices: maxServices, rulesBroken: false)
    guard let current = drawn.current else { continue }
    fleets += 1
    var hosts = drawn.hosts
    for h in hosts.indices where hosts[h].state == .cordoned { hosts[h].state = .active }
    let running = Problem(
        dimensions: drawn.dimensions, hosts: hosts, services: drawn.services, policy: drawn.policy, current: current)
    let empty = Problem(dimensions: drawn.dimensions, hosts: hosts, services: drawn.services, policy: drawn.policy)
    let a = run(running, seed: seed)
    let b = run(empty, seed: seed)
    for (what, o) in [("with placement", a), ("from scratch", b)] where !o.violations.isEmpty {
        invalid += 1
        print("seed \(seed) \(what): INVALID \(o.violations.prefix(3).joined(separator: "; "))")
    }
    hostsWith += a.hosts
    hostsScratch += b.hosts
    unplacedWith += a.unplaced
    unplacedScratch += b.unplaced
    if (a.unplaced, a.hosts) > (b.unplaced, b.hosts) {
        worse += 1
        print("seed \(seed): with placement \(a.hosts) hosts / \(a.unplaced) unplaced / \(a.moves) moves; from scratch \(b.hosts) / \(b.unplaced)")
    } else if (a.unplaced, a.hosts) < (b.unplaced, b.hosts) {
        better += 1
    }
}
print(
    "fleets \(fleets) (seeds \(first)-\(last), time limit \(timeLimit) s): invalid plans \(invalid); with placement worse than from scratch \(worse), better \(better); hosts \(hostsWith) vs \(hostsScratch); unplaced \(unplacedWith) vs \(unplacedScratch)"
)
