/// Options for turning a target assignment into migration waves.
public struct MigrationOptions: Sendable, Hashable {
    /// Route one instance of a deadlocked cycle of moves through a free host when one exists.
    public var useSpareHosts: Bool
    /// Break a deadlocked cycle of moves without a spare host: two instances that swap hosts
    /// both stay where they run, or one blocked instance goes to another host the target keeps
    /// on, whenever the final placement stays valid (see `MigrationScheduler`).
    public var retargetBlockedMoves: Bool
    /// Safety valve on the number of waves (a broken invariant, not an expected outcome).
    public var maxWaves: Int

    public init(useSpareHosts: Bool = true, retargetBlockedMoves: Bool = true, maxWaves: Int = 100_000) {
        self.useSpareHosts = useSpareHosts
        self.retargetBlockedMoves = retargetBlockedMoves
        self.maxWaves = maxWaves
    }
}

/// Ordered migration waves from the current placement to a target, and what could not be done.
public struct MigrationSchedule: Sendable, Hashable {
    /// Waves in the order they run; every wave is valid on its own (see `MigrationScheduler`).
    public var waves: [[Move]]
    /// Free hosts that hold an instance for a while to break a cycle of moves (empty at the end).
    public var spareHosts: [Int]
    /// Moves that could not be scheduled without breaking a rule; the instance stays where
    /// the last wave left it. Empty when the waves reach the target.
    public var unscheduled: [Move]
    /// Instances that run now but that the target leaves unplaced: they keep running where
    /// they are (a migration never stops a running instance without a replacement).
    public var kept: [Int]
    /// Instances that end on another host than their target to break a cycle of moves
    /// (ascending): sent to another host the target keeps on, or left where they run when two
    /// blocked moves swap hosts. Either way the final placement passes the placement rules
    /// whenever the target does, and uses no host the target does not.
    public var retargeted: [Int]
    /// Host of each instance after the last wave, or -1 when it does not run: the target,
    /// except for `retargeted` instances, `kept` ones and those of `unscheduled` moves.
    public var finalAssignment: [Int]
    /// One line per notable event (spare host used, moves left unscheduled, instances kept).
    public var notes: [String]

    public init(
        waves: [[Move]] = [], spareHosts: [Int] = [], unscheduled: [Move] = [], kept: [Int] = [],
        retargeted: [Int] = [], finalAssignment: [Int] = [], notes: [String] = []
    ) {
        self.waves = waves
        self.spareHosts = spareHosts
        self.unscheduled = unscheduled
        self.kept = kept
        self.retargeted = retargeted
        self.finalAssignment = finalAssignment
        self.notes = notes
    }

    /// Instances that run now and run on another host after the migration (starts excluded).
    public var moveCount: Int {
        var seen = Set<Int>()
        for wave in waves { for m in wave where m.from != nil { seen.insert(m.instance) } }
        // An instance that left through a spare host counts once.
        return seen.count
    }

    /// True when every move was scheduled: the waves end at `finalAssignment`, which is the
    /// target except for `retargeted` instances (`kept` ones stop before the first wave).
    public var isComplete: Bool { unscheduled.isEmpty }
}

/// Orders the moves from the current placement to a target into make-before-break waves.
///
/// Rules that hold in every wave (checked independently by `WaveVerifier`):
/// - **Capacity**: during a wave each host carries its load before the wave plus the wave's
///   arrivals (old copies stop only when the wave is done); that must fit its usable capacity.
/// - **Host-level rules on old and new copies together**: spread = host (one copy of a service
///   per host), exclusivity, and under Habitat one instance per package name per host.
/// - **Domain spread** (zone / label): after each wave a service's skew over the domains that
///   have an eligible host is at most 1 (or, when the current placement is already more skewed,
///   no worse than before the wave). During a wave every old replica still runs, so a domain
///   never holds fewer replicas than before the wave.
/// - **Disruption budget**: at most `problem.maxUnavailable(ofService:)` moves of a service per
///   wave (starts included).
/// - One move per instance from where it runs to its target (no chains, no cancelling moves),
///   except an instance routed through a declared spare host: A→spare, later spare→B.
///
/// Construction is greedy: each wave takes pending moves largest first whenever the rules allow.
/// When a wave would be empty, the remaining moves block each other (a cycle). It is broken,
/// in this order, by the first of:
/// 1. two blocked moves that swap hosts (x: A→B, y: B→A) are dropped, x staying on A and y on
///    B, when that final placement is valid: two moves fewer, the same hosts on;
/// 2. one blocked move A→B becomes A→C for a host C that the target already keeps on, that
///    the instance can reach now, and where the final placement stays valid (capacity, host
///    rules, selector, domain skew): it runs in the next wave, which frees room on A, at no
///    extra move and no extra host (`retargeted`, one note each);
/// 3. one instance is moved to a spare host (an active host empty before and after), which
///    frees room for the cycle to proceed; it moves on to its target later (one extra move).
/// The first two need `MigrationOptions.retargetBlockedMoves`, the last `useSpareHosts`.
/// Otherwise the remaining moves are returned as `unscheduled` and no invalid wave is emitted. A parked instance whose onward move stays unscheduled ends on
/// its spare host, which is then an ordinary destination; when another instance passes through
/// that host, the schedule is rebuilt without parking the stranded instance, so every declared
/// spare host is empty at the end.
///
/// Instances the target leaves unplaced but that run now (`kept`) stop before the first wave.
///
/// - Complexity: O(W · M · (D + K)) for W waves, M moves, D dimensions, K spread domains,
///   plus O(M · (H · D + M)) per broken cycle for H hosts (the search for a host to retarget to).
public enum MigrationScheduler {

