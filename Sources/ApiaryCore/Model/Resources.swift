/// How the quantities of one resource dimension are measured.
public enum DimensionKind: String, Sendable, Hashable, Codable {
    /// Countable or divisible units (cpu cores, gpus); stored in milli-units.
    case count
    /// Byte sizes; stored in bytes.
    case bytes
}

/// A resource dimension named by the inventory (`cpu`, `memory`, `disk`, `gpu`, ...).
public struct Dimension: Sendable, Hashable, Codable {
    public var name: String
    public var kind: DimensionKind

    public init(name: String, kind: DimensionKind) {
        self.name = name
        self.kind = kind
    }

    /// Raw units per display unit: 1000 milli-units per core, 1 per byte.
    public var scale: Int64 { kind == .count ? 1000 : 1 }

    /// The value in display units (cores, bytes) as a Double.
    public func display(_ raw: Int64) -> Double { Double(raw) / Double(scale) }
}

/// A vector of resource amounts, one per dimension of the problem, in raw units
/// (milli-units for count dimensions, bytes for byte dimensions).
///
/// Integers keep capacity checks exact: the packer and the verifier agree to the unit.
public struct Resources: Sendable, Hashable, Codable {
    public var values: [Int64]

    public init(_ values: [Int64]) { self.values = values }
    public init(zeros dimensions: Int) { self.values = Array(repeating: 0, count: dimensions) }

    @inlinable public var count: Int { values.count }

    @inlinable public subscript(_ d: Int) -> Int64 {
        get { values[d] }
        set { values[d] = newValue }
    }

    /// True when every component of `self` is at most the matching one of `other`.
    @inlinable public func fits(in other: Resources) -> Bool {
        for d in values.indices where values[d] > other.values[d] { return false }
        return true
    }

    @inlinable public static func + (a: Resources, b: Resources) -> Resources {
        var r = a
        r += b
        return r
    }

    @inlinable public static func - (a: Resources, b: Resources) -> Resources {
        var r = a
        r -= b
        return r
    }

    @inlinable public static func += (a: inout Resources, b: Resources) {
        for d in a.values.indices { a.values[d] += b.values[d] }
    }

    @inlinable public static func -= (a: inout Resources, b: Resources) {
        for d in a.values.indices { a.values[d] -= b.values[d] }
    }

    public var isZero: Bool { values.allSatisfy { $0 == 0 } }
}
