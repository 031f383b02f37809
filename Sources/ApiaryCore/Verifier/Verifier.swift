/// One way a plan breaks the inventory's rules.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The document itself is wrong: unknown names, duplicates, missing instances.
        case malformed
        case capacity
        case draining
        /// A cordoned host takes an instance that does not run there now.
        case cordonedNew
        /// An instance running on a cordoned host is moved away.
        case cordonedEvicted
        case selector
        case exclusive
        case spreadHost
        case spreadSkew
        case spreadDomainMissing
        case packageName
        case summary
        case moveBudget
        case migration
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// The independent validator behind `apiary verify`: re-derives every rule from the
/// inventory and checks a plan document against it, without any of the packer's code
/// (no `PlacementState`, no `ProblemIndex`). It lists every violation, not just the first.
public struct Verifier: Sendable {
    public let problem: Problem

    public init(problem: Problem) { self.problem = problem }

    /// Checks a plan document; an empty list means the plan is valid.
    public func verify(_ doc: PlanDocument) -> [Violation] {
        var out = [Violation]()
        if doc.format != PlanDocument.formatTag {
            out.append(.init(.malformed, "format is \"\(doc.format)\", expected \"\(PlanDocument.formatTag)\""))
        }
        let hostIndex = Dictionary(problem.hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let serviceIndex = Dictionary(
            problem.services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var offset = [Int]()
        var total = 0
        for svc in problem.services {
            offset.append(total)
            total += svc.count
        }
        var assignment = [Int](repeating: -1, count: total)
        var seen = [Bool](repeating: false, count: total)
        func locate(_ service: String, _ instance: Int, _ what: String) -> Int? {
            guard let s = serviceIndex[service] else {
                out.append(.init(.malformed, "\(what) names unknown service \"\(service)\""))
                return nil
            }
            guard instance >= 0, instance < problem.services[s].count else {
                out.append(
                    .init(
                        .malformed,
                        "\(what) \(service)[\(instance)]: instance out of range 0..<\(problem.services[s].count)"))
                return nil
            }
            let id = offset[s] + instance
            if seen[id] {
                out.append(.init(.malformed, "\(service)[\(instance)] is listed more than once"))
                return nil
            }
            seen[id] = true
            return id
        }
        for a in doc.assignments {
            guard let id = locate(a.service, a.instance, "assignment") else { continue }
            guard let h = hostIndex[a.host] else {
                out.append(.init(.malformed, "\(a.service)[\(a.instance)] is assigned to unknown host \"\(a.host)\""))
                continue
            }
            assignment[id] = h
        }
        for u in doc.unplaced { _ = locate(u.service, u.instance, "unplaced entry") }
        for (s, svc) in problem.services.enumerated() {
            for k in 0..<svc.count where !seen[offset[s] + k] {
                out.append(.init(.malformed, "\(svc.name)[\(k)] is neither assigned nor listed as unplaced"))
            }
        }
        out += verify(assignment: assignment, offset: offset)
        out += verifySummary(doc, assignment: assignment)
        out += verifyFigures(doc, assignment: assignment, offset: offset)
        if let migration = doc.migration {
            out += verifyMigrationDocument(migration, assignment: assignment, offset: offset,
                                           hostIndex: hostIndex, serviceIndex: serviceIndex)
        }
        return out
    }

    /// Checks the placement rules on an assignment (host index per instance, -1 unplaced).
    public func verify(assignment: [Int], offset: [Int]) -> [Violation] {
        var out = [Violation]()
        let dims = problem.dimensions.count
        var load = [[Int64]](repeating: [Int64](repeating: 0, count: dims), count: problem.hosts.count)
        var servicesOn = [[Int: Int]](repeating: [:], count: problem.hosts.count)
        for (s, svc) in problem.services.enumerated() {
            for k in 0..<svc.count {
                let h = assignment[offset[s] + k]
                if h < 0 { continue }
                for d in 0..<dims { load[h][d] += svc.requests[d] }
                servicesOn[h][s, default: 0] += 1
            }
        }
        // Capacity under headroom.
        for (h, host) in problem.hosts.enumerated() {
            for d in 0..<dims {
                let usable = Int64((Double(host.capacity[d]) * problem.policy.headroom[d]).rounded(.down))
                if load[h][d] > usable {
                    out.append(
                        .init(
                            .capacity,
                            "\(host.name): \(problem.dimensions[d].name) \(fmt(load[h][d], d)) requested, usable \(fmt(usable, d))"
                        ))
                }
            }
        }
        // Host states.
        let current = problem.current
        var stayDomains = EligibleDomains(problem: problem)
        for (s, svc) in problem.services.enumerated() {
            for k in 0..<svc.count {
                let id = offset[s] + k
                let h = assignment[id]
                let now = current?[id] ?? nil
                if let now, problem.hosts[now].state == .cordoned, h != now,
                    mayStay(service: s, on: now, load: load[now], servicesOn: servicesOn[now])
                        && keepsSpread(
                            service: s, on: now, leaving: h, assignment: assignment, offset: offset, domains: &stayDomains)
                {
                    out.append(
                        .init(
                            .cordonedEvicted,
                            "\(svc.name)[\(k)] runs on cordoned host \(problem.hosts[now].name) and must stay there"))
                }
                guard h >= 0 else { continue }
                let host = problem.hosts[h]
                if host.state == .draining {
                    out.append(.init(.draining, "\(svc.name)[\(k)] is placed on draining host \(host.name)"))
                }
                if host.state == .cordoned, now != h {
                    out.append(
                        .init(.cordonedNew, "\(svc.name)[\(k)] is placed on cordoned host \(host.name), where it does not run now"))
                }
                for (key, value) in svc.selector.sorted(by: { $0.key < $1.key }) where host.labels[key] != value {
                    out.append(
                        .init(.selector, "\(svc.name)[\(k)] on \(host.name): selector \(key)=\(value) does not match"))
                }
            }
        }
        // Exclusivity, spread = host, Habitat package-name rule.
        for (h, host) in problem.hosts.enumerated() where !servicesOn[h].isEmpty {
            let here = servicesOn[h].keys.sorted()
            if here.count > 1 {
                for s in here where problem.services[s].exclusive {
                    out.append(
                        .init(.exclusive, "\(problem.services[s].name) is exclusive but shares \(host.name) with other services"))
                }
            }
            for s in here where servicesOn[h][s]! > 1 {
                if case .host = problem.services[s].spread {
                    out.append(
                        .init(.spreadHost, "\(problem.services[s].name) has \(servicesOn[h][s]!) replicas on \(host.name)"))
                }
            }
            if problem.policy.supervisor == .habitat {
                var byName = [String: Int]()
                for s in here { byName[problem.services[s].package.name, default: 0] += servicesOn[h][s]! }
                for (name, n) in byName.sorted(by: { $0.key < $1.key }) where n > 1 {
                    out.append(
                        .init(
                            .packageName,
                            "\(host.name) runs \(n) instances of package \(name); a Habitat supervisor runs one per package name"
                        ))
                }
            }
        }
        // Domain spread: max skew 1 over domains with an eligible host.
        var domains = EligibleDomains(problem: problem)
        for (s, svc) in problem.services.enumerated() {
            switch svc.spread {
            case .zone, .label: break
            default: continue
            }
            var counts = [String: Int]()
            for k in 0..<svc.count {
                let h = assignment[offset[s] + k]
                guard h >= 0 else { continue }
                guard let dom = svc.spread.domain(of: problem.hosts[h]) else {
                    out.append(
                        .init(
                            .spreadDomainMissing,
                            "\(svc.name)[\(k)] on \(problem.hosts[h].name), which has no \(svc.spread) to spread over"))
                    continue
                }
                counts[dom, default: 0] += 1
            }
            // Active hosts matching the selector, and cordoned hosts where an instance runs now
            // and stays.
            var eligible = domains.active(for: svc)
            for k in 0..<svc.count {
                let id = offset[s] + k
                guard let h = current?[id] ?? nil, assignment[id] == h, problem.hosts[h].state == .cordoned,
                    let dom = svc.spread.domain(of: problem.hosts[h])
                else { continue }
                eligible.insert(dom)
            }
            guard !eligible.isEmpty else { continue }
            let values = eligible.map { counts[$0] ?? 0 }
            let hi = values.max()!
            let lo = values.min()!
            if hi - lo > 1 {
                let detail = eligible.sorted().map { "\($0)=\(counts[$0] ?? 0)" }.joined(separator: ", ")
                out.append(.init(.spreadSkew, "\(svc.name) is spread \(detail) over \(svc.spread): skew \(hi - lo) > 1"))
            }
        }
        // Move budget: moves the current placement forces do not count against it.
        if let current, let cap = problem.policy.maxMoves {
            let forced = forcedMoves(current: current, offset: offset)
            let moved = current.indices.filter { i in current[i].map { $0 != assignment[i] && assignment[i] >= 0 } ?? false }
            let chosen = moved.filter { !forced.contains($0) }.count
            if chosen > cap {
                let excuse = chosen < moved.count ? " (besides \(moved.count - chosen) the current placement forces)" : ""
                out.append(.init(.moveBudget, "\(chosen) moves exceed max_moves = \(cap)\(excuse)"))
            }
        }
        return out
    }

    /// Whether one more instance of service `s` may run on cordoned host `h`, which holds
    /// `servicesOn` (instances per service) with `load` in the plan: the rules that bind a
    /// host's content alone (selector, spread domain, capacity, exclusivity, spread = host,
    /// the Habitat rule). A cordoned host keeps what it runs, as much of it as may run there
    /// together; an instance that could not stay with what the plan keeps there may go.
    private func mayStay(service s: Int, on h: Int, load: [Int64], servicesOn: [Int: Int]) -> Bool {
        let svc = problem.services[s]
        let host = problem.hosts[h]
        if svc.selector.contains(where: { host.labels[$0.key] != $0.value }) { return false }
        switch svc.spread {
        case .zone, .label: if svc.spread.domain(of: host) == nil { return false }
        default: break
        }
        for d in problem.dimensions.indices {
            let usable = Int64((Double(host.capacity[d]) * problem.policy.headroom[d]).rounded(.down))
            if load[d] + svc.requests[d] > usable { return false }
        }
        let others = servicesOn.keys.filter { $0 != s }
        if !others.isEmpty, svc.exclusive || others.contains(where: { problem.services[$0].exclusive }) { return false }
        if case .host = svc.spread, servicesOn[s, default: 0] > 0 { return false }
        if problem.policy.supervisor == .habitat,
            servicesOn.contains(where: { problem.services[$0.key].package.name == svc.package.name && $0.value > 0 })
        {
            return false
        }
        return true
    }

    /// Whether an instance of a zone/label-spread service `s` back on cordoned host `h`, from
    /// `leaving` where the plan puts it (-1: unplaced), keeps its spread within max skew 1
    /// (always true for other spreads): a replica that could not stay without skewing its
    /// spread may leave.
    private func keepsSpread(
        service s: Int, on h: Int, leaving: Int, assignment: [Int], offset: [Int], domains: inout EligibleDomains
    ) -> Bool {
        let svc = problem.services[s]
        switch svc.spread {
        case .zone, .label: break
        default: return true
        }
        guard let here = svc.spread.domain(of: problem.hosts[h]) else { return false }
        var eligible = domains.active(for: svc)
        eligible.insert(here)
        var counts = [String: Int]()
        for k in 0..<svc.count {
            let id = offset[s] + k
            let at = assignment[id]
            guard at >= 0, let dom = svc.spread.domain(of: problem.hosts[at]) else { continue }
            counts[dom, default: 0] += 1
            if problem.hosts[at].state == .cordoned, problem.current?[id] == at { eligible.insert(dom) }
        }
        counts[here, default: 0] += 1
        if leaving >= 0, let away = svc.spread.domain(of: problem.hosts[leaving]) { counts[away, default: 0] -= 1 }
        let values = eligible.map { counts[$0] ?? 0 }
        return (values.max() ?? 0) - (values.min() ?? 0) <= 1
    }

    /// Running instances whose moves the current placement may force, so `max_moves` does not
    /// count their moves: every instance on a draining host or on a host whose current content breaks
    /// a rule (capacity, selector, spread domain, exclusivity, spread = host, the Habitat
    /// rule), and every running instance of a service whose current zone/label spread is
    /// skewed by more than one. Generous on purpose: which of a host's instances must go is
    /// the planner's choice.
    func forcedMoves(current: [Int?], offset: [Int]) -> Set<Int> {
        let dims = problem.dimensions.count
        var running = [[Int]](repeating: [], count: problem.hosts.count)
        var serviceOf = [Int]()
        for (s, svc) in problem.services.enumerated() { serviceOf += repeatElement(s, count: svc.count) }
        for (i, h) in current.enumerated() { if let h { running[h].append(i) } }
        var forced = Set<Int>()
        var domains = EligibleDomains(problem: problem)
        // A host's content breaks a rule when some instance may not stay beside those before it
        // (the rules of `mayStay` only grow stricter as content is added).
        for (h, host) in problem.hosts.enumerated() where !running[h].isEmpty {
            var broken = host.state == .draining
            var load = [Int64](repeating: 0, count: dims)
            var servicesOn = [Int: Int]()
            for i in running[h] where !broken {
                let s = serviceOf[i]
                if !mayStay(service: s, on: h, load: load, servicesOn: servicesOn) { broken = true }
                for d in 0..<dims { load[d] += problem.services[s].requests[d] }
                servicesOn[s, default: 0] += 1
            }
            if broken { forced.formUnion(running[h]) }
        }
        for (s, svc) in problem.services.enumerated() {
            switch svc.spread {
            case .zone, .label: break
            default: continue
            }
            var counts = [String: Int]()
            var eligible = domains.active(for: svc)
            let ids = offset[s]..<(offset[s] + svc.count)
            for i in ids {
                guard let h = current[i], let dom = svc.spread.domain(of: problem.hosts[h]) else { continue }
                counts[dom, default: 0] += 1
                eligible.insert(dom)
            }
            let values = eligible.map { counts[$0] ?? 0 }
            if let hi = values.max(), let lo = values.min(), hi - lo > 1 {
                forced.formUnion(ids.filter { current[$0] != nil })
            }
        }
        return forced
    }

    private func verifySummary(_ doc: PlanDocument, assignment: [Int]) -> [Violation] {
        var out = [Violation]()
        let used = Set(assignment.filter { $0 >= 0 }).count
        let placed = assignment.filter { $0 >= 0 }.count
        let s = doc.summary
        func check(_ name: String, _ claimed: Int, _ actual: Int) {
            if claimed != actual { out.append(.init(.summary, "summary.\(name) is \(claimed), the plan has \(actual)")) }
        }
        check("hosts_total", s.hostsTotal, problem.hosts.count)
        check("hosts_used", s.hostsUsed, used)
        check("instances", s.instances, assignment.count)
        check("unplaced", s.unplaced, assignment.count - placed)
        if let current = problem.current {
            let moves = zip(current, assignment).filter { now, next in now != nil && next >= 0 && now! != next }.count
            check("moves", s.moves, moves)
        }
        if s.unplaced == 0, s.lowerBound > s.hostsUsed {
            out.append(.init(.summary, "lower_bound \(s.lowerBound) exceeds hosts_used \(s.hostsUsed): not a valid bound"))
        }
        return out
    }

    private func fmt(_ raw: Int64, _ d: Int) -> String {
        let dim = problem.dimensions[d]
        switch dim.kind {
        case .count: return "\(Double(raw) / 1000)"
        case .bytes: return "\(raw) B"
        }
    }
}
