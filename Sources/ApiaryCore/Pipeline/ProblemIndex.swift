/// Facts about a problem computed once per plan, so the placement loop only compares
/// and adds: package-name ids, spread domain ids, eligible domains, pinned instances.
public struct ProblemIndex: Sendable {
    public let dimensionCount: Int
    /// Package-name id of each service (services sharing a Habitat package name share an id).
    public let packageNameID: [Int32]
    /// Whether two services share a package name (else instances of a package name on a host
    /// are those of its one service).
    public let packageNamesShared: Bool
    /// Service index of each instance.
    public let serviceOfInstance: [Int32]
    /// For each domain-balanced service, the domain id of every host (-1: host has no domain),
    /// shared between services spread over the same key. Empty for other services.
    public let domainKeyOfService: [Int32]
    /// Domain id per host, per spread key (index by `domainKeyOfService`).
    public let hostDomain: [[Int32]]
    /// Number of domains per spread key.
    public let domainCount: [Int]
    /// Domain names per spread key (for reports).
    public let domainNames: [[String]]
    /// Eligible domain ids per service (domains with at least one host the service may use).
    public let eligibleDomains: [[Int32]]
    /// Host each pinned instance must stay on (instances running on cordoned hosts), -1 for a
    /// free instance, `ProblemIndex.excluded` for one the planner must leave unplaced.
    public let pinnedHost: [Int32]
    /// Usable capacity per host, flat: host * dimensionCount + d.
    public let usableFlat: [Int64]
    /// Requests per service, flat: service * dimensionCount + d.
    public let requestFlat: [Int64]
    /// State of each host.
    public let hostState: [HostState]
    /// Per service: whether it has a selector, is exclusive, spreads one instance per host.
    public let hasSelector: [Bool]
    public let isExclusive: [Bool]
    public let spreadsOverHosts: [Bool]

    /// - Parameter stay: instances that must stay on the host they run on now (instance →
    ///   host, or `ProblemIndex.excluded` to leave it unplaced), on top of those running on
    ///   cordoned hosts.
    public init(_ problem: Problem, stay: [Int: Int] = [:]) {
        let dims = problem.dimensions.count
        dimensionCount = dims
        var pkgIDs = [String: Int32](minimumCapacity: problem.services.count)
        packageNameID = problem.services.withUnsafeBufferPointer { services in
            services.map { svc in
                let key = svc.package.name
                if let id = pkgIDs[key] { return id }
                let id = Int32(pkgIDs.count)
                pkgIDs[key] = id
                return id
            }
        }
        packageNamesShared = pkgIDs.count < problem.services.count
        serviceOfInstance = problem.serviceOfEachInstance().map(Int32.init)

        // Spread keys: zone, or a label key.
        var keyIDs = [String: Int32]()
        var hostDomain = [[Int32]]()
        var domainCount = [Int]()
        var domainNames = [[String]]()
        var domainKeyOfService = [Int32](repeating: -1, count: problem.services.count)
        for (s, svc) in problem.services.enumerated() where svc.spread.isDomainBalanced {
            let key = svc.spread.description
            if let id = keyIDs[key] {
                domainKeyOfService[s] = id
                continue
            }
            let id = Int32(keyIDs.count)
            keyIDs[key] = id
            domainKeyOfService[s] = id
            var names = [String: Int32]()
            var ordered = [String]()
            let perHost: [Int32] = problem.hosts.map { host in
                guard let value = svc.spread.domain(of: host) else { return -1 }
                if let d = names[value] { return d }
                let d = Int32(names.count)
                names[value] = d
                ordered.append(value)
                return d
            }
            hostDomain.append(perHost)
            domainCount.append(ordered.count)
            domainNames.append(ordered)
        }
        self.hostDomain = hostDomain
        self.domainCount = domainCount
        self.domainNames = domainNames
        self.domainKeyOfService = domainKeyOfService

        // Pinned: instances running now on cordoned hosts stay there (see `cordonedStays`).
        var pinned = [Int32](repeating: -1, count: problem.instanceCount)
        for (i, h) in Self.cordonedStays(
            problem, serviceOfInstance: serviceOfInstance, packageNameID: packageNameID,
            domainKeyOfService: domainKeyOfService, hostDomain: hostDomain)
        {
            pinned[i] = Int32(h)
        }
        for (i, h) in stay { pinned[i] = Int32(h) }
        pinnedHost = pinned

        // Eligible domains: a host is eligible for a service when it is active and matches the
        // selector, or is cordoned and holds a pinned instance of the service.
        var eligible = [[Int32]](repeating: [], count: problem.services.count)
        var pinnedHostsOfService = [Int: Set<Int>]()
        for (i, h) in pinned.enumerated() where h >= 0 {
            pinnedHostsOfService[problem.service(ofInstance: i), default: []].insert(Int(h))
        }
        // Services sharing (key, selector) share their eligible domains: compute once per group.
        var cache = [String: [Int32]]()
        for (s, svc) in problem.services.enumerated() where svc.spread.isDomainBalanced {
            let key = Int(domainKeyOfService[s])
            let signature = "\(key)|" + svc.selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: ",")
            var set: [Int32]
            if let cached = cache[signature] {
                set = cached
            } else {
                var seen = [Bool](repeating: false, count: domainCount[key])
                for (h, host) in problem.hosts.enumerated() where host.state == .active {
                    let d = hostDomain[key][h]
                    if d >= 0, !seen[Int(d)], Self.matches(selector: svc.selector, labels: host.labels) {
                        seen[Int(d)] = true
                    }
                }
                set = seen.indices.filter { seen[$0] }.map(Int32.init)
                cache[signature] = set
            }
            if let extra = pinnedHostsOfService[s] {
                for h in extra {
                    let d = hostDomain[key][h]
                    if d >= 0, !set.contains(d) { set.append(d) }
                }
                set.sort()
            }
            eligible[s] = set
        }
        eligibleDomains = eligible