    /// Permutes instance numbers within each service so that as many instances as possible
    /// stay where they run, the rest move within their spread domain where possible, and
    /// running instances get target slots before instances that do not run yet.
    ///
    /// The per-host count of each service is unchanged, so a valid target stays valid; the
    /// result differs from `target` only in which instance number takes which slot. A planner
    /// should assign the result, then schedule against it.
    public static func alignInstances(_ problem: Problem, target: [Int]) -> [Int] {
        precondition(target.count == problem.instanceCount, "target needs one entry per instance")
        guard let current = problem.current else { return target }
        var out = target
        for (s, svc) in problem.services.enumerated() {
            let lo = problem.instanceOffset[s]
            let hi = problem.instanceOffset[s + 1]
            guard hi > lo else { continue }
            // Remaining target slots in host order, with a cursor per pool (all, per domain) so
            // each take is amortized O(1): the lowest host index with a slot left.
            var count = [Int: Int]()
            for i in lo..<hi where target[i] >= 0 { count[target[i], default: 0] += 1 }
            let hostsWithSlots = count.keys.sorted()
            var left = hostsWithSlots.map { count[$0]! }
            var cursorAll = 0
            var byDomain = [String: [Int]]()  // domain -> positions in hostsWithSlots
            var cursorDomain = [String: Int]()
            if svc.spread.isDomainBalanced {
                for (k, h) in hostsWithSlots.enumerated() {
                    if let d = svc.spread.domain(of: problem.hosts[h]) { byDomain[d, default: []].append(k) }
                }
            }
            func takeAny() -> Int? {
                while cursorAll < left.count, left[cursorAll] == 0 { cursorAll += 1 }
                guard cursorAll < left.count else { return nil }
                left[cursorAll] -= 1
                return hostsWithSlots[cursorAll]
            }
            func take(inDomain d: String) -> Int? {
                guard let list = byDomain[d] else { return nil }
                var c = cursorDomain[d, default: 0]
                while c < list.count, left[list[c]] == 0 { c += 1 }
                cursorDomain[d] = c
                guard c < list.count else { return nil }
                left[list[c]] -= 1
                return hostsWithSlots[list[c]]
            }
            let position = Dictionary(uniqueKeysWithValues: hostsWithSlots.enumerated().map { ($1, $0) })
            var result = [Int](repeating: Plan.unassigned, count: hi - lo)
            var pendingRunning = [Int]()
            // 1. Stay where running.
            for i in lo..<hi {
                guard let h = current[i] else { continue }
                if let k = position[h], left[k] > 0 {
                    result[i - lo] = h
                    left[k] -= 1
                } else {
                    pendingRunning.append(i)
                }
            }
            // 2. Move within the same spread domain when the service is domain-spread.
            var stillPending = [Int]()
            if svc.spread.isDomainBalanced {
                for i in pendingRunning {
                    if let d = svc.spread.domain(of: problem.hosts[current[i]!]), let h = take(inDomain: d) {
                        result[i - lo] = h
                    } else {
                        stillPending.append(i)
                    }
                }
            } else {
                stillPending = pendingRunning
            }
            // 3. Other running instances, then instances that do not run yet.
            for i in stillPending { if let h = takeAny() { result[i - lo] = h } }
            for i in lo..<hi where current[i] == nil {
                if let h = takeAny() { result[i - lo] = h }
            }
            for i in lo..<hi { out[i] = result[i - lo] }
        }
        return out
    }

    /// Schedules the moves from `problem.current` to `target` (host per instance, -1 unplaced).
    /// Without a current placement there is nothing to migrate: the result is empty.
    public static func schedule(
        _ problem: Problem, target: [Int], options: MigrationOptions = MigrationOptions()
    ) -> MigrationSchedule {
        precondition(target.count == problem.instanceCount, "target needs one entry per instance")
        guard let current = problem.current else {
            return MigrationSchedule(finalAssignment: target)
        }
        // A parked instance whose onward move stays unscheduled ends on its spare host. That is
        // fine while no other instance passes through the host (it is then an ordinary
        // destination, not a spare), but a host that passes an instance on must be a declared
        // spare, and a declared spare is empty at the end. So when a spare host both passes
        // instances on and keeps one, the schedule is rebuilt without parking the kept ones
        // (their moves may still run directly, or stay unscheduled where they run). Each round
        // forbids at least one more instance, so this ends; a first round with no stranded
        // instance (every complete one) is returned as is.
        var neverPark = Set<Int>()
        while true {
            var engine = Engine(problem: problem, current: current, target: target)
            let (schedule, stranded) = engine.run(options: options, neverPark: neverPark)
            // Instances in `neverPark` are never parked, so they cannot be stranded again.
            guard !stranded.isEmpty, !neverPark.isSuperset(of: stranded) else { return schedule }
            neverPark.formUnion(stranded)
        }
    }

