import ApiaryCore

/// Small builders for migration tests: hosts with cpu/memory in whole units, services by name.
enum MigFleet {
    static let dims = [Dimension(name: "cpu", kind: .count), Dimension(name: "memory", kind: .bytes)]

    static func host(_ name: String, cpu: Int64 = 10, mem: Int64 = 100, zone: String? = nil,
                     labels: [String: String] = [:], state: HostState = .active) -> Host {
        Host(name: name, zone: zone, labels: labels, capacity: Resources([cpu * 1000, mem]), state: state)
    }

    static func service(
        _ name: String, count: Int, cpu: Int64 = 1, mem: Int64 = 1, package: String? = nil,
        spread: Spread = .host, maxUnavailable: Int? = nil, exclusive: Bool = false,
        selector: [String: String] = [:]
    ) -> Service {
        let pkg = PackageIdent(origin: "smartbee", name: package ?? String(name.split(separator: ".").first!))
        return Service(
            name: name, package: pkg, count: count, spread: spread, maxUnavailable: maxUnavailable,
            selector: selector, exclusive: exclusive, requests: Resources([cpu * 1000, mem]))
    }

    static func problem(
        hosts: [Host], services: [Service], current: [Int?], supervisor: Supervisor = .habitat,
        maxUnavailable: Int = 1
    ) -> Problem {
        Problem(
            dimensions: dims, hosts: hosts, services: services,
            policy: Policy(headroom: [1, 1], supervisor: supervisor, maxUnavailable: maxUnavailable),
            current: current)
    }
}

/// Random fleets with a valid current placement and a valid (more consolidated) target,
/// built with a feasibility check of its own (a third code path besides scheduler and verifier).
enum RandomFleet {
    struct Case {
        var problem: Problem
        var target: [Int]
    }

    /// `spares: false` leaves out the two free hosts, as on a real fleet where every host runs
    /// something (the random draws are the same, so a seed gives the same fleet otherwise).
    static func make(seed: UInt64, hosts hostCount: Int = 12, services serviceCount: Int = 6, spares: Bool = true) -> Case {
        var rng = SplitMix64(seed: seed)
        let zones = ["a", "b", "c"]
        var hosts = [Host]()
        for h in 0..<hostCount {
            let cpu = Int64([8, 16, 16, 32].randomElement(using: &rng)!)
            let state: HostState = Int.random(in: 0..<12, using: &rng) == 0 ? .draining : .active
            hosts.append(MigFleet.host(
                "h\(h)", cpu: cpu, mem: cpu * 4, zone: zones[h % zones.count],
                labels: ["rack": "r\(h % 2)", "arch": h % 5 == 4 ? "arm64" : "x86_64"], state: state))
        }
        // Two always-free hosts, so a cycle can borrow a spare.
        if spares {
            hosts.append(MigFleet.host("spare0", cpu: 32, mem: 128, zone: "a", labels: ["rack": "r0", "arch": "x86_64"]))
            hosts.append(MigFleet.host("spare1", cpu: 32, mem: 128, zone: "b", labels: ["rack": "r1", "arch": "x86_64"]))
        }
        var services = [Service]()
        let packages = ["web", "redis", "analytics", "queue"]
        for s in 0..<serviceCount {
            let spread: Spread = [.host, .host, .zone, .label("rack"), .none].randomElement(using: &rng)!
            let cpu = Int64.random(in: 1...6, using: &rng)
            services.append(MigFleet.service(
                "svc\(s).prod", count: Int.random(in: 1...5, using: &rng), cpu: cpu,
                mem: cpu * Int64.random(in: 1...4, using: &rng),
                package: packages.randomElement(using: &rng)!, spread: spread,
                maxUnavailable: Int.random(in: 1...3, using: &rng),
                exclusive: Int.random(in: 0..<10, using: &rng) == 0,
                selector: Int.random(in: 0..<6, using: &rng) == 0 ? ["arch": "x86_64"] : [:]))
        }
        let supervisor: Supervisor = rng.next() % 2 == 0 ? .habitat : .systemd
        let base = MigFleet.problem(
            hosts: hosts, services: services, current: Array(repeating: nil, count: services.reduce(0) { $0 + $1.count }),
            supervisor: supervisor)
        // Current: random spread-out placement (some instances not running yet).
        var order = Array(0..<base.instanceCount)
        order.shuffle(using: &rng)
        let allButSpares = Array(0..<hostCount)
        let current = place(base, order: order, hostOrder: { _ in allButSpares.shuffled(using: &rng) }, skip: { _ in
            Int.random(in: 0..<8, using: &rng) == 0
        }, pinned: nil)
        let problem = MigFleet.problem(
            hosts: hosts, services: services, current: current.map { $0 >= 0 ? $0 : nil }, supervisor: supervisor)
        // Target: first fit over a random but fixed host order (consolidating), biggest first;
        // instances on cordoned hosts would stay (none here); never uses the spares.
        var packOrder = allButSpares.filter { hosts[$0].state == .active }
        packOrder.shuffle(using: &rng)
        var bySize = Array(0..<base.instanceCount)
        let svcOf = base.serviceOfEachInstance()
        bySize.sort {
            let a = services[svcOf[$0]].requests[0], b = services[svcOf[$1]].requests[0]
            return a != b ? a > b : $0 < $1
        }
        let keepSome = Int.random(in: 0...2, using: &rng)
        let target = place(problem, order: bySize, hostOrder: { i in
            // Sometimes keep an instance where it runs if it can stay.
            if keepSome > 0, let c = current[i] >= 0 ? current[i] : nil, rng.next() % 3 == 0,
                hosts[c].state == .active
            {
                return [c] + packOrder
            }
            return packOrder
        }, skip: { _ in false }, pinned: nil)
        // A running instance the target cannot place would keep running and crowd the target:
        // treat it as not running (the kept-instance rule has its own test).
        let adjusted: [Int?] = current.indices.map { current[$0] >= 0 && target[$0] >= 0 ? current[$0] : nil }
        return Case(
            problem: MigFleet.problem(hosts: hosts, services: services, current: adjusted, supervisor: supervisor),
            target: target)
    }

