import ApiaryCore
import Testing

@testable import ApiaryInventory

@Suite("InventoryWriter")
struct InventoryWriterTests {
    @Test("renders [[placement]] tables that load back as the current placement")
    func roundTrip() throws {
        let fragment = InventoryWriter().placementFragment(
            [(host: "hive-02", service: "web.prod", count: 2), (host: "hive-01", service: "web.prod", count: 1),
             (host: "hive-01", service: "db.prod", count: 0)],
            comment: "from habitat census")
        #expect(
            fragment == """
                # from habitat census

                [[placement]]
                host = "hive-02"
                service = "web.prod"
                count = 2

                [[placement]]
                host = "hive-01"
                service = "web.prod"
                count = 1

                """)
        let base = """
            [[host]]
            name = "hive-01"
            capacity = { cpu = 8 }
            [[host]]
            name = "hive-02"
            capacity = { cpu = 8 }
            [[package]]
            ident = "core/web"
            requests = { cpu = 1 }
            [[service]]
            name = "web.prod"
            package = "core/web"
            count = 4
            spread = "none"
            """
        let inventory = try InventoryLoader().load(texts: [base, fragment], names: ["a.toml", "b.toml"])
        #expect(inventory.problem.current == [1, 1, 0, nil])
    }

    @Test("strings are escaped as TOML requires")
    func escaping() {
        #expect(InventoryWriter.tomlString("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }
}
