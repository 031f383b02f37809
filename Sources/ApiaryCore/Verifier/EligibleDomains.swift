/// The spread domains of the active hosts matching a selector, per spread key and selector:
/// what makes a domain eligible for a zone/label-spread service (each checker adds the
/// cordoned hosts it keeps). Cached, so checking S services over H hosts costs O(H) per
/// distinct (spread, selector) rather than per service: at 100,000 instances the per-service
/// scans took most of `apiary verify`'s time.
struct EligibleDomains {
    let problem: Problem
    private var cache = [String: Set<String>]()

    init(problem: Problem) { self.problem = problem }

    mutating func active(for svc: Service) -> Set<String> {
        let key = "\(svc.spread)|" + svc.selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if let hit = cache[key] { return hit }
        var domains = Set<String>()
        for host in problem.hosts where host.state == .active {
            guard let d = svc.spread.domain(of: host) else { continue }
            if svc.selector.allSatisfy({ host.labels[$0.key] == $0.value }) { domains.insert(d) }
        }
        cache[key] = domains
        return domains
    }
}
