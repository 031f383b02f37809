import Foundation

/// What a Habitat supervisor's HTTP gateway says runs where, turned into `[[placement]]` TOML.
///
/// Sources (shapes in `shared/spec/HABITAT.md`, from the supervisor's gateway schemas):
/// - `/census` of any supervisor: `census_groups.<service_group>.population.<member_id>` with
///   `alive`, `departed`, `sys.hostname` / `sys.ip` and `pkg`. Every member that is alive and
///   not departed is an instance running on its host.
/// - `/services` of one host (optional, any number): the services that supervisor has loaded.
///   It is that host's own word, so it overrides the census for that host: a group it lists
///   with `desired_state` `Up` runs there (even when gossip has not caught up), a group it
///   does not list, or lists as `Down`, does not.
///
/// Hosts are named by `sys.hostname` (falling back to `sys.ip`), optionally cut at the first
/// dot so `hive-01.example.net` matches the inventory's `hive-01`.
public struct HabitatCensus: Sendable {
    /// One service instance found running.
    public struct Member: Sendable, Hashable {
        public var host: String
        public var serviceGroup: String
        public var memberID: String
        /// `origin/name[/version[/release]]` when the source gives it.
        public var package: String?
    }

    /// The `/census` of one supervisor: the members alive and not departed.
    public struct CensusDocument: Sendable {
        public var members: [Member]
        /// Members skipped because they are dead or departed.
        public var skipped: Int
    }

    /// One host's `/services`: the service groups loaded there and their desired state.
    public struct HostServices: Sendable {
        public var file: String
        public var host: String
        public struct Entry: Sendable, Hashable {
            public var serviceGroup: String
            public var package: String?
            public var desiredUp: Bool
            public var processUp: Bool
        }
        public var services: [Entry]
    }

    /// The outcome: placements per (host, service group), and what an operator should know.
    public struct Result: Sendable {
        /// Sorted by host, then service group.
        public var placements: [(host: String, service: String, count: Int)]
        /// Disagreements between census and `/services`, skipped members.
        public var warnings: [String]
    }

    public var shortHostnames: Bool

    public init(shortHostnames: Bool = false) {
        self.shortHostnames = shortHostnames
    }

    // MARK: Parsing

    /// Parses a `/census` document. Errors name the file and the JSON key path.
    public func parseCensus(_ data: Data, file: String) throws(InventoryError) -> CensusDocument {
        let root = try JSONTree.parse(data, file: file)
        let groups = try root.object(at: "census_groups", file: file)
        var members = [Member]()
        var skipped = 0
        for (groupKey, group) in groups.sorted(by: { $0.key < $1.key }) {
            let gpath = "census_groups.\(groupKey)"
            guard case .object(let g) = group else { throw JSONTree.expected("an object", at: gpath, file: file) }
            let serviceGroup = try g["service_group"].map { v throws(InventoryError) in
                try v.string(at: gpath + ".service_group", file: file)
            } ?? groupKey
            guard let population = g["population"] else {
                throw InventoryError(file: file, key: gpath + ".population", message: "missing: expected the group's members")
            }
            guard case .object(let pop) = population else {
                throw JSONTree.expected("an object keyed by member id", at: gpath + ".population", file: file)
            }
            for (memberKey, value) in pop.sorted(by: { $0.key < $1.key }) {
                let mpath = "\(gpath).population.\(memberKey)"
                guard case .object(let m) = value else { throw JSONTree.expected("an object", at: mpath, file: file) }
                let alive = try JSONTree.require(m, "alive", at: mpath, file: file).bool(at: mpath + ".alive", file: file)
                let departed = try m["departed"].map { v throws(InventoryError) in
                    try v.bool(at: mpath + ".departed", file: file)
                } ?? false
                guard alive, !departed else {
                    skipped += 1
                    continue
                }
                let host = try hostName(JSONTree.require(m, "sys", at: mpath, file: file), at: mpath + ".sys", file: file)
                var package: String?
                if let v = m["pkg"] { package = try packageIdent(v, at: mpath + ".pkg", file: file) }
                members.append(Member(host: host, serviceGroup: serviceGroup, memberID: memberKey, package: package))
            }
        }
        return CensusDocument(members: members, skipped: skipped)
    }

