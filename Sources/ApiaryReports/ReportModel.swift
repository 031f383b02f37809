import ApiaryCore

/// Everything a utilization report shows, computed once from the problem and the plan and then
/// rendered by every format from the same tables, so the formats cannot disagree.
///
/// Figures the plan document carries about the whole fleet (summary, the whole `carbon` object)
/// are taken from it verbatim; per-host rows come from its assignments (what the verifier
/// checks), never from its `hosts` list; the rest (utilization before, stranded capacity,
/// per-host power) are computed from the inventory with the same model the planner uses.
public struct UtilizationReport: Sendable {
    public struct DimensionInfo: Sendable, Equatable {
        public var name: String
        public var kind: DimensionKind
        public var headroom: Double
        /// Display unit of amounts: "cores" (cpu), "units" (other counts), "GiB" (bytes).
        public var unit: String
    }

    /// Free capacity no instance can use, per dimension, over the hosts on at one moment.
    public struct Stranded: Sendable, Equatable {
        /// Usable capacity (capacity × headroom) of the hosts on, display units.
        public var usable: Double
        /// Requested by the instances placed there.
        public var used: Double
        /// Free usable capacity that cannot be used: another dimension of its host is full (≥ 95 %
        /// of usable requested), or no instance of any service fits on the host any more.
        public var stranded: Double
        /// The rest of the free usable capacity.
        public var free: Double
        /// Capacity held back by headroom (capacity - usable).
        public var reserve: Double
        /// Raw capacity of the hosts on.
        public var capacity: Double

        public var strandedFraction: Double { capacity > 0 ? stranded / capacity : 0 }
    }

    public struct HostRow: Sendable, Equatable {
        public var name: String
        public var zone: String
        public var state: String
        public var action: String
        public var instancesBefore: Int
        public var instancesAfter: Int
        /// Requested / raw capacity, one entry per dimension.
        public var utilizationBefore: [Double]
        public var utilizationAfter: [Double]
        public var onBefore: Bool
        public var onAfter: Bool
        public var wattsBefore: Double
        public var wattsAfter: Double
        public var kgCO2eBefore: Double
        public var kgCO2eAfter: Double
        /// After the plan: the fullest dimension of a host with stranded capacity (nil when none, or off).
        public var strandedBy: String?
    }

    public var title: String
    /// Shown only when the caller passes one: reports are otherwise byte-identical per input.
    public var generatedAt: String?
    public var inventory: PlanDocument.InventoryRef?
    public var dimensions: [DimensionInfo]
    public var summary: PlanDocument.Summary
    /// Hosts on before the plan (current placement, or every active host without one).
    public var hostsBefore: Int
    /// True when the inventory has a current placement.
    public var hasCurrentPlacement: Bool
    /// Requested / raw capacity over the hosts on before, per dimension.
    public var utilizationBefore: [Double]
    /// The plan's own figure (`summary.utilization`), per dimension.
    public var utilizationAfter: [Double]
    public var strandedBefore: [Stranded]
    public var strandedAfter: [Stranded]
    public var hosts: [HostRow]
    /// Per host and dimension: the host has capacity there.
    public var hasCapacity: [[Bool]]
    public var carbon: PlanDocument.Carbon
    public var zones: [PlanDocument.Carbon.ZoneEntry]
    public var curves: [String: PlanDocument.Carbon.CurveEntry]
    public var powerCurve: String
    public var unplaced: [PlanDocument.Unplaced]
    /// Things the reader should know (e.g. the plan's carbon figures differ from the inventory's).
    public var warnings: [String]