    // MARK: - Engine

    /// Copies per host in one placement (the live union during waves, or the final one): load
    /// per dimension, copies per service and per package name, exclusive and all copies, and
    /// the rules those decide (capacity, spread = host, Habitat package name, exclusivity).
    struct HostCopies {
        let problem: Problem
        let req: [Int64]
        let usable: [Int64]
        let pkgOf: [Int]
        let dims: Int
        var load: [Int64]
        var svcCount: [[Int: Int]]
        var pkgCount: [[Int: Int]]
        var exclusive: [Int]
        var total: [Int]

        init(problem: Problem, req: [Int64], usable: [Int64], pkgOf: [Int]) {
            self.problem = problem
            self.req = req
            self.usable = usable
            self.pkgOf = pkgOf
            dims = problem.dimensions.count
            let hosts = problem.hosts.count
            load = [Int64](repeating: 0, count: hosts * dims)
            svcCount = Array(repeating: [:], count: hosts)
            pkgCount = Array(repeating: [:], count: hosts)
            exclusive = [Int](repeating: 0, count: hosts)
            total = [Int](repeating: 0, count: hosts)
        }

        /// Adds (`sign` 1) or removes (-1) one copy of service `s` on host `h`.
        mutating func add(service s: Int, host h: Int, sign: Int) {
            for d in 0..<dims { load[h * dims + d] += Int64(sign) * req[s * dims + d] }
            let c = svcCount[h][s, default: 0] + sign
            svcCount[h][s] = c == 0 ? nil : c
            let p = pkgCount[h][pkgOf[s], default: 0] + sign
            pkgCount[h][pkgOf[s]] = p == 0 ? nil : p
            if problem.services[s].exclusive { exclusive[h] += sign }
            total[h] += sign
        }

        /// True when one more copy of `s` fits on `h`: capacity, spread = host, package name
        /// and exclusivity (host state, selector and domain spread are the caller's).
        func admits(service s: Int, host h: Int) -> Bool {
            for d in 0..<dims where load[h * dims + d] + req[s * dims + d] > usable[h * dims + d] { return false }
            let svc = problem.services[s]
            if svc.spread == .host, svcCount[h][s, default: 0] > 0 { return false }
            if problem.onePackageNamePerHost, pkgCount[h][pkgOf[s], default: 0] > 0 { return false }
            if svc.exclusive {
                if total[h] - svcCount[h][s, default: 0] > 0 { return false }
            } else if exclusive[h] > 0 {
                return false
            }
            return true
        }
    }

    /// Mutable state of one scheduling run: the live (union during a wave) occupancy of each host.
    struct Engine {
        let problem: Problem
        let dims: Int
        let hostCount: Int
        let serviceOf: [Int]
        /// Requests of each service, flat.
        let req: [Int64]
        let usable: [Int64]
        /// Package-name id of each service.
        let pkgOf: [Int]
        /// Per service: domain id of each host (-1 none), the domain ids that count for skew.
        let domainOfHost: [[Int]]
        let skewDomains: [[Int]]

        /// Copies on each host as the migration runs (old and new during a wave).
        var live: HostCopies
        /// Per domain-spread service: replicas per domain id after the moves accepted so far.
        var domainCount: [[Int]]
        /// Where each instance runs now (between waves), -1 not running.
        var location: [Int]
        /// Where each instance runs before the migration, -1 not running.
        let start: [Int]
        /// Host each instance runs on before the migration (-1: none), stops included.
        let original: [Int]
        /// Host each instance goes to; a retargeted instance's entry changes.
        var target: [Int]
        /// The placement after the migration if every move runs (the target), and the instances
        /// the target puts on each host.
        var final: HostCopies
        var targetCount: [Int]
        /// Per domain-spread service: replicas per domain id in the final placement.
        var finalDomainCount: [[Int]]