    /// Parses one host's `/services` array. Errors name the file and the JSON key path.
    public func parseServices(_ data: Data, file: String) throws(InventoryError) -> HostServices {
        let root = try JSONTree.parse(data, file: file)
        guard case .array(let items) = root else { throw JSONTree.expected("a JSON array of services", at: "", file: file) }
        var host: String?
        var entries = [HostServices.Entry]()
        for (k, item) in items.enumerated() {
            let path = "[\(k)]"
            guard case .object(let s) = item else { throw JSONTree.expected("an object", at: path, file: file) }
            let group = try JSONTree.require(s, "service_group", at: path, file: file).string(at: path + ".service_group", file: file)
            let h = try hostName(JSONTree.require(s, "sys", at: path, file: file), at: path + ".sys", file: file)
            if let host, host != h {
                throw InventoryError(
                    file: file, key: path + ".sys.hostname",
                    message: "expected every service of one supervisor on one host, found \(host) and \(h)")
            }
            host = h
            let desired = try s["desired_state"].map { v throws(InventoryError) in
                try v.string(at: path + ".desired_state", file: file)
            } ?? "Up"
            guard desired == "Up" || desired == "Down" else {
                throw InventoryError(file: file, key: path + ".desired_state", message: "expected \"Up\" or \"Down\", found \"\(desired)\"")
            }
            var processUp = true
            if let process = s["process"] {
                guard case .object(let p) = process else { throw JSONTree.expected("an object", at: path + ".process", file: file) }
                if let state = p["state"] {
                    let st = try state.string(at: path + ".process.state", file: file)
                    guard st == "up" || st == "down" else {
                        throw InventoryError(file: file, key: path + ".process.state", message: "expected \"up\" or \"down\", found \"\(st)\"")
                    }
                    processUp = st == "up"
                }
            }
            var package: String?
            if let v = s["pkg"] { package = try packageIdent(v, at: path + ".pkg", file: file) }
            entries.append(.init(serviceGroup: group, package: package, desiredUp: desired == "Up", processUp: processUp))
        }
        guard let host else {
            throw InventoryError(file: file, key: "", message: "expected at least one service (an empty list names no host)")
        }
        return HostServices(file: file, host: host, services: entries)
    }

    // MARK: Merging

    /// Counts instances per (host, service group): census members, overridden per host by
    /// that host's `/services` when given.
    public func merge(census: CensusDocument?, services: [HostServices]) -> Result {
        var warnings = [String]()
        if let census, census.skipped > 0 {
            warnings.append("\(census.skipped) census member\(census.skipped == 1 ? " is" : "s are") dead or departed: left out")
        }
        var counts = [String: [String: Int]]()  // host -> group -> count
        for m in census?.members ?? [] { counts[m.host, default: [:]][m.serviceGroup, default: 0] += 1 }
        var seenHosts = Set<String>()
        for hs in services {
            guard seenHosts.insert(hs.host).inserted else {
                warnings.append("\(hs.file): \(hs.host) was already given by another /services file; ignored")
                continue
            }
            let fromCensus = counts[hs.host] ?? [:]
            var local = [String: Int]()
            for e in hs.services where e.desiredUp {
                // A supervisor loads a service group once.
                local[e.serviceGroup] = 1
                if !e.processUp {
                    warnings.append("\(hs.host): \(e.serviceGroup) is loaded but its process is down; counted as placed")
                }
            }
            for e in hs.services where !e.desiredUp && fromCensus[e.serviceGroup] != nil {
                warnings.append("\(hs.host): \(e.serviceGroup) is in the census but desired Down in /services; left out")
            }
            for g in local.keys.sorted() where census != nil && fromCensus[g] == nil {
                warnings.append("\(hs.host): \(g) runs per /services but is not in the census; counted")
            }
            for g in fromCensus.keys.sorted() where local[g] == nil && !hs.services.contains(where: { $0.serviceGroup == g }) {
                warnings.append("\(hs.host): \(g) is in the census but not loaded per /services; left out")
            }
            counts[hs.host] = local
        }
        var placements = [(host: String, service: String, count: Int)]()
        for host in counts.keys.sorted() {
            for (group, c) in counts[host]!.sorted(by: { $0.key < $1.key }) where c > 0 {
                placements.append((host, group, c))
            }
        }
        return Result(placements: placements, warnings: warnings)
    }

