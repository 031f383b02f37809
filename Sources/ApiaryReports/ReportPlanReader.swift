import ApiaryCore

/// A plan document that does not fit the inventory it is reported against.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    case unsupportedFormat(String)
    case unknownService(String, index: Int)
    case unknownHost(String, context: String)
    case instanceOutOfRange(service: String, instance: Int, count: Int)
    case duplicateAssignment(service: String, instance: Int)

    public var description: String {
        switch self {
        case .unsupportedFormat(let tag):
            "plan: format \"\(tag)\" is not supported (expected \"\(PlanDocument.formatTag)\")"
        case .unknownService(let name, let index):
            "plan: assignments[\(index)]: service \"\(name)\" is not in the inventory"
        case .unknownHost(let name, let context):
            "plan: \(context): host \"\(name)\" is not in the inventory"
        case .instanceOutOfRange(let service, let instance, let count):
            "plan: service \"\(service)\" has \(TextFormat.count(count, "instance")) in the inventory"
                + (count > 0 ? " (0...\(count - 1))" : "") + ", the plan assigns instance \(instance)"
        case .duplicateAssignment(let service, let instance):
            "plan: instance \(instance) of service \"\(service)\" is assigned twice"
        }
    }
}

/// Maps a plan document's names back to the indices of a problem.
public enum PlanReader {
    /// The host index of each instance (by global id; -1 for instances the plan does not place).
    ///
    /// - Throws: ``ReportError`` naming the first host, service or instance the inventory lacks.
    /// - Complexity: O(assignments + hosts + services).
    public static func assignment(of document: PlanDocument, for problem: Problem) throws(ReportError) -> [Int] {
        guard document.format == PlanDocument.formatTag else { throw .unsupportedFormat(document.format) }
        var hostIndex = [String: Int]()
        for (h, host) in problem.hosts.enumerated() { hostIndex[host.name] = h }
        var serviceIndex = [String: Int]()
        for (s, service) in problem.services.enumerated() { serviceIndex[service.name] = s }

        var assignment = [Int](repeating: Plan.unassigned, count: problem.instanceCount)
        for (i, entry) in document.assignments.enumerated() {
            guard let s = serviceIndex[entry.service] else { throw .unknownService(entry.service, index: i) }
            guard let h = hostIndex[entry.host] else {
                throw .unknownHost(entry.host, context: "assignments[\(i)] (\(entry.service) #\(entry.instance))")
            }
            let count = problem.services[s].count
            guard entry.instance >= 0, entry.instance < count else {
                throw .instanceOutOfRange(service: entry.service, instance: entry.instance, count: count)
            }
            let id = problem.instanceOffset[s] + entry.instance
            guard assignment[id] == Plan.unassigned else {
                throw .duplicateAssignment(service: entry.service, instance: entry.instance)
            }
            assignment[id] = h
        }
        for (i, entry) in document.hosts.enumerated() where hostIndex[entry.name] == nil {
            throw .unknownHost(entry.name, context: "hosts[\(i)]")
        }
        return assignment
    }
}
