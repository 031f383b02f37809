import ApiaryCore

/// Merged inventory documents → a validated `Problem`, collecting every error on the way.
struct ProblemBuilder {
    var diagnostics: Diagnostics
    private(set) var hasPlacement = false

    init(diagnostics: Diagnostics) { self.diagnostics = diagnostics }

    /// One element of an array of tables, with its display key (`host[3]`, `service.web.prod`).
    private struct Element {
        var node: Node
        var key: String
        var entries: [Node.Entry]
    }

    static let largestInteger: Int64 = 10_000_000
    static let topLevelKeys = ["policy", "carbon", "host", "package", "service", "placement"]
    static let policyKeys = ["headroom", "objective", "max_moves", "supervisor", "max_unavailable"]
    static let carbonKeys = ["grid_intensity", "pue", "horizon_days", "power_curve", "fan_r", "off_watts", "zones"]
    static let hostKeys = [
        "name", "zone", "capacity", "labels", "power", "embodied_kgco2e", "lifetime_years", "state",
    ]
    static let powerKeys = ["idle_watts", "max_watts"]
    static let packageKeys = ["ident", "requests"]
    static let serviceKeys = [
        "name", "package", "count", "spread", "max_unavailable", "selector", "exclusive", "requests",
    ]
    static let placementKeys = ["host", "service", "count"]

    /// Dimensions always measured in bytes, whatever units their values use.
    static let byteDimensionNames: Set<String> = ["memory", "disk", "storage"]
    /// Dimensions always counted (in milli-units), so `cpu = "8GiB"` is an error, not bytes.
    static let countDimensionNames: Set<String> = ["cpu"]

    // MARK: - Merge

    mutating func build(documents: [Node]) -> Problem? {
        var policy = [Node.Entry]()
        var carbon = [Node.Entry]()
        var arrays: [String: [Element]] = [:]
        for document in documents {
            guard let entries = document.table else { continue }
            for entry in entries {
                let node = entry.node
                switch entry.key {
                case "policy", "carbon":
                    guard let table = node.table else {
                        diagnostics.add(node, entry.key, "expected a table ([\(entry.key)]), got \(node.typeName)")
                        continue
                    }
                    if entry.key == "policy" {
                        merge(table, into: &policy, key: "policy")
                    } else {
                        merge(table, into: &carbon, key: "carbon")
                    }
                case "host", "package", "service", "placement":
                    guard case .array(let elements) = node.value else {
                        diagnostics.add(
                            node, entry.key, "expected an array of tables ([[\(entry.key)]]), got \(node.typeName)")
                        continue
                    }
                    for (i, element) in elements.enumerated() {
                        let key = "\(entry.key)[\(i)]"
                        guard let table = element.table else {
                            diagnostics.add(element, key, "expected a table, got \(element.typeName)")
                            continue
                        }
                        arrays[entry.key, default: []].append(Element(node: element, key: key, entries: table))
                    }
                default:
                    diagnostics.add(node, entry.key, unknownKey(entry.key, in: "the top level", allowed: Self.topLevelKeys))
                }
            }
        }

        let (dimensions, hosts) = buildHosts(arrays["host"] ?? [])
        let headroom = buildPolicyHeadroom(policy, dimensions: dimensions)
        let policyValue = buildPolicy(policy, headroom: headroom)
        let carbonValue = buildCarbon(carbon)
        let profiles = buildPackages(arrays["package"] ?? [], dimensions: dimensions)
        let services = buildServices(arrays["service"] ?? [], dimensions: dimensions, profiles: profiles)
        let current = buildPlacement(arrays["placement"] ?? [], hosts: hosts, services: services)

        guard diagnostics.errors.isEmpty else { return nil }
        return Problem(
            dimensions: dimensions, hosts: hosts, services: services, policy: policyValue, carbon: carbonValue,
            current: current)
    }

    /// Merges the keys of a table split over files; a key set twice is an error unless both
    /// values are tables (which merge in turn).
    private mutating func merge(_ more: [Node.Entry], into entries: inout [Node.Entry], key: String) {
        for entry in more {
            guard let j = entries.firstIndex(where: { $0.key == entry.key }) else {
                entries.append(entry)
                continue
            }
            let path = key + "." + entry.key
            if case .table(var existing) = entries[j].node.value, let added = entry.node.table {
                merge(added, into: &existing, key: path)
                entries[j].node.value = .table(existing)
            } else {
                diagnostics.add(
                    entry.node, path, "set more than once (first at \(diagnostics.location(entries[j].node)))")
            }
        }
    }

