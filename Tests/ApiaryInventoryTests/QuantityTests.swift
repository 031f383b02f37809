import ApiaryCore
import Testing

@testable import ApiaryInventory

@Suite("Quantities")
struct QuantityTests {
    /// (TOML value as written, dimension kind, raw amount: milli-units or bytes)
    static let valid: [(String, DimensionKind, Int64)] = [
        ("2", .count, 2_000),
        ("0.5", .count, 500),
        ("\"500m\"", .count, 500),
        ("\"2\"", .count, 2_000),
        ("\"0.25\"", .count, 250),
        ("0", .count, 0),
        ("1e1", .count, 10_000),
        ("64", .bytes, 64),
        ("\"64GiB\"", .bytes, 64 * GiB),
        ("\"64Gi\"", .bytes, 64 * GiB),
        ("\"1.5GiB\"", .bytes, 3 * GiB / 2),
        ("\"512MiB\"", .bytes, 512 * MiB),
        ("\"512Mi\"", .bytes, 512 * MiB),
        ("\"4KiB\"", .bytes, 4 * KiB),
        ("\"4Ki\"", .bytes, 4 * KiB),
        ("\"2TiB\"", .bytes, 2 * TiB),
        ("\"2Ti\"", .bytes, 2 * TiB),
        ("\"1PiB\"", .bytes, 1024 * TiB),
        ("\"1KB\"", .bytes, 1_000),
        ("\"1kB\"", .bytes, 1_000),
        ("\"5MB\"", .bytes, 5_000_000),
        ("\"1GB\"", .bytes, 1_000_000_000),
        ("\"3TB\"", .bytes, 3_000_000_000_000),
        ("\"100B\"", .bytes, 100),
        ("\"64 GiB\"", .bytes, 64 * GiB),
        ("\" 8GiB \"", .bytes, 8 * GiB),
        ("\"1024\"", .bytes, 1024),
    ]

    @Test("valid quantities", arguments: valid)
    func parses(_ text: String, kind: DimensionKind, expected: Int64) throws {
        let dimension = kind == .bytes ? "memory" : "cpu"
        let p = try InventoryLoader().load(
            texts: ["[[host]]\nname = \"a\"\ncapacity = { \(dimension) = \(text) }\n"], names: ["q.toml"]
        ).problem
        #expect(p.dimensions == [Dimension(name: dimension, kind: kind)])
        #expect(p.hosts[0].capacity.values == [expected])
    }

    /// (value, dimension, fragment of the message)
    static let invalid: [(String, String, String)] = [
        ("-2", "cpu", "negative"),
        ("\"-500m\"", "cpu", "negative"),
        ("\"-1GiB\"", "memory", "negative"),
        ("nan", "cpu", "got nan"),
        ("inf", "memory", "got inf"),
        ("\"64 gigs\"", "memory", "expected a byte size such as \"64GiB\" or an integer number of bytes, got \"64 gigs\""),
        ("\"lots\"", "cpu", "expected a number of cores such as 2, 0.5 or \"500m\", got \"lots\""),
        ("\"2 cores\"", "cpu", "got \"2 cores\""),
        ("\"500m\"", "memory", "measured in bytes"),
        ("\"8GiB\"", "cpu", "not measured in bytes"),
        ("1.5", "memory", "got 1.5"),
        ("\"0.5m\"", "cpu", "got \"0.5m\""),
        ("true", "cpu", "got true"),
        ("[1, 2]", "cpu", "got an array"),
        ("\"1e400\"", "cpu", "got \"1e400\""),
        ("\"99999999PiB\"", "memory", "got \"99999999PiB\""),
    ]

    @Test("invalid quantities name the file, line, key and what was expected", arguments: invalid)
    func rejects(_ text: String, dimension: String, fragment: String) throws {
        let source = "[[host]]\nname = \"a\"\ncapacity = { \(dimension) = \(text) }\n"
        let errors = try #require(loadErrors(source, name: "q.toml"))
        let error = try #require(errors.errors.first)
        #expect(errors.errors.count == 1)
        #expect(error.file == "q.toml")
        #expect(error.line == 3)
        #expect(error.key == "host[0].capacity.\(dimension)")
        #expect(error.message.contains(fragment), "\(error.message)")
    }

    @Test("the dimension order is cpu, memory, disk, then the rest by name")
    func dimensionOrder() throws {
        let p = try InventoryLoader().load(
            texts: ["[[host]]\nname = \"a\"\ncapacity = { zz = 1, disk = 1, aa = 1, memory = 1, cpu = 1 }\n"],
            names: ["o.toml"]
        ).problem
        #expect(p.dimensions.map(\.name) == ["cpu", "memory", "disk", "aa", "zz"])
    }
}

/// The errors of loading one TOML or JSON text, or `nil` when it loads.
func loadErrors(_ text: String, name: String = "t.toml") -> InventoryErrors? {
    loadErrors(texts: [text], names: [name])
}

/// The errors of loading several texts, or `nil` when they load.
func loadErrors(texts: [String], names: [String]) -> InventoryErrors? {
    do {
        _ = try InventoryLoader().load(texts: texts, names: names)
        return nil
    } catch {
        return error
    }
}

/// The errors of loading paths, or `nil` when they load.
func loadErrors(paths: [String]) -> InventoryErrors? {
    do {
        _ = try InventoryLoader().load(paths: paths)
        return nil
    } catch {
        return error
    }
}
