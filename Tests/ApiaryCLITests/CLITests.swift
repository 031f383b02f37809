import Foundation
import Testing

/// Runs the built `apiary` binary the way an operator would, checking stdout and exit status.
@Suite("apiary command line")
struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: URL? {
        for dir in [".build/debug", ".build/release"] {
            let url = root.appendingPathComponent(dir).appendingPathComponent("apiary")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String]) throws -> Result {
        let process = Process()
        process.executableURL = try #require(binary, "build the apiary product first (swift build)")
        process.arguments = args
        process.currentDirectoryURL = root
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    @Test("plan prints a dry run of the demo fleet and its JSON passes verify")
    func demoPlanVerifies() throws {
        let table = try Self.run(["plan", "fixtures/demo", "--time-limit", "0.5"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("Lower bound:"))
        #expect(table.stdout.contains("hive-01"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-cli-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let json = try Self.run(["plan", "fixtures/demo", "--format", "json", "-o", path, "--time-limit", "0.5"])
        #expect(json.status == 0)
        let verify = try Self.run(["verify", "fixtures/demo", "--plan", path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.hasPrefix("OK"))
    }

    @Test("the same input gives byte-identical JSON")
    func deterministic() throws {
        let a = try Self.run(["plan", "fixtures/demo", "--format", "json", "--time-limit", "0.5"])
        let b = try Self.run(["plan", "fixtures/demo", "--format", "json", "--time-limit", "0.5"])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
    }

    @Test("an infeasible instance is listed with reasons; exit 0, or 1 with --strict")
    func infeasible() throws {
        let plan = try Self.run(["plan", "fixtures/infeasible"])
        #expect(plan.status == 0)
        #expect(plan.stdout.contains("trainer.prod[0]: 0/2 hosts fit: 2 insufficient memory"))
        let strict = try Self.run(["plan", "fixtures/infeasible", "--strict"])
        #expect(strict.status == 1)
    }

    @Test("bad data exits 65 naming file and key; a missing path exits 66; bad usage 64")
    func badInput() throws {
        let bad = try Self.run(["validate", "fixtures/bad/unparsable-quantity.toml"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("fixtures/bad/unparsable-quantity.toml:4: host[0].capacity.memory"))
        let missing = try Self.run(["plan", "fixtures/does-not-exist"])
        #expect(missing.status == 66)
        let usage = try Self.run(["plan", "fixtures/demo", "--no-such-flag"])
        #expect(usage.status == 64)
    }

    @Test("nothing is written when the inventory is bad")
    func nothingWritten() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-cli-\(UUID()).json").path
        let r = try Self.run(["plan", "fixtures/bad/unparsable-quantity.toml", "--format", "json", "-o", path])
        #expect(r.status == 65)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("verify rejects a tampered plan and lists the violation")
    func verifyFlags() throws {
        let plan = try Self.run(["plan", "fixtures/infeasible", "--format", "json"])
        let tampered = plan.stdout.replacingOccurrences(of: "\"hosts_used\" : 2", with: "\"hosts_used\" : 7")
        #expect(tampered != plan.stdout)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-cli-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tampered.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try Self.run(["verify", "fixtures/infeasible", "--plan", path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("summary.hosts_used is 7"))
    }

    /// Writes `text` to a temporary inventory file and returns its path.
    static func inventory(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-cli-\(UUID()).toml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let twoHosts = """
        [[host]]
        name = "h1"
        capacity = { cpu = 8, memory = "8GiB" }
        labels = { arch = "x86_64" }
        [[host]]
        name = "h2"
        capacity = { cpu = 8, memory = "8GiB" }
        labels = { arch = "x86_64" }
        [[package]]
        ident = "x/web"
        requests = { cpu = 1, memory = "1GiB" }

        """

    @Test("--detailed-exitcode: 0 no changes, 2 moves or stops proposed, 1 on error")
    func detailedExitcode() throws {
        let settled = try Self.inventory(Self.twoHosts + """
            [[service]]
            name = "web.a"
            package = "x/web"
            [[placement]]
            host = "h1"
            service = "web.a"
            """)
        defer { try? FileManager.default.removeItem(atPath: settled) }
        let none = try Self.run(["plan", settled, "--detailed-exitcode", "--time-limit", "0.2"])
        #expect(none.status == 0, "\(none.stdout)")
        #expect(none.stdout.contains("No changes."))
        // Two instances on two hosts: one moves, a host is freed.
        let spread = try Self.inventory(Self.twoHosts + """
            [[service]]
            name = "web.a"
            package = "x/web"
            [[service]]
            name = "api.a"
            package = "x/web"
            requests = { cpu = 2 }
            [policy]
            supervisor = "systemd"
            [[placement]]
            host = "h1"
            service = "web.a"
            [[placement]]
            host = "h2"
            service = "api.a"
            """)
        defer { try? FileManager.default.removeItem(atPath: spread) }
        #expect(try Self.run(["plan", spread, "--detailed-exitcode", "--time-limit", "0.2"]).status == 2)
        // Nothing moves, but a running instance no host may take stops and its host goes off.
        let stop = try Self.inventory(Self.twoHosts + """
            [[service]]
            name = "web.arm"
            package = "x/web"
            selector = { arch = "arm64" }
            [[placement]]
            host = "h1"
            service = "web.arm"
            """)
        defer { try? FileManager.default.removeItem(atPath: stop) }
        let stopped = try Self.run(["plan", stop, "--detailed-exitcode", "--time-limit", "0.2"])
        #expect(stopped.status == 2)
        #expect(stopped.stdout.contains("- web.arm[0]  stops"))
        #expect(stopped.stdout.contains("in 0 waves after 1 stop"))
        #expect(try Self.run(["plan", "fixtures/bad/unparsable-quantity.toml", "--detailed-exitcode"]).status == 1)
    }

    @Test("verify warns when a plan was made for another inventory")
    func verifyNamesAnotherInventory() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-cli-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Self.run(["plan", "fixtures/demo", "-f", "json", "-o", path, "--time-limit", "0.2"]).status == 0)
        let r = try Self.run(["verify", "fixtures/infeasible", "--plan", path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("was planned for another inventory"))
        let same = try Self.run(["verify", "fixtures/demo", "--plan", path])
        #expect(same.status == 0)
        #expect(!same.stderr.contains("another inventory"))
    }
}