        init(problem: Problem, current: [Int?], target: [Int]) {
            self.problem = problem
            self.target = target
            dims = problem.dimensions.count
            hostCount = problem.hosts.count
            serviceOf = problem.serviceOfEachInstance()
            var r = [Int64]()
            r.reserveCapacity(problem.services.count * dims)
            for s in problem.services { r.append(contentsOf: s.requests.values) }
            req = r
            var u = [Int64]()
            u.reserveCapacity(hostCount * dims)
            for x in problem.usable { u.append(contentsOf: x.values) }
            usable = u
            var pkgIds = [String: Int]()
            pkgOf = problem.services.map { svc in
                if let id = pkgIds[svc.package.name] { return id }
                let id = pkgIds.count
                pkgIds[svc.package.name] = id
                return id
            }
            var dOf = [[Int]]()
            var dSet = [[Int]]()
            // Cordoned hosts count as a domain of the services that run there now (pinned).
            var pinned = Set<Int64>()
            let svcOfInstance = serviceOf
            for (i, h) in current.enumerated() {
                if let h, problem.hosts[h].state == .cordoned { pinned.insert(Int64(h) << 32 | Int64(svcOfInstance[i])) }
            }
            // Domains per host for each spread rule, and the domains with an eligible host for
            // each (rule, selector), worked out once each: services share a few of them, and
            // a pass over every host per service was most of a large fleet's schedule.
            var domainsBySpread = [Spread: [Int]]()
            var eligibleBy = [SpreadKey: [Int]]()
            let pinnedHosts = Set(pinned.map { Int($0 >> 32) })
            for (s, svc) in problem.services.enumerated() {
                guard svc.spread.isDomainBalanced else {
                    dOf.append([])
                    dSet.append([])
                    continue
                }
                let perHost: [Int]
                if let known = domainsBySpread[svc.spread] {
                    perHost = known
                } else {
                    var ids = [String: Int]()
                    var ofHost = [Int](repeating: -1, count: problem.hosts.count)
                    for (h, host) in problem.hosts.enumerated() {
                        guard let d = svc.spread.domain(of: host) else { continue }
                        if let x = ids[d] { ofHost[h] = x } else { ofHost[h] = ids.count; ids[d] = ids.count }
                    }
                    domainsBySpread[svc.spread] = ofHost
                    perHost = ofHost
                }
                let key = SpreadKey(spread: svc.spread, selector: svc.selector)
                let shared: [Int]
                if let known = eligibleBy[key] {
                    shared = known
                } else {
                    var eligible = Set<Int>()
                    for (h, host) in problem.hosts.enumerated() where perHost[h] >= 0 && SpreadRules.isEligible(host, for: svc) {
                        eligible.insert(perHost[h])
                    }
                    shared = eligible.sorted()
                    eligibleBy[key] = shared
                }
                // Plus the domains of cordoned hosts that run this service now.
                let cordoned = pinnedHosts.filter { perHost[$0] >= 0 && pinned.contains(Int64($0) << 32 | Int64(s)) }
                dOf.append(perHost)
                dSet.append(cordoned.isEmpty ? shared : Set(shared + cordoned.map { perHost[$0] }).sorted())
            }
            domainOfHost = dOf
            skewDomains = dSet

            live = HostCopies(problem: problem, req: req, usable: usable, pkgOf: pkgOf)
            domainCount = problem.services.indices.map { s in
                problem.services[s].spread.isDomainBalanced ? [Int](repeating: 0, count: dOf[s].max().map { $0 + 1 } ?? 0) : []
            }
            final = live
            targetCount = [Int](repeating: 0, count: hostCount)
            finalDomainCount = problem.services.indices.map { s in
                problem.services[s].spread.isDomainBalanced ? [Int](repeating: 0, count: dOf[s].max().map { $0 + 1 } ?? 0) : []
            }
            // Running instances the target leaves unplaced stop before the first wave: they stop
            // anyway, and their room may be what an arrival needs.
            location = current.indices.map { target[$0] < 0 ? -1 : (current[$0] ?? -1) }
            start = location
            original = current.map { $0 ?? -1 }
            for i in 0..<current.count {
                guard let h = current[i], target[i] >= 0 else { continue }
                addCopy(service: serviceOf[i], host: h)
                let s = serviceOf[i]
                if !domainCount[s].isEmpty, domainOfHost[s][h] >= 0 { domainCount[s][domainOfHost[s][h]] += 1 }
            }
            for i in 0..<target.count {
                if target[i] >= 0 {
                    targetCount[target[i]] += 1
                    addFinal(service: serviceOf[i], host: target[i], sign: 1)
                }
            }
        }

        /// Adds (`sign` 1) or removes (-1) one instance of `s` on `h` in the final placement.
        mutating func addFinal(service s: Int, host h: Int, sign: Int) {
            if !finalDomainCount[s].isEmpty, domainOfHost[s][h] >= 0 { finalDomainCount[s][domainOfHost[s][h]] += sign }
            final.add(service: s, host: h, sign: sign)
        }

        /// True when moving one replica of a domain-spread service from `from` to `to` in the
        /// final placement keeps its skew at most 1 (or no worse than it is, when above 1).
        func finalSpreadAllows(service s: Int, from: Int, to: Int) -> Bool {
            let a = domainOfHost[s][from]
            let b = domainOfHost[s][to]
            guard b >= 0 else { return false }
            if a == b { return true }
            var counts = finalDomainCount[s]
            if a >= 0 { counts[a] -= 1 }
            counts[b] += 1
            return skew(s, counts) <= max(1, skew(s, finalDomainCount[s]))
        }