        var usable = [Int64]()
        usable.reserveCapacity(problem.hosts.count * dims)
        for u in problem.usable { usable.append(contentsOf: u.values) }
        usableFlat = usable
        var req = [Int64]()
        req.reserveCapacity(problem.services.count * dims)
        problem.services.withUnsafeBufferPointer { services in
            for s in services.indices { req.append(contentsOf: services[s].requests.values) }
        }
        requestFlat = req
        hostState = problem.hosts.map(\.state)
        var hasSelector = [Bool]()
        var isExclusive = [Bool]()
        var spreadsOverHosts = [Bool]()
        hasSelector.reserveCapacity(problem.services.count)
        isExclusive.reserveCapacity(problem.services.count)
        spreadsOverHosts.reserveCapacity(problem.services.count)
        problem.services.withUnsafeBufferPointer { services in
            for s in services.indices {
                hasSelector.append(!services[s].selector.isEmpty)
                isExclusive.append(services[s].exclusive)
                if case .host = services[s].spread { spreadsOverHosts.append(true) } else { spreadsOverHosts.append(false) }
            }
        }
        self.hasSelector = hasSelector
        self.isExclusive = isExclusive
        self.spreadsOverHosts = spreadsOverHosts
    }

    /// Instances running now on cordoned hosts that stay there, with their host: a cordoned
    /// host keeps what it runs, as much of it as may run there together, taken in instance
    /// order. An instance that breaks a rule there on its own (a selector that does not match,
    /// no value for its spread key) or with the instances before it (no room left under
    /// headroom, a second replica of a service spread over hosts, a second instance of a
    /// Habitat package name, a tenant sharing the host, more replicas in the host's domain
    /// than an even zone/label spread allows) is not kept: it is placed like any other running
    /// instance, and its move counts as one. The exact skew is left to the placement: pinned
    /// instances make their domains eligible.
    static func cordonedStays(
        _ problem: Problem, serviceOfInstance: [Int32], packageNameID: [Int32], domainKeyOfService: [Int32],
        hostDomain: [[Int32]]
    ) -> [(instance: Int, host: Int)] {
        guard let current = problem.current else { return [] }
        let dims = problem.dimensions.count
        struct Content {
            var load: [Int64]
            var services: [Int: Int] = [:]
            var packages = Set<Int32>()
        }
        var content = [Int: Content]()
        var stays = [(instance: Int, host: Int)]()
        // A zone/label-spread service keeps at most ceil(count / domains) replicas in a domain
        // (its eligible domains: those of active hosts matching its selector, and this one),
        // or its spread could not be even.
        var keptInDomain = [Int64: Int]()
        func domainCap(_ s: Int, _ svc: Service, key: Int, domain: Int32) -> Int {
            var seen = Set<Int32>([domain])
            for (x, host) in problem.hosts.enumerated() where host.state == .active {
                let d = hostDomain[key][x]
                if d >= 0, Self.matches(selector: svc.selector, labels: host.labels) { seen.insert(d) }
            }
            return (svc.count + seen.count - 1) / seen.count
        }
        var capOf = [Int64: Int]()
        for (i, h) in current.enumerated() {
            guard let h, problem.hosts[h].state == .cordoned else { continue }
            let s = Int(serviceOfInstance[i])
            let svc = problem.services[s]
            let host = problem.hosts[h]
            guard Self.matches(selector: svc.selector, labels: host.labels) else { continue }
            let key = domainKeyOfService[s]
            if key >= 0, hostDomain[Int(key)][h] < 0 { continue }
            var c = content[h] ?? Content(load: [Int64](repeating: 0, count: dims))
            let others = c.services.keys.contains { $0 != s }
            if others, svc.exclusive || c.services.keys.contains(where: { problem.services[$0].exclusive }) { continue }
            if case .host = svc.spread, c.services[s, default: 0] > 0 { continue }
            if problem.policy.supervisor == .habitat, c.packages.contains(packageNameID[s]) { continue }
            if (0..<dims).contains(where: { c.load[$0] + svc.requests[$0] > problem.usable[h][$0] }) { continue }
            if key >= 0 {
                let domain = hostDomain[Int(key)][h]
                let pair = Int64(s) << 32 | Int64(domain)
                let cap = capOf[pair] ?? domainCap(s, svc, key: Int(key), domain: domain)
                capOf[pair] = cap
                if keptInDomain[pair, default: 0] >= cap { continue }
                keptInDomain[pair, default: 0] += 1
            }
            for d in 0..<dims { c.load[d] += svc.requests[d] }
            c.services[s, default: 0] += 1
            c.packages.insert(packageNameID[s])
            content[h] = c
            stays.append((i, h))
        }
        return stays
    }

    /// Marks an instance the planner leaves unplaced (see `pinnedHost`).
    public static let excluded: Int32 = -2

    @inlinable
    public static func matches(selector: [String: String], labels: [String: String]) -> Bool {
        for (k, v) in selector where labels[k] != v { return false }
        return true
    }
}
