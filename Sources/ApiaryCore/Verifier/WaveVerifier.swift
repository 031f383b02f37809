/// One way a sequence of migration waves breaks the rules of the spec's Migration section.
public struct WaveViolation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A move names an unknown instance or host, a host it does not run on, or goes nowhere.
        case badMove = "bad-move"
        /// An instance moves more than once without passing through a declared spare host.
        case chain
        /// An instance's moves bring it back where it started.
        case cancelling
        /// An instance moves twice in one wave.
        case duplicateInWave = "duplicate-in-wave"
        /// A service has more moves in one wave than its `max_unavailable`.
        case maxUnavailable = "max-unavailable"
        /// Load before the wave plus the wave's arrivals exceeds a host's usable capacity.
        case capacity
        /// Old and new copies put two replicas of a host-spread service on one host.
        case spreadHost = "spread-host"
        /// A wave leaves a zone/label-spread service with skew above 1 (and above its skew before).
        case spreadSkew = "spread-skew"
        /// An exclusive service shares a host during or after a wave.
        case exclusive
        /// Two instances of one Habitat package name on a host during a wave.
        case packageName = "package-name"
        /// A move lands on a host that may not take new instances (draining, cordoned, selector).
        case hostNotEligible = "host-not-eligible"
        /// The state after the last wave differs from the target.
        case finalState = "final-state"
        /// A declared spare host is not free (inactive, or busy before or after the migration).
        case spareHost = "spare-host"
    }

    public var kind: Kind
    /// Wave index (0-based), or `nil` for whole-migration violations.
    public var wave: Int?
    public var message: String

    public init(kind: Kind, wave: Int?, message: String) {
        self.kind = kind
        self.wave = wave
        self.message = message
    }

    public var description: String {
        if let wave { return "wave \(wave + 1): \(message)" }
        return message
    }
}