        /// True when the final placement stays valid with one more instance of `s` on `h`:
        /// an active host, the selector, capacity, spread = host, package name (Habitat) and
        /// exclusivity. Domain spread is the caller's (`finalSpreadAllows`).
        func finalAccepts(service s: Int, host h: Int) -> Bool {
            problem.hosts[h].state == .active && SpreadRules.selectorMatches(problem.hosts[h], problem.services[s])
                && final.admits(service: s, host: h)
        }

        mutating func addCopy(service s: Int, host h: Int) { live.add(service: s, host: h, sign: 1) }

        mutating func removeCopy(service s: Int, host h: Int) { live.add(service: s, host: h, sign: -1) }

        /// Skew of a domain-spread service over its counted domains, from the given counts.
        func skew(_ s: Int, _ counts: [Int]) -> Int {
            let doms = skewDomains[s]
            guard let first = doms.first else { return 0 }
            var lo = counts[first]
            var hi = lo
            for d in doms {
                let c = counts[d]
                if c < lo { lo = c }
                if c > hi { hi = c }
            }
            return hi - lo
        }

        /// True when a copy of service `s` may arrive on `h` in the live (union) state.
        func canArrive(service s: Int, host h: Int) -> Bool { live.admits(service: s, host: h) }

        /// Post-wave domain spread check for moving one replica of `s` from `from` to `to`.
        func spreadAllows(service s: Int, from: Int?, to: Int, limit: Int) -> Bool {
            guard !domainCount[s].isEmpty else { return true }
            let a = from.map { domainOfHost[s][$0] } ?? -1
            let b = domainOfHost[s][to]
            if a == b { return true }
            var counts = domainCount[s]
            if a >= 0 { counts[a] -= 1 }
            if b >= 0 { counts[b] += 1 }
            return skew(s, counts) <= limit
        }

        mutating func applyDomainShift(service s: Int, from: Int?, to: Int, sign: Int = 1) {
            guard !domainCount[s].isEmpty else { return }
            if let from, domainOfHost[s][from] >= 0 { domainCount[s][domainOfHost[s][from]] -= sign }
            if domainOfHost[s][to] >= 0 { domainCount[s][domainOfHost[s][to]] += sign }
        }

        /// Normalised size of one instance of a service, for largest-first ordering.
        func sizes() -> [Double] {
            var total = [Double](repeating: 0, count: dims)
            for h in 0..<hostCount where problem.hosts[h].state != .draining {
                for d in 0..<dims { total[d] += Double(usable[h * dims + d]) }
            }
            return problem.services.indices.map { s in
                var x = 0.0
                for d in 0..<dims where total[d] > 0 { x += Double(req[s * dims + d]) / total[d] }
                return x
            }
        }

        // MARK: run