    /// Builds the report of `document` (a plan of `problem`, whose names resolve to `assignment`).
    ///
    /// - Parameters:
    ///   - assignment: host index per instance (-1 unplaced), e.g. from ``PlanReader/assignment(of:for:)``.
    ///   - generatedAt: a timestamp to print, or `nil` for a deterministic report.
    public init(
        problem: Problem, document: PlanDocument, assignment: [Int], title: String = "Apiary utilization report",
        generatedAt: String? = nil
    ) {
        let model = CarbonModel(problem: problem)
        let estimate = model.estimate(after: assignment)
        self.title = title
        self.generatedAt = generatedAt
        self.inventory = document.inventory
        self.summary = document.summary
        self.hasCurrentPlacement = problem.current != nil
        self.powerCurve = problem.carbon.powerCurve.rawValue
        self.unplaced = document.unplaced.sorted { ($0.service, $0.instance) < ($1.service, $1.instance) }
        self.dimensions = problem.dimensions.enumerated().map { d, dim in
            DimensionInfo(
                name: dim.name, kind: dim.kind, headroom: problem.policy.headroom[d],
                unit: dim.kind == .bytes ? "GiB" : (dim.name == "cpu" ? "cores" : "units"))
        }

        let loads = ReportLoads(problem: problem)
        let after = loads.used(by: assignment)
        let before: [Resources]
        if let current = model.currentAssignment {
            before = loads.used(by: current)
        } else {
            // No current placement: the carbon model's baseline, every active host carrying an
            // even share of the plan's load (per dimension, in proportion to capacity).
            before = loads.evenShare(of: after)
        }
        let onBefore = estimate.hosts.map(\.onBefore)
        let onAfter = estimate.hosts.map(\.onAfter)
        self.hostsBefore = onBefore.filter { $0 }.count
        self.utilizationBefore = loads.utilization(before, on: onBefore)
        let computedAfter = loads.utilization(after, on: onAfter)
        self.utilizationAfter = problem.dimensions.enumerated().map { d, dim in
            document.summary.utilization[dim.name] ?? computedAfter[d]
        }
        self.strandedBefore = loads.stranded(before, on: onBefore)
        self.strandedAfter = loads.stranded(after, on: onAfter)

        self.hasCapacity = problem.hosts.map { h in h.capacity.values.map { $0 > 0 } }
        let countsBefore = loads.instanceCounts(model.currentAssignment)
        let countsAfter = loads.instanceCounts(assignment)
        self.hosts = problem.hosts.enumerated().map { h, host in
            let figures = estimate.hosts[h]
            let uBefore = loads.utilization(of: h, before[h])
            // Rounded to the plan document's four decimals, so a report of a saved plan and of
            // a fresh one agree digit for digit.
            let uAfter = loads.utilization(of: h, after[h]).map { ($0 * 10_000).rounded() / 10_000 }
            let action = figures.onAfter ? "keep" : (figures.onBefore ? "power-off" : "idle")
            return HostRow(
                name: host.name, zone: host.zone ?? "", state: host.state.rawValue, action: action,
                instancesBefore: countsBefore?[h] ?? 0, instancesAfter: countsAfter?[h] ?? 0,
                utilizationBefore: uBefore, utilizationAfter: uAfter,
                onBefore: figures.onBefore, onAfter: figures.onAfter,
                wattsBefore: figures.wattsBefore, wattsAfter: figures.wattsAfter,
                kgCO2eBefore: figures.beforeKgCO2e, kgCO2eAfter: figures.afterKgCO2e,
                strandedBy: figures.onAfter ? loads.bindingDimension(of: h, after[h]) : nil)
        }

        // The plan's carbon figures are the report's; the model fills in what an older plan lacks.
        let computed = estimate.document
        var carbon = document.carbon ?? computed
        var warnings = [String]()
        if let given = document.carbon {
            let scale = max(1, abs(computed.beforeKWh ?? 0))
            if abs((given.beforeKWh ?? computed.beforeKWh ?? 0) - (computed.beforeKWh ?? 0)) > 1e-6 * scale
                || abs((given.afterKWh ?? computed.afterKWh ?? 0) - (computed.afterKWh ?? 0)) > 1e-6 * scale
                || abs(given.savedKWh - computed.savedKWh) > 1e-6 * scale
            {
                warnings.append(
                    "The plan's carbon figures differ from what this inventory gives for the same placement "
                        + "(was the inventory changed after planning?). Totals are the plan's; per-host and "
                        + "per-zone figures come from the inventory.")
            }
        }
        if carbon.zones == nil { carbon.zones = computed.zones }
        if carbon.curves == nil { carbon.curves = computed.curves }
        if carbon.beforeKWh == nil { carbon.beforeKWh = computed.beforeKWh }
        if carbon.afterKWh == nil { carbon.afterKWh = computed.afterKWh }
        if carbon.band == nil { carbon.band = computed.band }
        if carbon.embodiedAvoidedKgCO2e == nil { carbon.embodiedAvoidedKgCO2e = computed.embodiedAvoidedKgCO2e }
        self.zones = carbon.zones ?? []
        self.curves = carbon.curves ?? [:]
        self.carbon = carbon
        if !hasCurrentPlacement {
            warnings.append(
                "The inventory has no current placement: \"before\" means every active host on, carrying an "
                    + "even share of the planned load.")
        }
        self.warnings = warnings
    }
}

/// Per-host loads and the figures derived from them, in raw units.
struct ReportLoads {
    let problem: Problem
    /// Each service's requests, for the "does anything still fit" test.
    let requests: [Resources]

    init(problem: Problem) {
        self.problem = problem
        // Distinct request vectors, smallest first: the "does anything still fit" test stops early.
        let distinct = Set(problem.services.filter { $0.count > 0 }.map(\.requests))
        self.requests = distinct.sorted { a, b in
            let (sa, sb) = (a.values.reduce(0, +), b.values.reduce(0, +))
            return sa != sb ? sa < sb : a.values.lexicographicallyPrecedes(b.values)
        }
    }

    var dimensionCount: Int { problem.dimensions.count }