/// Checks migration waves against the spec's Migration rules by replaying them, without
/// sharing code with `MigrationScheduler`.
///
/// Rules (a wave's *union* is every instance where it runs before the wave plus the wave's
/// arrivals, since old copies stop only when the wave is done):
/// - each move starts where the instance runs (`from` nil exactly when it does not run),
///   and goes to another host that may take it (active, or cordoned for an instance already
///   there; selector matched);
/// - an instance moves at most once per wave, and only once overall unless it passes through
///   a declared spare host; it never ends where it started (cancelling);
/// - per wave and service, moves ≤ `maxUnavailable(ofService:)`;
/// - on every host receiving arrivals, the union fits usable capacity in every dimension,
///   holds at most one copy of a host-spread service, at most one instance per package name
///   (Habitat), and no exclusive service next to another service;
/// - after each wave a zone/label-spread service that moved has skew ≤ max(1, skew before);
/// - after the last wave every instance is on its target host (a running instance with no
///   target host stops before the first wave), and spare hosts are empty.
public enum WaveVerifier {
    /// - Complexity: O(W · (I + M · D)) for W waves over I instances with M moves, D dimensions.
    public static func verify(
        problem: Problem, current: [Int?], target: [Int], waves: [[Move]], spareHosts: [Int] = []
    ) -> [WaveViolation] {
        var out = [WaveViolation]()
        let n = problem.instanceCount
        let hosts = problem.hosts
        guard current.count == n, target.count == n else {
            return [WaveViolation(kind: .badMove, wave: nil, message: "current/target do not cover every instance")]
        }
        let svcOf = problem.serviceOfEachInstance()
        var domains = EligibleDomains(problem: problem)
        func label(_ i: Int) -> String {
            let s = svcOf[i]
            return "\(problem.services[s].name)[\(i - problem.instanceOffset[s])]"
        }
        func hostName(_ h: Int?) -> String { h.map { hosts.indices.contains($0) ? hosts[$0].name : "#\($0)" } ?? "nowhere" }

        let spareSet = Set(spareHosts)
        for h in spareHosts {
            guard hosts.indices.contains(h) else {
                out.append(WaveViolation(kind: .spareHost, wave: nil, message: "spare host #\(h) does not exist"))
                continue
            }
            if hosts[h].state != .active {
                out.append(WaveViolation(kind: .spareHost, wave: nil, message: "spare host \(hosts[h].name) is \(hosts[h].state.rawValue)"))
            }
            if current.contains(h) {
                out.append(WaveViolation(kind: .spareHost, wave: nil, message: "spare host \(hosts[h].name) runs instances before the migration"))
            }
            if target.contains(h) {
                out.append(WaveViolation(kind: .spareHost, wave: nil, message: "spare host \(hosts[h].name) holds instances in the target"))
            }
        }

        // Running instances the plan leaves unplaced stop before the first wave.
        var at: [Int?] = current.indices.map { target[$0] < 0 ? nil : current[$0] }
        var byHost = [[Int]](repeating: [], count: hosts.count)
        for i in 0..<n { if let h = at[i] { byHost[h].append(i) } }
        var movesOf = [Int](repeating: 0, count: n)
        var lastTo = [Int?](repeating: nil, count: n)

        for (w, wave) in waves.enumerated() {
            var seen = Set<Int>()
            var perService = [Int: Int]()
            var arrivals = [Int: [Int]]()  // host -> instances arriving
            var valid = [Move]()
            for m in wave {
                guard (0..<n).contains(m.instance), hosts.indices.contains(m.to),
                    m.from.map({ hosts.indices.contains($0) }) ?? true
                else {
                    out.append(WaveViolation(kind: .badMove, wave: w, message: "move of instance #\(m.instance) names an unknown instance or host"))
                    continue
                }
                let i = m.instance
                if !seen.insert(i).inserted {
                    out.append(WaveViolation(kind: .duplicateInWave, wave: w, message: "\(label(i)) moves twice"))
                    continue
                }
                if m.from != at[i] {
                    out.append(WaveViolation(
                        kind: .badMove, wave: w,
                        message: "\(label(i)) moves from \(hostName(m.from)) but runs on \(hostName(at[i]))"))
                    continue
                }
                if m.from == m.to {
                    out.append(WaveViolation(kind: .cancelling, wave: w, message: "\(label(i)) moves from \(hostName(m.to)) to itself"))
                    continue
                }
                let host = hosts[m.to]
                let svc = problem.services[svcOf[i]]
                if host.state == .draining || (host.state == .cordoned && current[i] != m.to) {
                    out.append(WaveViolation(kind: .hostNotEligible, wave: w, message: "\(label(i)) moves to \(host.state.rawValue) host \(host.name)"))
                }
                if let bad = svc.selector.keys.sorted().first(where: { host.labels[$0] != svc.selector[$0] }) {
                    out.append(WaveViolation(kind: .hostNotEligible, wave: w, message: "\(label(i)) moves to \(host.name), which lacks \(bad)=\(svc.selector[bad]!)"))
                }
                if movesOf[i] > 0, let prev = lastTo[i], !spareSet.contains(prev) {
                    out.append(WaveViolation(
                        kind: .chain, wave: w,
                        message: "\(label(i)) moves again from \(hostName(prev)), which is not a spare host (collapse the chain)"))
                }
                movesOf[i] += 1
                lastTo[i] = m.to
                perService[svcOf[i], default: 0] += 1
                arrivals[m.to, default: []].append(i)
                valid.append(m)
            }
            for (s, c) in perService.sorted(by: { $0.key < $1.key }) where c > problem.maxUnavailable(ofService: s) {
                out.append(WaveViolation(
                    kind: .maxUnavailable, wave: w,
                    message: "\(c) instances of \(problem.services[s].name) move, max_unavailable is \(problem.maxUnavailable(ofService: s))"))
            }
            // The union state on every host that receives something.
            for h in arrivals.keys.sorted() {
                let arriving = arrivals[h]!
                let union = byHost[h] + arriving
                var load = Resources(zeros: problem.dimensions.count)
                var perSvc = [Int: Int]()
                var perPkg = [String: Int]()
                for i in union {
                    let s = svcOf[i]
                    load += problem.services[s].requests
                    perSvc[s, default: 0] += 1
                    perPkg[problem.services[s].package.name, default: 0] += 1
                }
                let usable = problem.usable[h]
                for d in 0..<problem.dimensions.count where load[d] > usable[d] {
                    let dim = problem.dimensions[d]
                    out.append(WaveViolation(
                        kind: .capacity, wave: w,
                        message: "\(hosts[h].name) needs \(amount(load[d], dim)) \(dim.name) during the wave, usable \(amount(usable[d], dim))"))
                }
                let arrivingServices = Set(arriving.map { svcOf[$0] })
                for s in arrivingServices.sorted() {
                    let svc = problem.services[s]
                    if svc.spread == .host, perSvc[s]! > 1 {
                        out.append(WaveViolation(
                            kind: .spreadHost, wave: w, message: "\(perSvc[s]!) copies of \(svc.name) on \(hosts[h].name) during the wave"))
                    }
                    if problem.onePackageNamePerHost, perPkg[svc.package.name]! > 1 {
                        out.append(WaveViolation(
                            kind: .packageName, wave: w,
                            message: "\(perPkg[svc.package.name]!) instances of package \(svc.package.name) on \(hosts[h].name) during the wave"))
                    }
                }
                if perSvc.count > 1, let ex = perSvc.keys.sorted().first(where: { problem.services[$0].exclusive }) {
                    out.append(WaveViolation(
                        kind: .exclusive, wave: w,
                        message: "exclusive \(problem.services[ex].name) shares \(hosts[h].name) with \(perSvc.count - 1) other service(s) during the wave"))
                }
            }
            // Domain skew before and after the wave for services that moved.
            var before = [Int: Int]()
            for s in perService.keys where problem.services[s].spread.isDomainBalanced {
                before[s] = skew(problem: problem, service: s, location: at, current: current, target: target, domains: &domains)
            }
            for m in valid {
                let i = m.instance
                if let from = m.from, let k = byHost[from].firstIndex(of: i) { byHost[from].remove(at: k) }
                byHost[m.to].append(i)
                at[i] = m.to
            }
            for (s, b) in before.sorted(by: { $0.key < $1.key }) {
                let a = skew(problem: problem, service: s, location: at, current: current, target: target, domains: &domains)
                if a > max(1, b) {
                    out.append(WaveViolation(
                        kind: .spreadSkew, wave: w,
                        message: "\(problem.services[s].name) is spread \(a) apart over its \(problem.services[s].spread) domains after the wave (max 1, was \(b))"))
                }
            }
        }

        for i in 0..<n {
            if let first = current[i], movesOf[i] > 0, at[i] == first {
                out.append(WaveViolation(kind: .cancelling, wave: nil, message: "\(label(i)) ends where it started on \(hosts[first].name)"))
            }
            let t = target[i]
            if t >= 0 {
                if at[i] != t {
                    out.append(WaveViolation(
                        kind: .finalState, wave: nil, message: "\(label(i)) ends on \(hostName(at[i])), the plan puts it on \(hostName(t))"))
                }
            } else if at[i] != nil, at[i] != current[i] {
                out.append(WaveViolation(
                    kind: .finalState, wave: nil, message: "\(label(i)) is unplaced in the plan but ends on \(hostName(at[i]))"))
            }
        }
        for h in spareHosts where hosts.indices.contains(h) && !byHost[h].isEmpty {
            out.append(WaveViolation(kind: .spareHost, wave: nil, message: "spare host \(hosts[h].name) is not empty after the last wave"))
        }
        return out
    }

