/// A Habitat package identifier `origin/name[/version[/release]]`.
public struct PackageIdent: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var origin: String
    public var name: String
    public var version: String?
    public var release: String?

    public init(origin: String, name: String, version: String? = nil, release: String? = nil) {
        self.origin = origin
        self.name = name
        self.version = version
        self.release = release
    }

    /// Parses `origin/name[/version[/release]]`; `nil` when malformed.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...4).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) })
        else { return nil }
        self.init(
            origin: parts[0], name: parts[1],
            version: parts.count > 2 ? parts[2] : nil,
            release: parts.count > 3 ? parts[3] : nil)
    }

    /// Number of components given (2...4): more means more specific.
    public var specificity: Int { 2 + (version == nil ? 0 : 1) + (release == nil ? 0 : 1) }

    /// True when `self` (a profile's ident) covers `other` (a service's package).
    public func matches(_ other: PackageIdent) -> Bool {
        guard origin == other.origin, name == other.name else { return false }
        if let version, version != other.version { return false }
        if let release, release != other.release { return false }
        return true
    }

    public var description: String {
        [origin, name, version, release].compactMap { $0 }.joined(separator: "/")
    }

    public static func < (a: PackageIdent, b: PackageIdent) -> Bool { a.description < b.description }
}

/// How replicas of a service are spread over failure domains.
public enum Spread: Sendable, Hashable, CustomStringConvertible {
    /// Replicas on distinct hosts (the default).
    case host
    /// Replicas balanced over zones (max skew 1).
    case zone
    /// Replicas balanced over the values of a host label (max skew 1).
    case label(String)
    /// No constraint.
    case none

    public init(parsing text: String) {
        switch text {
        case "host": self = .host
        case "zone": self = .zone
        case "none": self = .none
        default: self = .label(text)
        }
    }

    public var description: String {
        switch self {
        case .host: "host"
        case .zone: "zone"
        case .none: "none"
        case .label(let key): key
        }
    }

    /// The spread domain of `host`, or `nil` when the host has none (it then cannot
    /// take a replica of a service spread this way).
    public func domain(of host: Host) -> String? {
        switch self {
        case .host, .none: host.name
        case .zone: host.zone
        case .label(let key): host.labels[key]
        }
    }

    /// True for spreads balanced with max skew 1 over domains.
    public var isDomainBalanced: Bool {
        switch self {
        case .zone, .label: true
        case .host, .none: false
        }
    }
}

/// A Habitat service group and how many instances of it run.
public struct Service: Sendable, Hashable {
    /// `service.group`, unique in the inventory.
    public var name: String
    public var package: PackageIdent
    public var count: Int
    public var spread: Spread
    /// Instances that may be in motion at once; `nil` means the policy default.
    public var maxUnavailable: Int?
    /// Host labels that must match.
    public var selector: [String: String]
    /// No other service shares a host with this one.
    public var exclusive: Bool
    /// Resource requests of one instance (profile merged with overrides), raw units.
    public var requests: Resources

    public init(
        name: String, package: PackageIdent, count: Int, spread: Spread = .host,
        maxUnavailable: Int? = nil, selector: [String: String] = [:], exclusive: Bool = false,
        requests: Resources
    ) {
        self.name = name
        self.package = package
        self.count = count
        self.spread = spread
        self.maxUnavailable = maxUnavailable
        self.selector = selector
        self.exclusive = exclusive
        self.requests = requests
    }
}
