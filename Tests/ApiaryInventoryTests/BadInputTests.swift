import ApiaryCore
import Foundation
import Testing

@testable import ApiaryInventory

/// One bad fixture under `fixtures/bad/` and the error it must produce.
struct BadCase: CustomTestStringConvertible, Sendable {
    var file: String
    var key: String
    var line: Int?
    var fragment: String

    init(_ file: String, key: String, line: Int?, _ fragment: String) {
        self.file = file
        self.key = key
        self.line = line
        self.fragment = fragment
    }

    var testDescription: String { file }
}

@Suite("Bad inputs: one fixture per case in the spec")
struct BadInputTests {
    static let cases: [BadCase] = [
        BadCase("unknown-host-key.toml", key: "host[0].capcity", line: 4, "unknown key \"capcity\" in [[host]] (did you mean \"capacity\"?); allowed keys: name, zone, capacity, labels, power, embodied_kgco2e, lifetime_years, state"),
        BadCase("unknown-top-level-key.toml", key: "polcy", line: 2, "unknown key \"polcy\" in the top level (did you mean \"policy\"?); allowed keys: policy, carbon, host, package, service, placement"),
        BadCase("unknown-service-key.toml", key: "service.redis.cache.replicas", line: 14, "unknown key \"replicas\" in [[service]]"),
        BadCase("unknown-policy-key.toml", key: "policy.max_move", line: 4, "unknown key \"max_move\" in [policy] (did you mean \"max_moves\"?); allowed keys: headroom, objective, max_moves, supervisor, max_unavailable"),
        BadCase("unknown-carbon-key.toml", key: "carbon.intensity", line: 4, "unknown key \"intensity\" in [carbon]"),
        BadCase("unknown-power-key.toml", key: "host[0].power.idle", line: 5, "unknown key \"idle\" in a host's power; allowed keys: idle_watts, max_watts"),
        BadCase("duplicate-host.toml", key: "host[1].name", line: 7, "duplicate host name \"hive-01\" (first defined at "),
        BadCase("duplicate-service.toml", key: "service.redis.cache.name", line: 16, "duplicate service name \"redis.cache\" (first defined at "),
        BadCase("duplicate-package.toml", key: "package[1].ident", line: 11, "duplicate package profile \"core/redis\" (first defined at "),
        BadCase("negative-quantity.toml", key: "host[0].capacity.cpu", line: 4, "expected a number of cores such as 2, 0.5 or \"500m\", got a negative value -8"),
        BadCase("unparsable-quantity.toml", key: "host[0].capacity.memory", line: 4, "expected a byte size such as \"64GiB\" or an integer number of bytes, got \"64 gigs\""),
        BadCase("nan-quantity.toml", key: "package[0].requests.cpu", line: 8, "expected a number of cores such as 2, 0.5 or \"500m\", got nan"),
        BadCase("negative-request.toml", key: "service.redis.cache.requests.memory", line: 14, "negative"),
        BadCase("no-profile.toml", key: "service.redis.cache.package", line: 12, "no [[package]] profile matches \"core/redis-cluster/7.2\""),
        BadCase("profile-too-specific.toml", key: "service.redis.cache.package", line: 12, "no [[package]] profile matches \"core/redis\""),
        BadCase("bad-ident.toml", key: "package[0].ident", line: 7, "expected a Habitat package ident origin/name[/version[/release]]"),
        BadCase("request-unknown-dimension.toml", key: "service.redis.cache.requests.gpu", line: 14, "no host has a \"gpu\" capacity"),
        BadCase("placement-unknown-host.toml", key: "placement[0].host", line: 16, "unknown host \"hive-99\"; no [[host]] has this name"),
        BadCase("placement-unknown-service.toml", key: "placement[0].service", line: 17, "unknown service \"redis.sessions\""),
        BadCase("placement-too-many.toml", key: "placement[1].count", line: 23, "placements of service \"redis.cache\" add up to 2 instances, more than its count 1"),
        BadCase("syntax-error.toml", key: "", line: 8, "TOML syntax error"),
        BadCase("bad-state.toml", key: "host[0].state", line: 5, "expected one of \"active\" | \"cordoned\" | \"draining\", got \"maintenance\""),
        BadCase("bad-spread.toml", key: "service.redis.cache.spread", line: 14, "expected a string, got 2"),
        BadCase("bad-count.toml", key: "service.redis.cache.count", line: 13, "expected an integer ≥ 0, got -1"),
        BadCase("bad-count-type.toml", key: "service.redis.cache.count", line: 13, "expected an integer ≥ 0, got \"three\""),
        BadCase("bad-exclusive.toml", key: "service.redis.cache.exclusive", line: 14, "expected true or false, got \"yes\""),
        BadCase("bad-selector.toml", key: "service.redis.cache.selector.gpus", line: 14, "expected a string, got 2"),
        BadCase("bad-labels.toml", key: "host[0].labels", line: 5, "expected a table of strings"),
        BadCase("bad-headroom.toml", key: "policy.headroom", line: 3, "expected a number in (0, 1], got 1.5"),
        BadCase("bad-headroom-zero.toml", key: "policy.headroom.cpu", line: 3, "expected a number in (0, 1], got 0"),
        BadCase("headroom-unknown-dimension.toml", key: "policy.headroom.gpu", line: 3, "unknown dimension \"gpu\"; expected one of the hosts' capacity keys (cpu, memory)"),
        BadCase("bad-objective.toml", key: "policy.objective", line: 3, "expected one of \"hosts\" | \"energy\", got \"cost\""),
        BadCase("bad-supervisor.toml", key: "policy.supervisor", line: 3, "expected one of \"habitat\" | \"systemd\", got \"docker\""),
        BadCase("bad-max-moves.toml", key: "policy.max_moves", line: 3, "expected an integer ≥ 0, got -1"),
        BadCase("bad-max-unavailable.toml", key: "policy.max_unavailable", line: 3, "expected an integer ≥ 1, got 0"),
        BadCase("bad-service-max-unavailable.toml", key: "service.redis.cache.max_unavailable", line: 14, "expected an integer ≥ 1, got 0"),
        BadCase("missing-name.toml", key: "host[0].name", line: 2, "missing required key \"name\""),
        BadCase("carbon-pue.toml", key: "carbon.pue", line: 3, "expected a number ≥ 1.0, got 0.9"),
        BadCase("carbon-grid-intensity.toml", key: "carbon.grid_intensity", line: 3, "expected a number ≥ 0 (gCO2e per kWh), got -5"),
        BadCase("carbon-zone-value.toml", key: "carbon.zones.paris-b", line: 3, "expected a number ≥ 0 (gCO2e per kWh), got \"low\""),
        BadCase("carbon-zone-negative.toml", key: "carbon.zones.paris-b", line: 5, "expected a number ≥ 0 (gCO2e per kWh), got -1"),
        BadCase("carbon-zones-type.toml", key: "carbon.zones", line: 3, "expected a table of zone → gCO2e per kWh"),
        BadCase("carbon-power-curve.toml", key: "carbon.power_curve", line: 3, "expected one of \"linear\" | \"fan\", got \"cubic\""),
        BadCase("carbon-fan-r.toml", key: "carbon.fan_r", line: 4, "expected a number > 1, got 1"),
        BadCase("carbon-off-watts.toml", key: "carbon.off_watts", line: 3, "expected a number ≥ 0, got -10"),
        BadCase("carbon-horizon.toml", key: "carbon.horizon_days", line: 3, "expected a number > 0, got 0"),
        BadCase("power-idle-above-max.toml", key: "host[0].power.idle_watts", line: 5, "expected idle_watts ≤ max_watts, got idle_watts = 500 and max_watts = 400"),
        BadCase("power-negative.toml", key: "host[0].power.idle_watts", line: 6, "expected a number ≥ 0, got -1"),
        BadCase("embodied-negative.toml", key: "host[0].embodied_kgco2e", line: 5, "expected a number ≥ 0, got -100"),
        BadCase("lifetime-zero.toml", key: "host[0].lifetime_years", line: 5, "expected a number > 0, got 0"),
        BadCase("syntax-error.json", key: "", line: 5, "JSON syntax error"),
        BadCase("unknown-key.json", key: "host[0].cpus", line: 6, "unknown key \"cpus\" in [[host]]"),
        BadCase("negative-quantity.json", key: "host[0].capacity.memory", line: 7, "got a negative value -1"),
    ]

