import Foundation
import Testing

/// Error messages of the built binary: each names the file, the key path and what was
/// expected in plain words, and exits with the documented status (64 usage, 65 bad data,
/// 66 missing input, 74 I/O).
@Suite("apiary error messages")
struct CLIErrorMessageTests {
    /// A fresh temporary directory, removed when the test ends.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-err-\(UUID())").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func file(_ name: String) -> String { path + "/" + name }
    }

    /// The plan of fixtures/infeasible, changed by `edit`, written to `dir/name`.
    static func plan(in dir: Scratch, _ name: String, _ edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        let r = try CLITests.run(["plan", "fixtures/infeasible", "--format", "json"])
        #expect(r.status == 0)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        edit(&object)
        let path = dir.file(name)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
        return path
    }

    static func setFirstAssignment(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { object in
            var assignments = object["assignments"] as! [[String: Any]]
            assignments[0][key] = value
            object["assignments"] = assignments
        }
    }

    static let internals = ["Dictionary<", "Array<", "NSCocoaErrorDomain", "error 256", "expected Int", "The given data"]

    @Test("a plan of the wrong shape names the file, key and expectation; exit 65")
    func planShapes() throws {
        let dir = try Scratch()
        try "[]".write(toFile: dir.file("list.json"), atomically: false, encoding: .utf8)
        let cases: [(String, String)] = [
            (dir.file("list.json"), "\(dir.file("list.json")):1: expected an object (a plan written by `apiary plan --format json`), got a list"),
            (try Self.plan(in: dir, "half.json", Self.setFirstAssignment("instance", 0.5)),
             "assignments[0].instance: expected an integer, got 0.5"),
            (try Self.plan(in: dir, "moves.json") { o in
                var s = o["summary"] as! [String: Any]
                s["moves"] = 28.5
                o["summary"] = s
            }, "summary.moves: expected an integer, got 28.5"),
            (try Self.plan(in: dir, "null.json", Self.setFirstAssignment("host", NSNull())),
             "assignments[0].host: expected a string, got null"),
        ]
        for (path, message) in cases {
            let r = try CLITests.run(["verify", "fixtures/infeasible", "--plan", path])
            #expect(r.status == 65, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("error: \(path):"), "\(r.stderr)")
            #expect(r.stderr.contains(message), "\(r.stderr)")
            for leak in Self.internals { #expect(!r.stderr.contains(leak), "\(r.stderr)") }
            // apply reads plans through the same decoder.
            let apply = try CLITests.run(["apply", path, "--db", dir.file("orders.db")])
            #expect(apply.status == 65)
            #expect(apply.stderr.contains(message), "\(apply.stderr)")
        }
    }

    @Test("a directory where a file is expected: \"is a directory\", exit 66")
    func directories() throws {
        let dir = try Scratch()
        let plan = try CLITests.run(["verify", "fixtures/infeasible", "--plan", dir.path])
        #expect(plan.status == 66)
        #expect(plan.stderr == "error: \(dir.path): is a directory, expected a plan written by `apiary plan --format json`\n")
        let services = try CLITests.run(["import", "habitat-census", "fixtures/habitat/census.json", "--services", dir.path])
        #expect(services.status == 66)
        #expect(services.stderr == "error: \(dir.path): is a directory, expected a JSON file\n")

        try FileManager.default.createDirectory(atPath: dir.file("inv/x.toml"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "fixtures/infeasible/inventory.toml", toPath: dir.file("inv/a.toml"))
        let inventory = try CLITests.run(["plan", dir.file("inv")])
        #expect(inventory.status == 66)
        #expect(inventory.stderr == "error: \(dir.file("inv/x.toml")): is a directory, expected a TOML or JSON inventory file\n")
        for r in [plan, services, inventory] {
            for leak in Self.internals { #expect(!r.stderr.contains(leak), "\(r.stderr)") }
        }
    }

    @Test("a missing inventory reads \"no such file\", not \"the inventory is not valid\"; exit 66")
    func missingInventory() throws {
        let r = try CLITests.run(["validate", "fixtures/does-not-exist.toml"])
        #expect(r.status == 66)
        #expect(r.stderr == "error: fixtures/does-not-exist.toml: no such file or directory\n")
    }

    @Test(
        "bad option values name the option and what it takes; exit 64",
        arguments: [
            (["--min-hosts-freed", "-1"], "--min-hosts-freed must be 0 or more, got -1"),
            (["--max-moves", "-3"], "--max-moves must be 0 or more, got -3"),
            (["--seed", "-5"], "The value '-5' is invalid for '--seed <seed>': expected an integer from 0 to 18446744073709551615"),
            (["--time-limit", "inf"], "--time-limit must be a finite number of seconds ≥ 0, got inf"),
            (["--time-limit", "-1"], "--time-limit must be a finite number of seconds ≥ 0, got -1"),
            (["--time-limit", "soon"], "The value 'soon' is invalid for '--time-limit <time-limit>'"),
        ])
    func badNumbers(args: [String], message: String) throws {
        let r = try CLITests.run(["plan", "fixtures/infeasible"] + args)
        #expect(r.status == 64)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!r.stderr.contains("Missing value"))
    }

    @Test("--seed takes the whole UInt64 range")
    func largestSeed() throws {
        let r = try CLITests.run(["plan", "fixtures/infeasible", "--seed", "18446744073709551615", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"seed\" : 18446744073709551615"))
    }

    @Test("verify --help lists every format it accepts, and markdown works")
    func verifyFormats() throws {
        let help = try CLITests.run(["verify", "--help"])
        let words = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // undo the wrapping
        #expect(words.contains("Output format: table, markdown (the same text as table) or json."), "\(help.stdout)")
        let dir = try Scratch()
        let plan = try Self.plan(in: dir, "p.json")
        let r = try CLITests.run(["verify", "fixtures/infeasible", "--plan", plan, "--format", "markdown"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("OK: "))
    }

    @Test("explain --list-limit 0 gives counts without an empty list")
    func listLimitZero() throws {
        let r = try CLITests.run(["explain", "fixtures/demo", "--service", "redis.cache", "--list-limit", "0", "--time-limit", "0.2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("may go to "))
        #expect(!r.stdout.contains(": , …"))
        #expect(!r.stdout.contains(": …"))
        let lines = r.stdout.split(separator: "\n").filter { $0.contains("may go to") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasSuffix("hosts") || $0.hasSuffix("host") }, "\(lines)")
        let negative = try CLITests.run(["explain", "fixtures/demo", "--service", "redis.cache", "--list-limit", "-2"])
        #expect(negative.status == 64)
        #expect(negative.stderr.contains("--list-limit must be 0 or more, got -2"))
    }

    @Test("report --plan refuses a plan that verify rejects: exit 65, the violation, a pointer to verify")
    func reportVerifiesThePlan() throws {
        let dir = try Scratch()
        let good = try Self.plan(in: dir, "good.json")
        let ok = try CLITests.run(["report", "fixtures/infeasible", "--plan", good, "--format", "csv"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let bad = try Self.plan(in: dir, "bad.json") { o in
            var s = o["summary"] as! [String: Any]
            s["hosts_used"] = 7
            o["summary"] = s
        }
        let r = try CLITests.run(["report", "fixtures/infeasible", "--plan", bad, "--format", "csv"])
        #expect(r.status == 65)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("error: \(bad) is not a valid plan for fixtures/infeasible"), "\(r.stderr)")
        #expect(r.stderr.contains("summary.hosts_used is 7"))
        #expect(r.stderr.contains("apiary verify fixtures/infeasible --plan \(bad)"))
    }
}