        /// One scheduling pass; `neverPark` instances are not routed through a spare host.
        /// Also returns the parked instances left on a spare host that another instance passed
        /// through (empty when the schedule is consistent; see `schedule`).
        mutating func run(options: MigrationOptions, neverPark: Set<Int>) -> (MigrationSchedule, stranded: [Int]) {
            var notes = [String]()
            var kept = [Int]()
            var pending = [Move]()
            for i in 0..<target.count {
                let cur = location[i]
                let tgt = target[i]
                if tgt < 0 {
                    if original[i] >= 0 { kept.append(i) }
                    continue
                }
                if cur == tgt { continue }
                pending.append(Move(instance: i, from: cur >= 0 ? cur : nil, to: tgt))
            }
            let size = sizes()
            // Largest first; ties by instance number so runs replay.
            pending.sort { a, b in
                let sa = size[serviceOf[a.instance]]
                let sb = size[serviceOf[b.instance]]
                return sa != sb ? sa > sb : a.instance < b.instance
            }

            // Spare candidates: active, empty before and after.
            var targeted = [Bool](repeating: false, count: hostCount)
            for h in target where h >= 0 { targeted[h] = true }
            var runsNow = [Bool](repeating: false, count: hostCount)
            for h in original where h >= 0 { runsNow[h] = true }
            let spareCandidates = (0..<hostCount).filter {
                problem.hosts[$0].state == .active && live.total[$0] == 0 && !runsNow[$0] && !targeted[$0]
            }
            var sparesUsed = [Int]()
            var viaSpare = neverPark
            var retargeted = [Int]()

            var waves = [[Move]]()
            var unscheduled = [Move]()
            var waveCount = [Int](repeating: 0, count: problem.services.count)
            var touched = [Int]()
            var skewLimit = [Int: Int]()

            while !pending.isEmpty {
                if waves.count >= options.maxWaves {
                    unscheduled = pending
                    notes.append("stopped after \(waves.count) waves (limit)")
                    break
                }
                var wave = [Move]()
                var rest = [Move]()
                rest.reserveCapacity(pending.count)
                skewLimit.removeAll(keepingCapacity: true)
                for m in pending {
                    let s = serviceOf[m.instance]
                    if waveCount[s] >= problem.maxUnavailable(ofService: s) || !canArrive(service: s, host: m.to) {
                        rest.append(m)
                        continue
                    }
                    if !domainCount[s].isEmpty {
                        let limit: Int
                        if let l = skewLimit[s] { limit = l } else { limit = max(1, skew(s, domainCount[s])); skewLimit[s] = limit }
                        if !spreadAllows(service: s, from: m.from, to: m.to, limit: limit) {
                            rest.append(m)
                            continue
                        }
                    }
                    // Accept: the new copy starts now, the old one stops when the wave is done.
                    addCopy(service: s, host: m.to)
                    applyDomainShift(service: s, from: m.from, to: m.to)
                    if waveCount[s] == 0 { touched.append(s) }
                    waveCount[s] += 1
                    wave.append(m)
                }
                for s in touched { waveCount[s] = 0 }
                touched.removeAll(keepingCapacity: true)

                if wave.isEmpty {
                    // Deadlock: every remaining move waits for another. Two instances that swap
                    // hosts stay where they run (two moves fewer), or one instance goes to
                    // another host the target keeps on: it moves in the next wave (it can arrive
                    // now) at no extra move, unlike through a spare host. The targets change
                    // with the final placement kept valid.
                    if options.retargetBlockedMoves, let (i, j) = pickStayingPair(pending: rest) {
                        let x = rest[i], y = rest[j]
                        for (m, other) in [(x, y), (y, x)] {
                            let s = serviceOf[m.instance]
                            addFinal(service: s, host: m.to, sign: -1)
                            addFinal(service: s, host: other.to, sign: 1)
                            target[m.instance] = m.from!
                            retargeted.append(m.instance)
                        }
                        let sx = serviceOf[x.instance], sy = serviceOf[y.instance]
                        notes.append(
                            "before wave \(waves.count + 1): \(problem.services[sx].name)[\(x.instance - problem.instanceOffset[sx])] "
                                + "stays on \(problem.hosts[x.from!].name) and \(problem.services[sy].name)[\(y.instance - problem.instanceOffset[sy])] "
                                + "on \(problem.hosts[y.from!].name) instead of swapping hosts, which no wave can do")
                        rest.remove(at: max(i, j))
                        rest.remove(at: min(i, j))
                        pending = rest
                        continue
                    }
                    if options.retargetBlockedMoves, let (index, host) = pickRetarget(pending: rest) {
                        let m = rest[index]
                        let s = serviceOf[m.instance]
                        addFinal(service: s, host: m.to, sign: -1)
                        addFinal(service: s, host: host, sign: 1)
                        targetCount[m.to] -= 1
                        targetCount[host] += 1
                        target[m.instance] = host
                        rest[index] = Move(instance: m.instance, from: m.from, to: host)
                        retargeted.append(m.instance)
                        notes.append(
                            "wave \(waves.count + 1): \(problem.services[s].name)[\(m.instance - problem.instanceOffset[s])] "
                                + "goes to \(problem.hosts[host].name) instead of \(problem.hosts[m.to].name) "
                                + "to break a cycle of moves")
                        pending = rest
                        continue
                    }
                    // Otherwise park one instance on a spare.
                    guard options.useSpareHosts,
                        let (index, spare) = pickSpare(
                            pending: rest, candidates: spareCandidates, viaSpare: viaSpare, size: size)
                    else {
                        unscheduled = rest
                        break
                    }
                    let m = rest[index]
                    let s = serviceOf[m.instance]
                    addCopy(service: s, host: spare)
                    applyDomainShift(service: s, from: m.from, to: spare)
                    if let from = m.from { removeCopy(service: s, host: from) }
                    location[m.instance] = spare
                    waves.append([Move(instance: m.instance, from: m.from, to: spare)])
                    viaSpare.insert(m.instance)
                    if !sparesUsed.contains(spare) { sparesUsed.append(spare) }
                    rest[index] = Move(instance: m.instance, from: spare, to: m.to)
                    notes.append(
                        "wave \(waves.count): \(problem.services[s].name)[\(m.instance - problem.instanceOffset[s])] "
                            + "parks on spare host \(problem.hosts[spare].name) to break a cycle of moves; "
                            + "it goes on to \(problem.hosts[m.to].name) later")
                    pending = rest
                    continue
                }
                // End of wave: old copies stop.
                for m in wave {
                    if let from = m.from { removeCopy(service: serviceOf[m.instance], host: from) }
                    location[m.instance] = m.to
                }
                wave.sort { $0.instance < $1.instance }
                waves.append(wave)
                pending = rest
            }

            if !unscheduled.isEmpty {
                unscheduled.sort { $0.instance < $1.instance }
                notes.append(
                    "\(unscheduled.count) move\(unscheduled.count == 1 ? "" : "s") could not be scheduled "
                        + "without breaking capacity or a placement rule during the migration"
                        + (spareCandidates.isEmpty ? " (no free host to use as a spare)" : ""))
                // A parked instance whose onward move is among them ends on the spare host,
                // not where its parking note said it would go.
                for m in unscheduled {
                    guard let from = m.from, sparesUsed.contains(from) else { continue }
                    let s = serviceOf[m.instance]
                    notes.append(
                        "\(problem.services[s].name)[\(m.instance - problem.instanceOffset[s])] stays on "
                            + "\(problem.hosts[from].name), where it parked: its move on to \(problem.hosts[m.to].name) "
                            + "could not be scheduled")
                }
            }
            // Declared spares are the hosts an instance moved on from (only parked instances
            // leave a spare host). A spare that still holds a parked instance (its onward move was
            // left unscheduled) is where that instance ends: an ordinary destination, not a spare,
            // as long as no instance passed through it; otherwise the caller parks it no more.
            let spareSet = Set(sparesUsed)
            var passedThrough = Set<Int>()
            for m in waves.joined() { if let from = m.from, spareSet.contains(from) { passedThrough.insert(from) } }
            let stranded = unscheduled.compactMap { m in m.from.flatMap { passedThrough.contains($0) ? m.instance : nil } }
            let schedule = MigrationSchedule(
                waves: waves, spareHosts: passedThrough.sorted(), unscheduled: unscheduled, kept: kept,
                retargeted: retargeted.sorted(), finalAssignment: location, notes: notes)
            return (schedule, stranded)
        }

