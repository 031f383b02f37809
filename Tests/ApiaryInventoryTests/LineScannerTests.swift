import Testing

@testable import ApiaryInventory

@Suite("Line scan of TOML and JSON sources")
struct LineScannerTests {
    @Test("keys in headers, dotted keys, inline tables, arrays and tricky strings get their lines")
    func toml() {
        let text = """
            # comment with [brackets] and key = "value"
            title = "a # not a comment, [not a table]"
            multi = \"\"\"
            [[host]]
            name = "inside a string"
            \"\"\"

            [[host]]
            name = 'hive-01'
            capacity = { cpu = 8, "memory" = "32GiB", nested = { a = 1 } }
            power.idle_watts = 100

            [host.labels]
            arch = "x86_64"

            [[host]]
            name = "hive-02"
            list = [
              { x = 1 },   # first
              { x = 2 },
            ]
            """
        let lines = TOMLLineScanner.scan(text)
        func line(_ path: PathComponent...) -> Int? { lines[path] }
        #expect(line(.key("title")) == 2)
        #expect(line(.key("multi")) == 3)
        #expect(line(.key("host"), .index(0)) == 8)
        #expect(line(.key("host"), .index(0), .key("name")) == 9)
        #expect(line(.key("host"), .index(0), .key("capacity"), .key("memory")) == 10)
        #expect(line(.key("host"), .index(0), .key("capacity"), .key("nested"), .key("a")) == 10)
        #expect(line(.key("host"), .index(0), .key("power"), .key("idle_watts")) == 11)
        #expect(line(.key("host"), .index(0), .key("labels")) == 13)
        #expect(line(.key("host"), .index(0), .key("labels"), .key("arch")) == 14)
        #expect(line(.key("host"), .index(1)) == 16)
        #expect(line(.key("host"), .index(1), .key("name")) == 17)
        #expect(line(.key("host"), .index(1), .key("list"), .index(1), .key("x")) == 20)
        #expect(line(.key("host"), .index(2)) == nil, "the [[host]] inside a string is not a table")
    }

    @Test("JSON values carry the line of their key")
    func json() throws {
        let text = """
            {
              "host": [
                {
                  "name": "a",
                  "capacity": { "cpu": 1,
                                "memory": "1\\"GiB" }
                }
              ]
            }
            """
        let node = try JSONSource.parse(text, file: 0, fileName: "x.json").get()
        guard case .array(let hosts) = node.table?.first?.node.value, let host = hosts.first?.table else {
            Issue.record("unexpected shape")
            return
        }
        #expect(hosts.first?.line == 3)
        #expect(host.first { $0.key == "name" }?.node.line == 4)
        let capacity = host.first { $0.key == "capacity" }?.node.table ?? []
        #expect(capacity.map(\.node.line) == [5, 6])
        if case .string(let s) = capacity[1].node.value { #expect(s == "1\"GiB") }
    }

    @Test("JSON syntax errors give the line", arguments: [
        ("{\n  \"a\": 1,\n}", 3),
        ("{\n  \"a\": [1, 2\n", 3),
        ("{\"a\": tru}", 1),
        ("[1]", 1),
        ("{\"a\": 1, \"a\": 2}", 1),
    ])
    func jsonSyntax(_ text: String, line: Int) {
        guard case .failure(let error) = JSONSource.parse(text, file: 0, fileName: "x.json") else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error.line == line, "\(error)")
        #expect(error.file == "x.json")
    }
}