    func used(by assignment: [Int]) -> [Resources] {
        var used = [Resources](repeating: Resources(zeros: dimensionCount), count: problem.hosts.count)
        for (s, service) in problem.services.enumerated() {
            for id in problem.instanceOffset[s]..<problem.instanceOffset[s + 1] where id < assignment.count {
                let h = assignment[id]
                if h >= 0, h < used.count { used[h] += service.requests }
            }
        }
        return used
    }

    func instanceCounts(_ assignment: [Int]?) -> [Int]? {
        guard let assignment else { return nil }
        var counts = [Int](repeating: 0, count: problem.hosts.count)
        for h in assignment where h >= 0 && h < counts.count { counts[h] += 1 }
        return counts
    }

    /// The load of `after` spread over active hosts in proportion to each dimension's capacity.
    func evenShare(of after: [Resources]) -> [Resources] {
        let active = problem.hosts.indices.filter { problem.hosts[$0].state == .active }
        var total = Resources(zeros: dimensionCount)
        for load in after { total += load }
        var capacity = Resources(zeros: dimensionCount)
        for h in active { capacity += problem.hosts[h].capacity }
        var out = [Resources](repeating: Resources(zeros: dimensionCount), count: problem.hosts.count)
        for h in active {
            for d in 0..<dimensionCount where capacity[d] > 0 {
                out[h][d] = Int64((Double(total[d]) * Double(problem.hosts[h].capacity[d]) / Double(capacity[d])).rounded())
            }
        }
        return out
    }

    func utilization(of h: Int, _ used: Resources) -> [Double] {
        (0..<dimensionCount).map { d in
            let c = problem.hosts[h].capacity[d]
            return c > 0 ? Double(used[d]) / Double(c) : 0
        }
    }

    /// Requested / raw capacity over the hosts that are on, per dimension.
    func utilization(_ used: [Resources], on: [Bool]) -> [Double] {
        (0..<dimensionCount).map { d in
            var u: Int64 = 0
            var c: Int64 = 0
            for h in problem.hosts.indices where on[h] {
                u += used[h][d]
                c += problem.hosts[h].capacity[d]
            }
            return c > 0 ? Double(u) / Double(c) : 0
        }
    }

    /// A dimension counts as full at this share of its usable capacity.
    static let fullShare = 0.95

    /// True when no instance of any service fits in what host `h` has left (resources only).
    func isClosed(_ h: Int, _ used: Resources) -> Bool {
        let free = Resources((0..<dimensionCount).map { d in max(0, problem.usable[h][d] - used[d]) })
        return !requests.contains { $0.fits(in: free) }
    }

    /// Per dimension, whether host `h`'s free usable capacity there is stranded: another dimension
    /// is full (≥ 95 % of its usable capacity requested), or no instance of any service fits at all.
    func strandedDimensions(of h: Int, _ used: Resources) -> [Bool] {
        let full = (0..<dimensionCount).map { d in
            let usable = problem.usable[h][d]
            return usable > 0 && Double(used[d]) >= Self.fullShare * Double(usable)
        }
        let closed = isClosed(h, used)
        return (0..<dimensionCount).map { d in closed || full.indices.contains { $0 != d && full[$0] } }
    }

    /// For a host with stranded capacity, its fullest dimension (used / usable); nil when nothing is stranded.
    func bindingDimension(of h: Int, _ used: Resources) -> String? {
        guard strandedDimensions(of: h, used).contains(true) else { return nil }
        var best = 0
        var bestShare = -1.0
        for d in 0..<dimensionCount {
            let usable = problem.usable[h][d]
            let share = usable > 0 ? Double(used[d]) / Double(usable) : (used[d] > 0 ? 2 : 0)
            if share > bestShare {
                best = d
                bestShare = share
            }
        }
        return problem.dimensions[best].name
    }

    func stranded(_ used: [Resources], on: [Bool]) -> [UtilizationReport.Stranded] {
        let strandedMask = problem.hosts.indices.map { on[$0] ? strandedDimensions(of: $0, used[$0]) : [] }
        return (0..<dimensionCount).map { d in
            let dim = problem.dimensions[d]
            let scale = dim.kind == .bytes ? Double(1 << 30) : Double(dim.scale)
            var s = UtilizationReport.Stranded(usable: 0, used: 0, stranded: 0, free: 0, reserve: 0, capacity: 0)
            for h in problem.hosts.indices where on[h] {
                let capacity = Double(problem.hosts[h].capacity[d]) / scale
                let usable = Double(problem.usable[h][d]) / scale
                let u = Double(used[h][d]) / scale
                let free = max(0, usable - u)
                s.capacity += capacity
                s.usable += usable
                s.used += u
                s.reserve += capacity - usable
                if strandedMask[h][d] { s.stranded += free } else { s.free += free }
            }
            return s
        }
    }
}
