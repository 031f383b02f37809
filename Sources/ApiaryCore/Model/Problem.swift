/// A validated planning problem: the hosts, the services and their instances, the policy,
/// and optionally where instances run now. Everything the planner needs, nothing it has to read.
///
/// Instances are numbered globally: instance `k` of service `s` has id
/// `instanceOffset[s] + k`. Hosts and services are referred to by index.
public struct Problem: Sendable {
    public var dimensions: [Dimension]
    public var hosts: [Host]
    public var services: [Service]
    public var policy: Policy
    public var carbon: CarbonSettings
    /// Host index each instance runs on now (`nil`: not running), by global instance id.
    /// `nil` as a whole when the inventory has no current placement.
    public var current: [Int?]?

    /// Usable capacity of each host: floor(capacity × headroom) per dimension.
    public private(set) var usable: [Resources]
    /// First global instance id of each service; one extra entry holds the total.
    public private(set) var instanceOffset: [Int]

    public init(
        dimensions: [Dimension], hosts: [Host], services: [Service], policy: Policy,
        carbon: CarbonSettings = CarbonSettings(), current: [Int?]? = nil
    ) {
        precondition(policy.headroom.count == dimensions.count, "headroom needs one entry per dimension")
        self.dimensions = dimensions
        self.hosts = hosts
        self.services = services
        self.policy = policy
        self.carbon = carbon
        self.current = current
        self.usable = hosts.map { host in
            Resources(
                host.capacity.values.indices.map { d in
                    Int64((Double(host.capacity[d]) * policy.headroom[d]).rounded(.down))
                })
        }
        var offsets = [Int]()
        offsets.reserveCapacity(services.count + 1)
        var total = 0
        for s in services {
            offsets.append(total)
            total += s.count
        }
        offsets.append(total)
        self.instanceOffset = offsets
        if let current { precondition(current.count == total, "current placement needs one entry per instance") }
    }

    /// Total number of instances.
    public var instanceCount: Int { instanceOffset[services.count] }

    /// The service index of a global instance id.
    /// - Complexity: O(log services)
    public func service(ofInstance id: Int) -> Int {
        var lo = 0
        var hi = services.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if instanceOffset[mid] <= id { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Service index of every instance, in id order.
    public func serviceOfEachInstance() -> [Int] {
        var out = [Int]()
        out.reserveCapacity(instanceCount)
        for (s, svc) in services.enumerated() { out.append(contentsOf: repeatElement(s, count: svc.count)) }
        return out
    }

    public var hasCurrentPlacement: Bool { current != nil }

    /// The disruption budget of a service (its own, or the policy default), at least 1.
    public func maxUnavailable(ofService s: Int) -> Int {
        max(1, services[s].maxUnavailable ?? policy.maxUnavailable)
    }

    /// Instances that run now and run on another host in `assignment` (host per instance,
    /// -1 unplaced). Starts (instances not running now) and stops are not moves.
    /// - Complexity: O(instances)
    public func moves(to assignment: [Int]) -> Int {
        guard let current else { return 0 }
        var n = 0
        for (i, h) in assignment.enumerated() where h >= 0 {
            if let c = current[i], c != h { n += 1 }
        }
        return n
    }

    /// True when the package-name rule applies (Habitat supervisor).
    public var onePackageNamePerHost: Bool { policy.supervisor == .habitat }
}