    /// Places instances in `order` on the first host of `hostOrder(i)` that takes them.
    static func place(
        _ p: Problem, order: [Int], hostOrder: (Int) -> [Int], skip: (Int) -> Bool, pinned: [Int]?
    ) -> [Int] {
        let svcOf = p.serviceOfEachInstance()
        var at = [Int](repeating: -1, count: p.instanceCount)
        var load = p.hosts.map { _ in Resources(zeros: p.dimensions.count) }
        var onHost = [[Int]](repeating: [], count: p.hosts.count)  // services
        func ok(_ s: Int, _ h: Int) -> Bool {
            let host = p.hosts[h]
            let svc = p.services[s]
            guard host.state == .active else { return false }
            guard svc.selector.allSatisfy({ host.labels[$0.key] == $0.value }) else { return false }
            guard (load[h] + svc.requests).fits(in: p.usable[h]) else { return false }
            if svc.spread == .host, onHost[h].contains(s) { return false }
            if p.onePackageNamePerHost, onHost[h].contains(where: { p.services[$0].package.name == svc.package.name }) {
                return false
            }
            if svc.exclusive, onHost[h].contains(where: { $0 != s }) { return false }
            if onHost[h].contains(where: { $0 != s && p.services[$0].exclusive }) { return false }
            if svc.spread.isDomainBalanced {
                guard let dom = svc.spread.domain(of: host) else { return false }
                // The domain must hold the minimum count among eligible domains.
                var counts = [String: Int]()
                for (hh, x) in p.hosts.enumerated() where x.state == .active
                    && svc.selector.allSatisfy({ x.labels[$0.key] == $0.value })
                {
                    if let d = svc.spread.domain(of: x) { counts[d] = counts[d] ?? 0; _ = hh }
                }
                for i in p.instanceOffset[s]..<p.instanceOffset[s + 1] where at[i] >= 0 {
                    if let d = svc.spread.domain(of: p.hosts[at[i]]), counts[d] != nil { counts[d]! += 1 }
                }
                guard let mine = counts[dom], counts.values.allSatisfy({ $0 >= mine }) else { return false }
            }
            return true
        }
        for i in order {
            if skip(i) { continue }
            let s = svcOf[i]
            for h in hostOrder(i) where ok(s, h) {
                at[i] = h
                load[h] += p.services[s].requests
                onHost[h].append(s)
                break
            }
        }
        return at
    }
}
