extension Verifier {
    /// Checks the figures a plan document states about itself against its assignments, so a
    /// report or an agent reading the document reads what the placement gives: the hosts on
    /// before and freed, utilization (fleet and per host), each host's instance count and
    /// action, the services' packages and requests (placement orders carry them), the lower
    /// bound's two copies, the wave count, that a running fleet's plan has a migration, and
    /// the running instances it stops. Ratios are compared to the document's four decimals.
    func verifyFigures(_ doc: PlanDocument, assignment: [Int], offset: [Int]) -> [Violation] {
        var out = [Violation]()
        func flag(_ message: String) { out.append(.init(.summary, message)) }
        let dims = problem.dimensions
        var count = [Int](repeating: 0, count: problem.hosts.count)
        var load = [[Int64]](repeating: [Int64](repeating: 0, count: dims.count), count: problem.hosts.count)
        for (s, svc) in problem.services.enumerated() {
            for k in 0..<svc.count {
                let h = assignment[offset[s] + k]
                guard h >= 0 else { continue }
                count[h] += 1
                for d in dims.indices { load[h][d] += svc.requests[d] }
            }
        }
        var before = [Int](repeating: 0, count: problem.hosts.count)
        if let current = problem.current { for case let h? in current { before[h] += 1 } }
        func onBefore(_ h: Int) -> Bool { problem.current != nil ? before[h] > 0 : problem.hosts[h].state == .active }
        let s = doc.summary
        let freed = problem.hosts.indices.filter { onBefore($0) && count[$0] == 0 }.count
        if s.hostsFreed != freed { flag("summary.hosts_freed is \(s.hostsFreed), the plan frees \(freed)") }
        let on = problem.hosts.indices.filter(onBefore).count
        if let claimed = s.hostsBefore, claimed != on { flag("summary.hosts_before is \(claimed), \(on) hosts are on before") }
        func ratio(_ used: Int64, _ capacity: Int64) -> Double { capacity > 0 ? Double(used) / Double(capacity) : 0 }
        func differs(_ claimed: Double, _ actual: Double) -> Bool { abs(claimed - actual) > 0.000051 }
        for (d, dim) in dims.enumerated() {
            var used: Int64 = 0
            var capacity: Int64 = 0
            for h in problem.hosts.indices where count[h] > 0 {
                used += load[h][d]
                capacity += problem.hosts[h].capacity[d]
            }
            let actual = ratio(used, capacity)
            if let claimed = s.utilization[dim.name], differs(claimed, actual) {
                flag("summary.utilization.\(dim.name) is \(claimed), the plan gives \(PlanDocumentBuilder.round4(actual))")
            }
        }
        for key in s.utilization.keys where !dims.contains(where: { $0.name == key }) {
            flag("summary.utilization names unknown dimension \"\(key)\"")
        }

        // Hosts: each known host once, with its instances, utilization and action.
        let hostIndex = Dictionary(problem.hosts.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var listed = Set<Int>()
        for entry in doc.hosts {
            guard let h = hostIndex[entry.name] else {
                flag("hosts lists unknown host \"\(entry.name)\"")
                continue
            }
            guard listed.insert(h).inserted else {
                flag("hosts lists \(entry.name) more than once")
                continue
            }
            if entry.instances != count[h] {
                flag("hosts: \(entry.name) has instances \(entry.instances), the plan puts \(count[h]) there")
            }
            for (d, dim) in dims.enumerated() where problem.hosts[h].capacity[d] > 0 {
                let actual = ratio(load[h][d], problem.hosts[h].capacity[d])
                if let claimed = entry.utilization[dim.name], differs(claimed, actual) {
                    flag("hosts: \(entry.name) utilization.\(dim.name) is \(claimed), the plan gives \(PlanDocumentBuilder.round4(actual))")
                }
            }
            if let claimed = entry.instancesBefore, problem.current != nil, claimed != before[h] {
                flag("hosts: \(entry.name) has instances_before \(claimed), \(before[h]) run there now")
            }
            if let action = entry.action {
                let actual = count[h] > 0 ? "keep" : (onBefore(h) ? "power-off" : "idle")
                if action != actual { flag("hosts: \(entry.name) has action \"\(action)\", the plan gives \"\(actual)\"") }
            }
        }
        if !doc.hosts.isEmpty {
            let missing = problem.hosts.indices.filter { !listed.contains($0) }
            if let first = missing.first {
                let more = missing.count > 1 ? " and \(missing.count - 1) more" : ""
                flag("hosts does not list \(problem.hosts[first].name)\(more)")
            }
        }

        // Services: the packages and requests placement orders carry.
        if let services = doc.services {
            let serviceIndex = Dictionary(
                problem.services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
            for entry in services {
                guard let k = serviceIndex[entry.name] else {
                    flag("services lists unknown service \"\(entry.name)\"")
                    continue
                }
                let svc = problem.services[k]
                if entry.package != svc.package.description {
                    flag("services: \(entry.name) has package \(entry.package), the inventory gives \(svc.package.description)")
                }
                if entry.count != svc.count { flag("services: \(entry.name) has count \(entry.count), the inventory gives \(svc.count)") }
                for (d, dim) in dims.enumerated() {
                    let actual = dim.display(svc.requests[d])
                    let claimed = entry.requests[dim.name] ?? 0
                    if abs(claimed - actual) > max(1e-9, abs(actual) * 1e-9) {
                        flag("services: \(entry.name) requests \(dim.name) \(claimed), the inventory gives \(actual)")
                    }
                }
            }
        }

        if let entry = doc.lowerBound, entry.value != s.lowerBound {
            flag("lower_bound.value is \(entry.value) but summary.lower_bound is \(s.lowerBound)")
        }

        // Migration: present with a current placement; waves counted; stops listed.
        if let current = problem.current {
            guard let migration = doc.migration else {
                out.append(.init(.migration, "the inventory has a current placement but the plan has no migration"))
                return out
            }
            if let waves = s.waves, waves != migration.waves.count {
                flag("summary.waves is \(waves), the migration has \(migration.waves.count)")
            }
            for (w, wave) in migration.waves.enumerated() where wave.isEmpty {
                out.append(.init(.migration, "wave \(w + 1) is empty"))
            }
            // Running instances the plan leaves unplaced, with the host they run on now.
            var stopping = [String: String]()
            for (k, svc) in problem.services.enumerated() {
                for j in 0..<svc.count where assignment[offset[k] + j] < 0 {
                    if let h = current[offset[k] + j] { stopping["\(svc.name)[\(j)]"] = problem.hosts[h].name }
                }
            }
            var listedStops = Set<String>()
            for stop in migration.stops ?? [] {
                let name = "\(stop.service)[\(stop.instance)]"
                guard let host = stopping[name] else {
                    out.append(.init(.migration, "stops lists \(name), which does not run now or is placed"))
                    continue
                }
                if host != stop.host { out.append(.init(.migration, "stops lists \(name) on \(stop.host); it runs on \(host)")) }
                if !listedStops.insert(name).inserted { out.append(.init(.migration, "stops lists \(name) more than once")) }
            }
            let missing = Set(stopping.keys).subtracting(listedStops).sorted()
            if let first = missing.first {
                let more = missing.count > 1 ? " and \(missing.count - 1) more" : ""
                out.append(.init(.migration, "\(first)\(more) run now and are unplaced, but migration.stops does not list them"))
            }
        }
        return out
    }

}
