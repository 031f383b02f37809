import ApiaryCore
import Crypto
import Foundation

/// Turns a plan document into per-host orders: the rows one generation writes.
enum OrderBuilder {
    struct Row {
        var host: String
        var body: Data
        var etag: String
        var instances: Int
    }

    /// One row per host the plan names (in `hosts` or `assignments`), hosts in name order.
    ///
    /// A host the plan lists with no instances gets an empty order: it must run nothing.
    static func rows(for plan: PlanDocument, generation: Int) throws(StoreError) -> [Row] {
        var services: [String: PlanDocument.ServiceEntry] = [:]
        for entry in plan.services ?? [] {
            services[entry.name] = entry
        }
        // host -> service -> instances
        var placed: [String: [String: [Int]]] = [:]
        for host in plan.hosts {
            placed[host.name, default: [:]] = [:]
        }
        for assignment in plan.assignments {
            guard services[assignment.service] != nil else {
                throw .invalidPlan(
                    "assignment of \(assignment.service)#\(assignment.instance) to \(assignment.host): "
                        + "service not in the plan's `services` list (expected an entry with its package and requests)")
            }
            placed[assignment.host, default: [:]][assignment.service, default: []].append(assignment.instance)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var rows: [Row] = []
        rows.reserveCapacity(placed.count)
        for host in placed.keys.sorted() {
            let byService = placed[host]!
            var orders: [ServiceOrder] = []
            var count = 0
            for name in byService.keys.sorted() {
                let entry = services[name]!
                let instances = byService[name]!.sorted()
                count += instances.count
                orders.append(
                    ServiceOrder(service: name, package: entry.package, instances: instances, requests: entry.requests))
            }
            let body: Data
            do {
                body = try encoder.encode(HostOrders(host: host, generation: generation, services: orders))
            } catch {
                throw .invalidPlan("cannot encode orders of \(host): \(error)")
            }
            rows.append(Row(host: host, body: body, etag: etag(of: body), instances: count))
        }
        return rows
    }

    /// A strong ETag over the body's bytes, so a recreated store never matches an old tag by accident.
    static func etag(of body: Data) -> String {
        let digest = SHA256.hash(data: body)
        return "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }
}