        /// Two blocked moves that swap hosts (x: A→B, y: B→A, both running where the migration
        /// found them) whose instances may both stay where they run: the final placement with x
        /// on A and y on B instead is valid (`finalAccepts`, domain skew). A and B stay in the
        /// target and two moves fewer run. The first such pair in `pending` order.
        ///
        /// - Complexity: O(M) for M blocked moves, plus the checks of each pair found.
        mutating func pickStayingPair(pending: [Move]) -> (Int, Int)? {
            var byRoute = [Int64: [Int]]()
            for (k, m) in pending.enumerated() {
                guard let a = m.from, a == start[m.instance] else { continue }
                byRoute[Int64(a) << 32 | Int64(m.to), default: []].append(k)
            }
            for (i, x) in pending.enumerated() {
                guard let a = x.from, a == start[x.instance] else { continue }
                let b = x.to
                guard let back = byRoute[Int64(b) << 32 | Int64(a)] else { continue }
                for j in back {
                    let y = pending[j]
                    let sx = serviceOf[x.instance], sy = serviceOf[y.instance]
                    // Final placement without x on B and y on A, then x back on A, y back on B.
                    addFinal(service: sx, host: b, sign: -1)
                    addFinal(service: sy, host: a, sign: -1)
                    var ok = finalAccepts(service: sx, host: a)
                        && (finalDomainCount[sx].isEmpty || finalSpreadStays(service: sx, from: b, to: a))
                    if ok {
                        addFinal(service: sx, host: a, sign: 1)
                        ok = finalAccepts(service: sy, host: b)
                            && (finalDomainCount[sy].isEmpty || finalSpreadStays(service: sy, from: a, to: b))
                        addFinal(service: sx, host: a, sign: -1)
                    }
                    addFinal(service: sx, host: b, sign: 1)
                    addFinal(service: sy, host: a, sign: 1)
                    if ok { return (i, j) }
                }
            }
            return nil
        }

        /// `finalSpreadAllows` for a replica already taken out of `from` in the final counts.
        func finalSpreadStays(service s: Int, from: Int, to: Int) -> Bool {
            let a = domainOfHost[s][from]
            let b = domainOfHost[s][to]
            guard b >= 0 else { return false }
            var before = finalDomainCount[s]
            if a >= 0 { before[a] += 1 }
            if a == b { return true }
            var after = finalDomainCount[s]
            after[b] += 1
            return skew(s, after) <= max(1, skew(s, before))
        }