    /// The whole import: parse, merge, render as `[[placement]]` TOML with a header comment.
    public func placementTOML(census: (data: Data, file: String)?, services: [(data: Data, file: String)]) throws(InventoryError)
        -> (toml: String, result: Result)
    {
        let c = try census.map { x throws(InventoryError) in try parseCensus(x.data, file: x.file) }
        var hs = [HostServices]()
        for s in services { hs.append(try parseServices(s.data, file: s.file)) }
        let result = merge(census: c, services: hs)
        let sources = ([census?.file].compactMap { $0 } + services.map(\.file)).joined(separator: ", ")
        let total = result.placements.reduce(0) { $0 + $1.count }
        let hosts = Set(result.placements.map(\.host)).count
        var comment = "Current placement imported from Habitat (\(sources)):\n\(total) instances on \(hosts) hosts."
        if !result.warnings.isEmpty { comment += "\n" + result.warnings.joined(separator: "\n") }
        return (InventoryWriter().placementFragment(result.placements, comment: comment), result)
    }

    // MARK: Helpers

    private func hostName(_ sys: JSONTree, at path: String, file: String) throws(InventoryError) -> String {
        guard case .object(let s) = sys else { throw JSONTree.expected("an object", at: path, file: file) }
        var name: String?
        if let h = s["hostname"], h != .null { name = try h.string(at: path + ".hostname", file: file) }
        if name?.isEmpty ?? true, let ip = s["ip"], ip != .null { name = try ip.string(at: path + ".ip", file: file) }
        guard var host = name, !host.isEmpty else {
            throw InventoryError(file: file, key: path + ".hostname", message: "missing: expected the member's hostname (or sys.ip)")
        }
        if shortHostnames, let dot = host.firstIndex(of: "."), !host.allSatisfy({ $0.isNumber || $0 == "." }) {
            host = String(host[..<dot])
        }
        return host
    }

    private func packageIdent(_ pkg: JSONTree, at path: String, file: String) throws(InventoryError) -> String? {
        guard case .object(let p) = pkg else { throw JSONTree.expected("an object", at: path, file: file) }
        if let ident = p["ident"], case .string(let s) = ident { return s }
        var parts = [String]()
        for key in ["origin", "name", "version", "release"] {
            guard let v = p[key], v != .null else { break }
            parts.append(try v.string(at: "\(path).\(key)", file: file))
        }
        return parts.count >= 2 ? parts.joined(separator: "/") : nil
    }
}

/// A parsed JSON value with exact types (a number is never a boolean).
enum JSONTree: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONTree])
    case object([String: JSONTree])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONTree].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONTree].self))
        }
    }

    static func parse(_ data: Data, file: String) throws(InventoryError) -> JSONTree {
        do {
            return try JSONDecoder().decode(JSONTree.self, from: data)
        } catch {
            var detail = "not valid JSON"
            if case DecodingError.dataCorrupted(let ctx) = error {
                let inner = (ctx.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
                detail += inner.map { ": \($0)" } ?? ""
            }
            throw InventoryError(file: file, key: "", message: detail)
        }
    }

    static func expected(_ what: String, at path: String, file: String) -> InventoryError {
        InventoryError(file: file, key: path, message: "expected \(what)")
    }

    static func require(_ obj: [String: JSONTree], _ key: String, at path: String, file: String) throws(InventoryError) -> JSONTree {
        guard let v = obj[key] else {
            throw InventoryError(file: file, key: path.isEmpty ? key : "\(path).\(key)", message: "missing")
        }
        return v
    }

    func object(at key: String, file: String) throws(InventoryError) -> [String: JSONTree] {
        guard case .object(let root) = self else { throw JSONTree.expected("a JSON object", at: "", file: file) }
        guard let v = root[key] else { throw InventoryError(file: file, key: key, message: "missing: is this a /census document?") }
        guard case .object(let o) = v else { throw JSONTree.expected("an object", at: key, file: file) }
        return o
    }

    func string(at path: String, file: String) throws(InventoryError) -> String {
        guard case .string(let s) = self else { throw JSONTree.expected("a string, found \(kind)", at: path, file: file) }
        return s
    }

    func bool(at path: String, file: String) throws(InventoryError) -> Bool {
        guard case .bool(let b) = self else { throw JSONTree.expected("true or false, found \(kind)", at: path, file: file) }
        return b
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
