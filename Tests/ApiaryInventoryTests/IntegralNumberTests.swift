import ApiaryCore
import Testing

@testable import ApiaryInventory

/// Integer keys (`count`, `max_moves`, `max_unavailable`) take a float with a whole value, as
/// TOML writers and JSON tools often produce; a fraction is refused, shown as written.
@Suite("Integral floats for integer keys")
struct IntegralNumberTests {
    static func toml(count: String, maxMoves: String = "5") -> String {
        """
        [policy]
        max_moves = \(maxMoves)

        [[host]]
        name = "h1"
        capacity = { cpu = 8, memory = "8GiB" }

        [[package]]
        ident = "core/web"
        requests = { cpu = 1 }

        [[service]]
        name = "web.prod"
        package = "core/web"
        count = \(count)
        """
    }

    @Test("count = 3.0 and max_moves = 5.0 in TOML load as 3 and 5")
    func tomlWholeFloats() throws {
        let inventory = try InventoryLoader().load(texts: [Self.toml(count: "3.0", maxMoves: "5.0")], names: ["a.toml"])
        #expect(inventory.problem.services[0].count == 3)
        #expect(inventory.problem.policy.maxMoves == 5)
    }

    @Test("count 2.0 in JSON loads as 2")
    func jsonWholeFloat() throws {
        let json = """
            {
              "host": [ { "name": "h1", "capacity": { "cpu": 8 } } ],
              "package": [ { "ident": "core/web", "requests": { "cpu": 1 } } ],
              "service": [ { "name": "web.prod", "package": "core/web", "count": 2.0 } ]
            }
            """
        let inventory = try InventoryLoader().load(texts: [json], names: ["a.json"])
        #expect(inventory.problem.services[0].count == 2)
    }

    @Test(
        "a fraction, or a whole float out of range, is refused and shown as written",
        arguments: [
            ("2.5", "a.toml:15: service.web.prod.count: expected an integer ≥ 0, got 2.5, not a whole number"),
            ("-1.0", "a.toml:15: service.web.prod.count: expected an integer ≥ 0, got -1.0"),
            ("3e9", "a.toml:15: service.web.prod.count: expected an integer from 0 to 10000000, got 3000000000.0"),
        ])
    func refused(count: String, message: String) {
        let errors = #expect(throws: InventoryErrors.self) {
            try InventoryLoader().load(texts: [Self.toml(count: count)], names: ["a.toml"])
        }
        #expect(errors?.description == message)
    }
}