    @Test("the error names the file, the line, the key and what was expected", arguments: cases)
    func reports(_ c: BadCase) throws {
        let errors = try #require(Fixtures.errors("bad/" + c.file), "\(c.file) must not load")
        #expect(errors.kind == .data)
        let matching = errors.errors.filter { $0.key == c.key && $0.message.contains(c.fragment) }
        let error = try #require(matching.first, "no error with key \(c.key) and \(c.fragment) in:\n\(errors)")
        #expect(errors.errors.count == 1, "exactly one error expected, got:\n\(errors)")
        #expect(error.file == Fixtures.path("bad/" + c.file))
        #expect(error.line == c.line, "\(error)")
        let rendered = error.description
        #expect(rendered.hasPrefix(Fixtures.path("bad/" + c.file) + (c.line.map { ":\($0): " } ?? ": ")))
        if !c.key.isEmpty { #expect(rendered.contains(": \(c.key): ")) }
        #expect(errors.description.contains(rendered))
    }

    @Test("every bad fixture is covered by a case")
    func everyFixtureCovered() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("bad"))
        #expect(Set(names) == Set(Self.cases.map(\.file)))
    }

    @Test("a missing file or directory is its own kind of error (exit 66)")
    func missingFile() throws {
        let errors = try #require(Fixtures.errors("bad/does-not-exist.toml", "small/basic.toml"))
        #expect(errors.kind == .missingFile)
        #expect(errors.errors.count == 1)
        #expect(errors.errors[0].kind == .missingFile)
        #expect(errors.errors[0].file == Fixtures.path("bad/does-not-exist.toml"))
        #expect(errors.description.contains("does-not-exist.toml: no such file or directory"))
    }

    @Test("a directory without inventory files is an error")
    func emptyDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apiary-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let errors = try #require(loadErrors(paths: [dir.path]))
        #expect(errors.kind == .missingFile)
        #expect(errors.errors[0].message.contains("no *.toml or *.json"))
    }

    @Test("every error in a file is reported, in line order, not just the first")
    func allErrors() throws {
        let text = """
            [policy]
            headroom = 2
            objective = "cost"

            [[host]]
            name = "a"
            capacity = { cpu = -1, memory = "lots" }
            state = "gone"

            [[service]]
            name = "web.prod"
            package = "core/web"
            count = -3
            """
        let errors = try #require(loadErrors(text, name: "many.toml"))
        #expect(errors.errors.map(\.line) == [2, 3, 7, 7, 8, 12, 13])
        #expect(
            errors.errors.map(\.key) == [
                "policy.headroom", "policy.objective", "host[0].capacity.cpu", "host[0].capacity.memory",
                "host[0].state", "service.web.prod.package", "service.web.prod.count",
            ])
        #expect(!errors.truncated)
    }

    @Test("errors are capped at 50, then \"… and N more\"")
    func cap() throws {
        var text = ""
        for i in 0..<60 { text += "[[host]]\nname = \"h\(i)\"\ncapacity = { cpu = \"bad\" }\n" }
        let errors = try #require(loadErrors(text, name: "cap.toml"))
        #expect(errors.errors.count == 50)
        #expect(errors.truncated)
        #expect(errors.omitted == 10)
        #expect(errors.description.hasSuffix("\n… and 10 more"))
        #expect(errors.errors.last?.line == 50 * 3)
    }

    @Test("errors in several files come in load order, each naming its own file")
    func severalFiles() throws {
        let errors = try #require(
            loadErrors(
                texts: ["[[host]]\nname = \"a\"\ncapacity = { cpu = 1 }\nzone = 3\n", "[polcy]\n"],
                names: ["a.toml", "b.toml"]))
        #expect(errors.errors.map(\.description) == [
            "a.toml:4: host[0].zone: expected a string, got 3",
            "b.toml:1: polcy: unknown key \"polcy\" in the top level (did you mean \"policy\"?); allowed keys: policy, carbon, host, package, service, placement",
        ])
    }

    @Test("a key set in two files is an error that points at the first")
    func setTwice() throws {
        let errors = try #require(
            loadErrors(
                texts: ["[policy]\nobjective = \"hosts\"\n", "\n[policy]\nobjective = \"energy\"\n"],
                names: ["a.toml", "b.toml"]))
        #expect(errors.errors.map(\.description) == [
            "b.toml:3: policy.objective: set more than once (first at a.toml:2)"
        ])
    }

    @Test("a service with no profile loads when its requests set every dimension")
    func fullOverrideNeedsNoProfile() throws {
        let text = """
            [[host]]
            name = "a"
            capacity = { cpu = 4, memory = "8GiB" }
            [[service]]
            name = "x.y"
            package = "core/x"
            requests = { cpu = 1 }
            """
        let errors = try #require(loadErrors(text))
        #expect(errors.errors.map(\.key) == ["service.x.y.package"])
        #expect(errors.errors[0].message.contains("missing: memory"))
        #expect(loadErrors(text.replacingOccurrences(of: "{ cpu = 1 }", with: "{ cpu = 1, memory = 0 }")) == nil)
    }
}