    // MARK: - Value helpers

    private func unknownKey(_ key: String, in context: String, allowed: [String]) -> String {
        var message = "unknown key \(quoted(key)) in \(context)"
        let close = allowed.map { (key: $0, distance: editDistance($0, key)) }
            .filter { $0.distance <= max(1, min(2, key.count / 3)) }
            .min { $0.distance < $1.distance }
        if let close { message += " (did you mean \(quoted(close.key))?)" }
        return message + "; allowed keys: \(allowed.joined(separator: ", "))"
    }

    /// Levenshtein distance, for "did you mean" hints on short keys.
    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var row = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = row
        }
        return previous[b.count]
    }

    /// Reports every key of `entries` not in `allowed`.
    private mutating func checkKeys(_ entries: [Node.Entry], allowed: [String], key: String, context: String) {
        for entry in entries where !allowed.contains(entry.key) {
            diagnostics.add(entry.node, key + "." + entry.key, unknownKey(entry.key, in: context, allowed: allowed))
        }
    }

    private func value(_ entries: [Node.Entry], _ key: String) -> Node? {
        entries.first { $0.key == key }?.node
    }

    private mutating func string(_ node: Node, _ key: String, nonEmpty: Bool = true) -> String? {
        guard case .string(let s) = node.value else {
            diagnostics.add(node, key, "expected a string, got \(node.shown)")
            return nil
        }
        if nonEmpty && s.trimmingWhitespace().isEmpty {
            diagnostics.add(node, key, "expected a non-empty string")
            return nil
        }
        return s
    }

    /// A string from a fixed set of choices.
    private mutating func choice(_ node: Node, _ key: String, _ choices: [String]) -> String? {
        let list = choices.map { quoted($0) }.joined(separator: " | ")
        guard case .string(let s) = node.value, choices.contains(s) else {
            diagnostics.add(node, key, "expected one of \(list), got \(node.shown)")
            return nil
        }
        return s
    }

    /// An integer; a float with an integral value (`count = 3.0`, JSON `2.0`) counts as one.
    private mutating func integer(_ node: Node, _ key: String, atLeast minimum: Int64) -> Int? {
        let i: Int64
        let text: String
        switch node.value {
        case .int(let v):
            i = v
            text = String(v)
        case .double(let d) where d.isFinite && d == d.rounded():
            guard abs(d) <= Double(Self.largestInteger) else {
                diagnostics.add(node, key, "expected an integer from \(minimum) to \(Self.largestInteger), got \(d)")
                return nil
            }
            i = Int64(d)
            text = String(d)
        case .double(let d):
            let shown = d.isFinite ? "\(d), not a whole number" : "a number too large"
            diagnostics.add(node, key, "expected an integer ≥ \(minimum), got \(shown)")
            return nil
        default:
            diagnostics.add(node, key, "expected an integer ≥ \(minimum), got \(node.shown)")
            return nil
        }
        guard i >= minimum else {
            diagnostics.add(node, key, "expected an integer ≥ \(minimum), got \(text)")
            return nil
        }
        // Counts become arrays of instances: keep them to what a fleet can hold.
        guard i <= Self.largestInteger else {
            diagnostics.add(node, key, "expected an integer ≤ \(Self.largestInteger), got \(text)")
            return nil
        }
        return Int(i)
    }

    private mutating func bool(_ node: Node, _ key: String) -> Bool? {
        guard case .bool(let b) = node.value else {
            diagnostics.add(node, key, "expected true or false, got \(node.shown)")
            return nil
        }
        return b
    }

    /// A finite number satisfying `valid`, whose description (`"≥ 0"`) goes into the message.
    private mutating func number(
        _ node: Node, _ key: String, _ requirement: String, _ valid: (Double) -> Bool
    ) -> Double? {
        let d: Double
        switch node.value {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default:
            diagnostics.add(node, key, "expected a number \(requirement), got \(node.shown)")
            return nil
        }
        guard d.isFinite, valid(d) else {
            diagnostics.add(node, key, "expected a number \(requirement), got \(node.shown)")
            return nil
        }
        return d
    }

    private mutating func table(_ node: Node, _ key: String, _ what: String) -> [Node.Entry]? {
        guard let entries = node.table else {
            diagnostics.add(node, key, "expected \(what), got \(node.shown)")
            return nil
        }
        return entries
    }

    /// A table of string → string (labels, selector).
    private mutating func stringMap(_ node: Node, _ key: String) -> [String: String]? {
        guard let entries = table(node, key, "a table of strings such as { arch = \"x86_64\" }") else { return nil }
        var out = [String: String]()
        var ok = true
        for entry in entries {
            guard case .string(let s) = entry.node.value else {
                diagnostics.add(entry.node, key + "." + entry.key, "expected a string, got \(entry.node.shown)")
                ok = false
                continue
            }
            out[entry.key] = s
        }
        return ok ? out : nil
    }

    private mutating func required(_ entries: [Node.Entry], _ name: String, of element: Element, _ what: String)
        -> Node?
    {
        if let node = value(entries, name) { return node }
        diagnostics.add(element.node, element.key + "." + name, "missing required key \(quoted(name)) (\(what))")
        return nil
    }

    // MARK: - Quantities

    private static func expectation(dimension: String, kind: DimensionKind?) -> String {
        switch kind {
        case .bytes: "a byte size such as \"64GiB\" or an integer number of bytes"
        case .count where dimension == "cpu": "a number of cores such as 2, 0.5 or \"500m\""
        case .count: "a non-negative number such as 2, 0.5 or \"500m\""
        case nil: "a quantity such as 2, 0.5, \"500m\" or \"64GiB\""
        }
    }

    /// Parses a quantity; `kind` (when known) picks the message.
    private mutating func quantity(_ node: Node, _ key: String, dimension: String, kind: DimensionKind?) -> Quantity? {
        switch Quantity.parse(node) {
        case .success(let q):
            return q
        case .failure(let failure):
            let expected = Self.expectation(dimension: dimension, kind: kind)
            switch failure {
            case .negative: diagnostics.add(node, key, "expected \(expected), got a negative value \(node.shown)")
            case .notFinite: diagnostics.add(node, key, "expected \(expected), got \(node.shown)")
            case .notAQuantity: diagnostics.add(node, key, "expected \(expected), got \(node.shown)")
            }
            return nil
        }
    }

    private mutating func raw(_ q: Quantity, _ node: Node, _ key: String, dimension: Dimension) -> Int64? {
        if let r = q.raw(for: dimension.kind) { return r }
        let expected = Self.expectation(dimension: dimension.name, kind: dimension.kind)
        let why: String
        switch (q, dimension.kind) {
        case (.bytes, .count): why = " (\(quoted(dimension.name)) is counted, not measured in bytes)"
        case (.milli, .bytes): why = " (\(quoted(dimension.name)) is measured in bytes)"
        default: why = ""
        }
        diagnostics.add(node, key, "expected \(expected), got \(node.shown)\(why)")
        return nil
    }

    /// A request table (`requests = { cpu = 2, memory = "6GiB" }`) over known dimensions;
    /// returns the dimensions set and their raw amounts.
    private mutating func requests(_ node: Node, _ key: String, dimensions: [Dimension]) -> [Int: Int64]? {
        guard let entries = table(node, key, "a table of quantities such as { cpu = 2, memory = \"6GiB\" }") else {
            return nil
        }
        var out = [Int: Int64]()
        var ok = true
        for entry in entries {
            let k = key + "." + entry.key
            guard let d = dimensions.firstIndex(where: { $0.name == entry.key }) else {
                let known = dimensions.map(\.name).joined(separator: ", ")
                diagnostics.add(
                    entry.node, k,
                    "no host has a \(quoted(entry.key)) capacity, so nothing can be requested in it "
                        + "(dimensions: \(known.isEmpty ? "none" : known))")
                ok = false
                continue
            }
            guard let q = quantity(entry.node, k, dimension: entry.key, kind: dimensions[d].kind),
                let r = raw(q, entry.node, k, dimension: dimensions[d])
            else {
                ok = false
                continue
            }
            out[d] = r
        }
        return ok ? out : nil
    }

    // MARK: - Hosts

    private mutating func buildHosts(_ elements: [Element]) -> ([Dimension], [Host]) {
        struct Draft {
            var host: Host
            var capacity: [(name: String, quantity: Quantity, node: Node, key: String)]
        }
        var drafts = [Draft]()
        var firstByName = [String: Node]()
        var dimensionNames = [String]()
        var byteDimensions = Self.byteDimensionNames
        for element in elements {
            let e = element.entries
            checkKeys(e, allowed: Self.hostKeys, key: element.key, context: "[[host]]")
            var host = Host(name: "", capacity: Resources([]))
            var draft = Draft(host: host, capacity: [])
            if let n = required(e, "name", of: element, "a unique host name"),
                let name = string(n, element.key + ".name")
            {
                if let first = firstByName[name] {
                    diagnostics.add(
                        n, element.key + ".name",
                        "duplicate host name \(quoted(name)) (first defined at \(diagnostics.location(first)))")
                } else {
                    firstByName[name] = n
                }
                host.name = name
            }
            if let z = value(e, "zone") { host.zone = string(z, element.key + ".zone") }
            if let l = value(e, "labels") { host.labels = stringMap(l, element.key + ".labels") ?? [:] }
            if let s = value(e, "state"),
                let state = choice(s, element.key + ".state", HostState.allCases.map(\.rawValue))
            {
                host.state = HostState(rawValue: state) ?? .active
            }
            if let c = required(e, "capacity", of: element, "a table such as { cpu = 32, memory = \"128GiB\" }"),
                let entries = table(c, element.key + ".capacity", "a table such as { cpu = 32, memory = \"128GiB\" }")
            {
                for entry in entries {
                    let k = element.key + ".capacity." + entry.key
                    let known: DimensionKind? = Self.byteDimensionNames.contains(entry.key) ? .bytes : nil
                    // Named even when its value is bad, so later checks see every dimension.
                    if !dimensionNames.contains(entry.key) { dimensionNames.append(entry.key) }
                    guard let q = quantity(entry.node, k, dimension: entry.key, kind: Self.countDimensionNames.contains(entry.key) ? .count : known)
                    else { continue }
                    if q.hasByteUnit && !Self.countDimensionNames.contains(entry.key) { byteDimensions.insert(entry.key) }
                    draft.capacity.append((entry.key, q, entry.node, k))
                }
            }
            if let p = value(e, "power"),
                let entries = table(p, element.key + ".power", "a table such as { idle_watts = 110, max_watts = 420 }")
            {
                checkKeys(entries, allowed: Self.powerKeys, key: element.key + ".power", context: "a host's power")
                var idle = CarbonSettings.defaultIdleWatts
                var maxWatts = CarbonSettings.defaultMaxWatts
                var ok = true
                if let n = value(entries, "idle_watts") {
                    if let v = number(n, element.key + ".power.idle_watts", "≥ 0", { $0 >= 0 }) { idle = v } else { ok = false }
                }
                if let n = value(entries, "max_watts") {
                    if let v = number(n, element.key + ".power.max_watts", "≥ 0", { $0 >= 0 }) {
                        maxWatts = v
                    } else {
                        ok = false
                    }
                }
                if ok && idle > maxWatts {
                    diagnostics.add(
                        value(entries, "idle_watts") ?? p, element.key + ".power.idle_watts",
                        "expected idle_watts ≤ max_watts, got idle_watts = \(formatNumber(idle)) and max_watts = "
                            + "\(formatNumber(maxWatts))\(value(entries, "max_watts") == nil ? " (the default)" : "")")
                }
                host.power = PowerProfile(idleWatts: idle, maxWatts: maxWatts)
            }
            if let n = value(e, "embodied_kgco2e") {
                host.embodiedKgCO2e = number(n, element.key + ".embodied_kgco2e", "≥ 0", { $0 >= 0 })
            }
            if let n = value(e, "lifetime_years") {
                host.lifetimeYears = number(n, element.key + ".lifetime_years", "> 0", { $0 > 0 })
            }
            draft.host = host
            drafts.append(draft)
        }

        let preferred = ["cpu", "memory", "disk"]
        let ordered =
            preferred.filter { dimensionNames.contains($0) }
            + dimensionNames.filter { !preferred.contains($0) }.sorted()
        let dimensions = ordered.map { Dimension(name: $0, kind: byteDimensions.contains($0) ? .bytes : .count) }
        let hosts = drafts.map { draft -> Host in
            var host = draft.host
            var capacity = Resources(zeros: dimensions.count)
            for c in draft.capacity {
                guard let d = ordered.firstIndex(of: c.name) else { continue }
                if let r = raw(c.quantity, c.node, c.key, dimension: dimensions[d]) { capacity[d] = r }
            }
            host.capacity = capacity
            return host
        }
        return (dimensions, hosts)
    }

    // MARK: - Policy and carbon

    private mutating func buildPolicyHeadroom(_ entries: [Node.Entry], dimensions: [Dimension]) -> [Double] {
        var headroom = Array(repeating: 1.0, count: dimensions.count)
        guard let node = value(entries, "headroom") else { return headroom }
        let requirement = "in (0, 1]"
        let valid: (Double) -> Bool = { $0 > 0 && $0 <= 1 }
        if let table = node.table {
            for entry in table {
                let k = "policy.headroom." + entry.key
                guard let d = dimensions.firstIndex(where: { $0.name == entry.key }) else {
                    let known = dimensions.map(\.name).joined(separator: ", ")
                    diagnostics.add(
                        entry.node, k,
                        "unknown dimension \(quoted(entry.key)); expected one of the hosts' capacity keys "
                            + "(\(known.isEmpty ? "none" : known))")
                    continue
                }
                if let v = number(entry.node, k, requirement, valid) { headroom[d] = v }
            }
        } else {
            switch node.value {
            case .int, .double:
                if let v = number(node, "policy.headroom", requirement, valid) {
                    headroom = Array(repeating: v, count: dimensions.count)
                }
            default:
                diagnostics.add(
                    node, "policy.headroom",
                    "expected a number in (0, 1] or a table such as { cpu = 0.85, memory = 0.9 }, got \(node.shown)")
            }
        }
        return headroom
    }

    private mutating func buildPolicy(_ entries: [Node.Entry], headroom: [Double]) -> Policy {
        checkKeys(entries, allowed: Self.policyKeys, key: "policy", context: "[policy]")
        var policy = Policy(headroom: headroom)
        if let n = value(entries, "objective"), let s = choice(n, "policy.objective", ["hosts", "energy"]) {
            policy.objective = Objective(rawValue: s) ?? .hosts
        }
        if let n = value(entries, "supervisor"), let s = choice(n, "policy.supervisor", ["habitat", "systemd"]) {
            policy.supervisor = Supervisor(rawValue: s) ?? .habitat
        }
        if let n = value(entries, "max_moves") { policy.maxMoves = integer(n, "policy.max_moves", atLeast: 0) }
        if let n = value(entries, "max_unavailable"), let v = integer(n, "policy.max_unavailable", atLeast: 1) {
            policy.maxUnavailable = v
        }
        return policy
    }

    private mutating func buildCarbon(_ entries: [Node.Entry]) -> CarbonSettings {
        checkKeys(entries, allowed: Self.carbonKeys, key: "carbon", context: "[carbon]")
        var carbon = CarbonSettings()
        var explicit = Set<String>()
        func note(_ key: String) { explicit.insert(key) }
        if let n = value(entries, "grid_intensity"),
            let v = number(n, "carbon.grid_intensity", "≥ 0 (gCO2e per kWh)", { $0 >= 0 })
        {
            carbon.gridIntensity = v
            note("grid_intensity")
        }
        if let n = value(entries, "pue"), let v = number(n, "carbon.pue", "≥ 1.0", { $0 >= 1 }) {
            carbon.pue = v
            note("pue")
        }
        if let n = value(entries, "horizon_days"), let v = number(n, "carbon.horizon_days", "> 0", { $0 > 0 }) {
            carbon.horizonDays = v
            note("horizon_days")
        }
        if let n = value(entries, "power_curve"), let s = choice(n, "carbon.power_curve", ["linear", "fan"]) {
            carbon.powerCurve = CarbonSettings.PowerCurve(rawValue: s) ?? .linear
            note("power_curve")
        }
        if let n = value(entries, "fan_r"), let v = number(n, "carbon.fan_r", "> 1", { $0 > 1 }) {
            carbon.fanR = v
            note("fan_r")
        }
        if let n = value(entries, "off_watts"), let v = number(n, "carbon.off_watts", "≥ 0", { $0 >= 0 }) {
            carbon.offWatts = v
            note("off_watts")
        }
        if let n = value(entries, "zones"),
            let table = table(n, "carbon.zones", "a table of zone → gCO2e per kWh such as { \"berlin-a\" = 380 }")
        {
            var zones = [String: Double]()
            for entry in table {
                if let v = number(entry.node, "carbon.zones." + entry.key, "≥ 0 (gCO2e per kWh)", { $0 >= 0 }) {
                    zones[entry.key] = v
                }
            }
            carbon.zones = zones
            note("zones")
        }
        carbon.explicitKeys = explicit
        return carbon
    }

    // MARK: - Packages

    struct Profile {
        var ident: PackageIdent
        var requests: [Int: Int64]
    }

    /// Ident texts of `[[package]]` profiles that had errors: a service they would cover gets
    /// no second, cascading "no profile matches" error.
    private var brokenProfiles = [String]()

    private mutating func buildPackages(_ elements: [Element], dimensions: [Dimension]) -> [Profile] {
        var profiles = [Profile]()
        var firstByIdent = [PackageIdent: Node]()
        for element in elements {
            let e = element.entries
            checkKeys(e, allowed: Self.packageKeys, key: element.key, context: "[[package]]")
            guard let n = required(e, "ident", of: element, "origin/name[/version[/release]]") else { continue }
            let k = element.key + ".ident"
            guard let text = string(n, k) else { continue }
            guard let ident = PackageIdent(parsing: text) else {
                brokenProfiles.append(text)
                diagnostics.add(
                    n, k, "expected a Habitat package ident origin/name[/version[/release]] such as "
                        + "\"core/redis\" or \"smartbee/analytics/2.3.1\", got \(quoted(text))")
                continue
            }
            if let first = firstByIdent[ident] {
                diagnostics.add(
                    n, k, "duplicate package profile \(quoted(text)) (first defined at \(diagnostics.location(first)))")
                continue
            }
            firstByIdent[ident] = n
            var reqs = [Int: Int64]()
            if let r = required(e, "requests", of: element, "a table such as { cpu = 2, memory = \"6GiB\" }") {
                guard let parsed = requests(r, element.key + ".requests", dimensions: dimensions) else {
                    brokenProfiles.append(text)
                    continue
                }
                reqs = parsed
            } else {
                brokenProfiles.append(text)
                continue
            }
            profiles.append(Profile(ident: ident, requests: reqs))
        }
        return profiles
    }

    // MARK: - Services

    private mutating func buildServices(_ elements: [Element], dimensions: [Dimension], profiles: [Profile])
        -> [Service]
    {
        var services = [Service]()
        var firstByName = [String: Node]()
        // Profiles by origin/name, in inventory order: matching looks at one bucket, not all.
        var profilesByName = [String: [Profile]]()
        for profile in profiles { profilesByName[profile.ident.origin + "/" + profile.ident.name, default: []].append(profile) }
        for var element in elements {
            let e = element.entries
            // Services are named by their `name` in key paths, as operators know them.
            var name: String?
            if let n = value(e, "name"), case .string(let s) = n.value, !s.trimmingWhitespace().isEmpty {
                name = s
                element.key = "service." + s
            }
            checkKeys(e, allowed: Self.serviceKeys, key: element.key, context: "[[service]]")
            if let n = required(e, "name", of: element, "a unique service.group name"), name == nil {
                _ = string(n, element.key + ".name")
            }
            if let name, let n = value(e, "name") {
                if let first = firstByName[name] {
                    diagnostics.add(
                        n, element.key + ".name",
                        "duplicate service name \(quoted(name)) (first defined at \(diagnostics.location(first)))")
                } else {
                    firstByName[name] = n
                }
            }
            var package: PackageIdent?
            let packageNode = required(e, "package", of: element, "a Habitat package ident such as \"core/redis\"")
            if let n = packageNode, let text = string(n, element.key + ".package") {
                package = PackageIdent(parsing: text)
                if package == nil {
                    diagnostics.add(
                        n, element.key + ".package",
                        "expected a Habitat package ident origin/name[/version[/release]] such as "
                            + "\"core/redis\" or \"smartbee/analytics/2.3.1\", got \(quoted(text))")
                }
            }
            var count = 1
            if let n = value(e, "count") { count = integer(n, element.key + ".count", atLeast: 0) ?? 0 }
            var spread = Spread.host
            if let n = value(e, "spread"), let s = string(n, element.key + ".spread") { spread = Spread(parsing: s) }
            var maxUnavailable: Int?
            if let n = value(e, "max_unavailable") {
                maxUnavailable = integer(n, element.key + ".max_unavailable", atLeast: 1)
            }
            var selector = [String: String]()
            if let n = value(e, "selector") { selector = stringMap(n, element.key + ".selector") ?? [:] }
            var exclusive = false
            if let n = value(e, "exclusive") { exclusive = bool(n, element.key + ".exclusive") ?? false }
            var overrides: [Int: Int64]? = [:]
            if let n = value(e, "requests") { overrides = requests(n, element.key + ".requests", dimensions: dimensions) }

            var resources = Resources(zeros: dimensions.count)
            if let package, let overrides {
                let profile = (profilesByName[package.origin + "/" + package.name] ?? [])
                    .filter { $0.ident.matches(package) }.max { $0.ident.specificity < $1.ident.specificity }
                if let profile {
                    for (d, r) in profile.requests { resources[d] = r }
                } else if overrides.count < dimensions.count,
                    !brokenProfiles.contains(where: { $0.hasPrefix(package.origin + "/" + package.name) })
                {
                    let missing = dimensions.indices.filter { overrides[$0] == nil }.map { dimensions[$0].name }
                    diagnostics.add(
                        packageNode!, element.key + ".package",
                        "no [[package]] profile matches \(quoted(package.description)) (expected a profile such as "
                            + "ident = \(quoted(package.origin + "/" + package.name))), and requests does not set "
                            + "every dimension (missing: \(missing.joined(separator: ", ")))")
                }
                for (d, r) in overrides { resources[d] = r }
            }
            services.append(
                Service(
                    name: name ?? "", package: package ?? PackageIdent(origin: "", name: ""), count: count,
                    spread: spread, maxUnavailable: maxUnavailable, selector: selector, exclusive: exclusive,
                    requests: resources))
        }
        return services
    }

    // MARK: - Current placement

    private mutating func buildPlacement(_ elements: [Element], hosts: [Host], services: [Service]) -> [Int?]? {
        guard !elements.isEmpty else { return nil }
        hasPlacement = true
        var hostIndex = [String: Int]()
        for (i, h) in hosts.enumerated() where hostIndex[h.name] == nil { hostIndex[h.name] = i }
        var serviceIndex = [String: Int]()
        for (i, s) in services.enumerated() where serviceIndex[s.name] == nil { serviceIndex[s.name] = i }
        var offsets = [Int]()
        var total = 0
        for s in services {
            offsets.append(total)
            total += s.count
        }
        var current = [Int?](repeating: nil, count: total)
        var placed = [Int](repeating: 0, count: services.count)
        for element in elements {
            let e = element.entries
            checkKeys(e, allowed: Self.placementKeys, key: element.key, context: "[[placement]]")
            var host: Int?
            var service: Int?
            if let n = required(e, "host", of: element, "the name of a [[host]]"),
                let name = string(n, element.key + ".host")
            {
                host = hostIndex[name]
                if host == nil {
                    diagnostics.add(n, element.key + ".host", "unknown host \(quoted(name)); no [[host]] has this name")
                }
            }
            if let n = required(e, "service", of: element, "the name of a [[service]]"),
                let name = string(n, element.key + ".service")
            {
                service = serviceIndex[name]
                if service == nil {
                    diagnostics.add(
                        n, element.key + ".service", "unknown service \(quoted(name)); no [[service]] has this name")
                }
            }
            var count = 1
            if let n = value(e, "count") {
                guard let c = integer(n, element.key + ".count", atLeast: 0) else { continue }
                count = c
            }
            guard let host, let service else { continue }
            let svc = services[service]
            if placed[service] + count > svc.count {
                diagnostics.add(
                    value(e, "count") ?? element.node, element.key + ".count",
                    "placements of service \(quoted(svc.name)) add up to \(placed[service] + count) instances, "
                        + "more than its count \(svc.count)")
                placed[service] = svc.count
                continue
            }
            for k in 0..<count { current[offsets[service] + placed[service] + k] = host }
            placed[service] += count
        }
        return current
    }
}