    /// Skew of a zone/label-spread service over the domains of hosts it may use: active hosts
    /// matching its selector, and cordoned hosts where an instance runs before the migration
    /// and stays.
    static func skew(
        problem: Problem, service s: Int, location: [Int?], current: [Int?], target: [Int], domains cache: inout EligibleDomains
    ) -> Int {
        let svc = problem.services[s]
        let lo = problem.instanceOffset[s]
        let hi = problem.instanceOffset[s + 1]
        var domains = cache.active(for: svc)
        for i in lo..<hi {
            if let h = current[i], problem.hosts[h].state == .cordoned, target[i] == h,
                let d = svc.spread.domain(of: problem.hosts[h])
            {
                domains.insert(d)
            }
        }
        guard !domains.isEmpty else { return 0 }
        var counts = [String: Int]()
        for d in domains { counts[d] = 0 }
        for i in lo..<hi {
            guard let h = location[i], let d = svc.spread.domain(of: problem.hosts[h]), counts[d] != nil else { continue }
            counts[d]! += 1
        }
        return counts.values.max()! - counts.values.min()!
    }

    /// Cores as given ("16", "2.5"); bytes in GiB when at least 1 GiB ("130 GiB", "1.5 GiB").
    private static func amount(_ raw: Int64, _ dim: Dimension) -> String {
        if dim.kind == .bytes, raw >= 1 << 30 {
            let gib = Double(raw) / Double(1 << 30)
            return (gib == gib.rounded() ? String(Int64(gib)) : String((gib * 10).rounded() / 10)) + " GiB"
        }
        let x = dim.display(raw)
        return x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}

/// Checks migration waves (see `WaveVerifier`); one line per violation, empty when valid.
public func verifyWaves(
    problem: Problem, current: [Int?], target: [Int], waves: [[Move]], spareHosts: [Int] = []
) -> [String] {
    WaveVerifier.verify(problem: problem, current: current, target: target, waves: waves, spareHosts: spareHosts)
        .map(\.description)
}
