
/// Builds the `apiary-plan/1` document from a problem and a plan: the one place where plan
/// figures (hosts used and freed, moves, utilization, carbon) are computed for every output.
public enum PlanDocumentBuilder {
    public static func build(
        problem: Problem, plan: Plan, inventory: PlanDocument.InventoryRef? = nil
    ) -> PlanDocument {
        let dims = problem.dimensions
        let svcOf = problem.serviceOfEachInstance()
        var load = [Resources](repeating: Resources(zeros: dims.count), count: problem.hosts.count)
        var count = [Int](repeating: 0, count: problem.hosts.count)
        var assignments = [PlanDocument.Assignment]()
        assignments.reserveCapacity(plan.assignment.count)
        for (i, h) in plan.assignment.enumerated() where h >= 0 {
            let s = svcOf[i]
            load[h] += problem.services[s].requests
            count[h] += 1
            assignments.append(
                .init(service: problem.services[s].name, instance: i - problem.instanceOffset[s], host: problem.hosts[h].name))
        }
        var before = [Int](repeating: 0, count: problem.hosts.count)
        if let current = problem.current { for case let h? in current { before[h] += 1 } }
        let onBefore: (Int) -> Bool = { h in
            problem.current != nil ? before[h] > 0 : problem.hosts[h].state == .active
        }
        let used = count.filter { $0 > 0 }.count
        let hostsBefore = problem.hosts.indices.filter(onBefore).count
        let freed = problem.hosts.indices.filter { onBefore($0) && count[$0] == 0 }.count
        let moves = problem.moves(to: plan.assignment)
        // Utilization over the hosts used.
        var utilization = [String: Double]()
        for (d, dim) in dims.enumerated() {
            var u: Int64 = 0
            var c: Int64 = 0
            for h in problem.hosts.indices where count[h] > 0 {
                u += load[h][d]
                c += problem.hosts[h].capacity[d]
            }
            utilization[dim.name] = c > 0 ? round4(Double(u) / Double(c)) : 0
        }
        let hosts = problem.hosts.indices.map { h -> PlanDocument.HostEntry in
            let host = problem.hosts[h]
            var util = [String: Double]()
            for (d, dim) in dims.enumerated() where host.capacity[d] > 0 {
                util[dim.name] = round4(Double(load[h][d]) / Double(host.capacity[d]))
            }
            let action = count[h] > 0 ? "keep" : (onBefore(h) ? "power-off" : "idle")
            return .init(
                name: host.name, instances: count[h], utilization: util, zone: host.zone, state: host.state.rawValue,
                instancesBefore: problem.current != nil ? before[h] : nil, action: action)
        }
        let unplaced = plan.unplaced.map { u -> PlanDocument.Unplaced in
            let s = svcOf[u.instance]
            var reasons = [String: Int]()
            for (r, n) in u.reasons { reasons[describe(r, service: s, problem: problem), default: 0] += n }
            return .init(service: problem.services[s].name, instance: u.instance - problem.instanceOffset[s], reasons: reasons)
        }
        let services = problem.services.map { svc in
            PlanDocument.ServiceEntry(
                name: svc.name, package: svc.package.description, count: svc.count,
                requests: Dictionary(uniqueKeysWithValues: dims.enumerated().compactMap { d, dim in
                    svc.requests[d] == 0 ? nil : (dim.name, dim.display(svc.requests[d]))
                }))
        }
        var migration: PlanDocument.Migration?
        if problem.current != nil {
            let waves = plan.waves.map { wave in
                wave.map { m -> PlanDocument.Move in
                    let s = svcOf[m.instance]
                    return .init(
                        service: problem.services[s].name, instance: m.instance - problem.instanceOffset[s],
                        from: m.from.map { problem.hosts[$0].name }, to: problem.hosts[m.to].name)
                }
            }
            let spares = plan.spareHosts.map { problem.hosts[$0].name }
            var stops = [PlanDocument.Assignment]()
            if let current = problem.current {
                for (i, h) in current.enumerated() where plan.assignment[i] < 0 {
                    guard let h else { continue }
                    let s = svcOf[i]
                    stops.append(
                        .init(service: problem.services[s].name, instance: i - problem.instanceOffset[s], host: problem.hosts[h].name))
                }
            }
            migration = .init(waves: waves, spareHosts: spares.isEmpty ? nil : spares, stops: stops.isEmpty ? nil : stops)
        }
        let carbon = CarbonModel(problem: problem).estimate(after: plan.assignment).document
        let summary = PlanDocument.Summary(
            hostsTotal: problem.hosts.count, hostsUsed: used, hostsFreed: freed, lowerBound: plan.lowerBound.value,
            instances: plan.assignment.count, unplaced: plan.unplaced.count, moves: moves, utilization: utilization,
            hostsBefore: hostsBefore, waves: problem.current != nil ? plan.waves.count : nil)
        return PlanDocument(
            inventory: inventory, summary: summary, assignments: assignments, unplaced: unplaced, hosts: hosts,
            services: services, carbon: carbon, migration: migration,
            lowerBound: .init(value: plan.lowerBound.value, argument: plan.lowerBound.argument),
            notes: plan.notes.isEmpty ? nil : plan.notes)
    }

    /// Words for a rejection, in the style of Kubernetes' scheduler events.
    public static func describe(_ r: Rejection, service s: Int, problem: Problem) -> String {
        let svc = problem.services[s]
        switch r {
        case .insufficient(let d): return "insufficient \(problem.dimensions[d].name)"
        case .selector(let key): return "selector \(key)=\(svc.selector[key] ?? "")"
        case .draining: return "host draining"
        case .cordoned: return "host cordoned"
        case .exclusive: return "exclusive tenant"
        case .packageName: return "package \(svc.package.name) already on host (Habitat)"
        case .spreadHost: return "replica already on host"
        case .spreadSkew: return "spread \(svc.spread): max skew 1"
        case .spreadDomainMissing: return "host has no \(svc.spread)"
        case .moveBudget: return "move budget spent"
        }
    }

    static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }
}
