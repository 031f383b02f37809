/// Why one host could not take an instance: a small code plus what it concerns.
/// Reports turn these into words ("31 insufficient memory").
public enum Rejection: Sendable, Hashable, Comparable {
    /// Usable capacity left in dimension `d` is too small.
    case insufficient(dimension: Int)
    /// The host lacks the label `key` with the selector's value.
    case selector(key: String)
    /// The host is draining.
    case draining
    /// The host is cordoned and the instance does not run there now.
    case cordoned
    /// The host runs an exclusive service (or this service is exclusive and the host runs another).
    case exclusive
    /// The host already runs an instance of the same Habitat package name.
    case packageName
    /// The host already runs a replica of this service (spread = host).
    case spreadHost
    /// Placing here would break max skew 1 over the spread domains.
    case spreadSkew
    /// The host has no value for the service's spread key (zone or label).
    case spreadDomainMissing
    /// The move budget (`max_moves`) is spent.
    case moveBudget

    private var rank: Int {
        switch self {
        case .draining: 0
        case .cordoned: 1
        case .selector: 2
        case .spreadDomainMissing: 3
        case .exclusive: 4
        case .packageName: 5
        case .spreadHost: 6
        case .spreadSkew: 7
        case .moveBudget: 8
        case .insufficient: 9
        }
    }

    public static func < (a: Rejection, b: Rejection) -> Bool {
        if a.rank != b.rank { return a.rank < b.rank }
        switch (a, b) {
        case (.insufficient(let x), .insufficient(let y)): return x < y
        case (.selector(let x), .selector(let y)): return x < y
        default: return false
        }
    }
}

/// An instance the plan could not place, with a count of why each host refused it.
public struct UnplacedInstance: Sendable, Hashable {
    public var instance: Int
    public var reasons: [Rejection: Int]

    public init(instance: Int, reasons: [Rejection: Int]) {
        self.instance = instance
        self.reasons = reasons
    }
}

/// One step of a migration: instance `instance` starts on `to` (while still running on
/// `from`, make-before-break), then stops on `from` when the wave is done.
public struct Move: Sendable, Hashable {
    public var instance: Int
    /// `nil` for an instance that does not run anywhere yet (a start).
    public var from: Int?
    public var to: Int

    public init(instance: Int, from: Int?, to: Int) {
        self.instance = instance
        self.from = from
        self.to = to
    }
}

/// A proven lower bound on the number of hosts, and the argument that proves it.
public struct LowerBound: Sendable, Hashable {
    public var value: Int
    /// One human-readable line per component of the bound, e.g. "memory volume: 12 hosts".
    public var argument: [String]

    public init(value: Int, argument: [String]) {
        self.value = value
        self.argument = argument
    }
}

/// The outcome of planning: where each instance goes, what could not go anywhere and why,
/// and how good the result provably is.
public struct Plan: Sendable {
    /// Host index of each instance by global id, or -1 when unplaced.
    public var assignment: [Int]
    public var unplaced: [UnplacedInstance]
    public var lowerBound: LowerBound
    /// Migration waves from the current placement; empty without a current placement.
    public var waves: [[Move]]
    /// Free-form notes for the operator (e.g. a spare host used to break a cycle of moves).
    public var notes: [String]
    /// Hosts, empty before and after, that the waves borrow to break a cycle of moves.
    public var spareHosts: [Int] = []
    /// Moves the migration could not order into safe waves (their instances stay put).
    public var unscheduled: [Move] = []

    public init(
        assignment: [Int], unplaced: [UnplacedInstance], lowerBound: LowerBound,
        waves: [[Move]] = [], notes: [String] = []
    ) {
        self.assignment = assignment
        self.unplaced = unplaced
        self.lowerBound = lowerBound
        self.waves = waves
        self.notes = notes
    }

    public static let unassigned = -1
}