        /// Picks a blocked move to send to another host, and that host, or nil when none can go.
        ///
        /// The host C for a move of instance x (service s) from A to B: C ≠ A, B (nor where x
        /// ran before the migration, when x is parked on a spare host) is active and
        /// already in the target (an instance goes there), x can arrive on C now and the domain
        /// spread allows A→C after the wave, and the final placement stays valid with x on C
        /// instead of B (`finalAccepts`, and for a zone/label-spread service a final skew of at
        /// most 1, which holds whenever C is in B's domain). Among the hosts, the most slack
        /// left in the final placement (smallest share of a dimension free), then the lowest
        /// index.
        /// Moves are tried by how many blocked moves into A could arrive once x has left A, then
        /// by how many blocked moves go to A, then by instance number; the first that has a host
        /// is taken.
        ///
        /// - Complexity: O(M · (H · D + M)) for M blocked moves, H hosts, D dimensions.
        mutating func pickRetarget(pending: [Move]) -> (Int, Int)? {
            var intoHost = [Int: [Int]]()  // host -> indices of moves going there
            for (k, m) in pending.enumerated() { intoHost[m.to, default: []].append(k) }
            var targetHosts = [Int]()
            for h in 0..<hostCount where targetCount[h] > 0 && problem.hosts[h].state == .active { targetHosts.append(h) }
            // Unblocked count per move: take x off A, see which moves into A can arrive, put x back.
            var order = [(index: Int, unblocks: Int, wanted: Int)]()
            order.reserveCapacity(pending.count)
            for (k, m) in pending.enumerated() {
                var unblocks = 0
                let into = m.from.flatMap { intoHost[$0] } ?? []
                if let a = m.from, !into.isEmpty {
                    let s = serviceOf[m.instance]
                    removeCopy(service: s, host: a)
                    for j in into where canArrive(service: serviceOf[pending[j].instance], host: a) { unblocks += 1 }
                    addCopy(service: s, host: a)
                }
                order.append((k, unblocks, into.count))
            }
            order.sort { a, b in
                if a.unblocks != b.unblocks { return a.unblocks > b.unblocks }
                if a.wanted != b.wanted { return a.wanted > b.wanted }
                return pending[a.index].instance < pending[b.index].instance
            }
            for entry in order {
                let m = pending[entry.index]
                let s = serviceOf[m.instance]
                let balanced = !domainCount[s].isEmpty
                let limit = balanced ? max(1, skew(s, domainCount[s])) : 0
                var best: (host: Int, slack: Double)?
                // Not back where x ran before the migration (a parked x would cancel its move).
                for c in targetHosts where c != m.to && c != m.from && c != start[m.instance] {
                    if balanced && !finalSpreadAllows(service: s, from: m.to, to: c) { continue }
                    guard finalAccepts(service: s, host: c), canArrive(service: s, host: c) else { continue }
                    if balanced && !spreadAllows(service: s, from: m.from, to: c, limit: limit) { continue }
                    var slack = Double.infinity
                    for d in 0..<dims where usable[c * dims + d] > 0 {
                        let free = usable[c * dims + d] - final.load[c * dims + d] - req[s * dims + d]
                        slack = min(slack, Double(free) / Double(usable[c * dims + d]))
                    }
                    if best == nil || slack > best!.slack { best = (c, slack) }
                }
                if let best { return (entry.index, best.host) }
            }
            return nil
        }

        /// Picks the blocked move whose departure most likely unblocks others, and a spare host
        /// that can take it now. Prefers moves out of hosts that other blocked moves target,
        /// then small instances, then low instance numbers; spares in the same domain first.
        func pickSpare(pending: [Move], candidates: [Int], viaSpare: Set<Int>, size: [Double]) -> (Int, Int)? {
            guard !candidates.isEmpty else { return nil }
            var wanted = [Int: Int]()
            for m in pending { wanted[m.to, default: 0] += 1 }
            let order = pending.indices.filter { pending[$0].from != nil && !viaSpare.contains(pending[$0].instance) }
                .sorted { a, b in
                    let wa = wanted[pending[a].from!, default: 0]
                    let wb = wanted[pending[b].from!, default: 0]
                    if (wa > 0) != (wb > 0) { return wa > 0 }
                    let sa = size[serviceOf[pending[a].instance]]
                    let sb = size[serviceOf[pending[b].instance]]
                    return sa != sb ? sa < sb : pending[a].instance < pending[b].instance
                }
            for idx in order {
                let m = pending[idx]
                let s = serviceOf[m.instance]
                let svc = problem.services[s]
                let limit = domainCount[s].isEmpty ? 0 : max(1, skew(s, domainCount[s]))
                for spare in candidates {
                    guard SpreadRules.selectorMatches(problem.hosts[spare], svc), canArrive(service: s, host: spare)
                    else { continue }
                    if !domainCount[s].isEmpty {
                        if domainOfHost[s][spare] < 0 { continue }
                        if !spreadAllows(service: s, from: m.from, to: spare, limit: limit) { continue }
                        // The onward move spare→target must not be blocked by spread forever:
                        // it restores the counts of the direct move, which the target allows.
                    }
                    return (idx, spare)
                }
            }
            return nil
        }
    }
}

/// A spread rule with a selector: services that share both share their eligible domains.
struct SpreadKey: Hashable {
    var spread: Spread
    var selector: [String: String]
}

/// Shared helpers on spread eligibility, used by the scheduler.
enum SpreadRules {
    static func selectorMatches(_ host: Host, _ svc: Service) -> Bool {
        for (k, v) in svc.selector where host.labels[k] != v { return false }
        return true
    }

    /// A host makes its domain count for a service's skew when it could take a replica:
    /// it is active and its labels match the selector (cordoned hosts count only for the
    /// services they run now, as in `ProblemIndex.eligibleDomains`).
    static func isEligible(_ host: Host, for svc: Service) -> Bool {
        host.state == .active && selectorMatches(host, svc)
    }
}
