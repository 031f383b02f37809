import ApiaryCore
import ApiaryInventory
import Foundation
import Testing

@Suite struct HabitatCensusTests {
    private func data(_ name: String) throws -> (data: Data, file: String) {
        let path = Fixtures.path("habitat/" + name)
        return (try Data(contentsOf: URL(fileURLWithPath: path)), path)
    }

    private func triples(_ r: HabitatCensus.Result) -> [String] {
        r.placements.map { "\($0.host) \($0.service) \($0.count)" }
    }

    @Test func censusAloneCountsAliveMembers() throws {
        let importer = HabitatCensus(shortHostnames: true)
        let c = try data("census.json")
        let census = try importer.parseCensus(c.data, file: c.file)
        #expect(census.skipped == 2, "one departed, one dead")
        let r = importer.merge(census: census, services: [])
        #expect(triples(r) == [
            "hive-01 analytics.prod 1", "hive-01 redis.cache 1",
            "hive-02 analytics.prod 1", "hive-02 redis.cache 1",
            "hive-03 analytics.prod 1", "hive-03 web.prod 1",
        ])
        #expect(census.members.first { $0.serviceGroup == "redis.cache" }?.package == "core/redis/7.2.4/20260301101500")
    }

    @Test func fullHostnamesByDefault() throws {
        let c = try data("census.json")
        let census = try HabitatCensus().parseCensus(c.data, file: c.file)
        #expect(census.members.allSatisfy { $0.host.hasSuffix(".smartbee.internal") })
    }

    @Test func servicesOverrideTheCensusPerHost() throws {
        let importer = HabitatCensus(shortHostnames: true)
        let c = try data("census.json")
        let s1 = try data("services-hive-01.json")
        let s2 = try data("services-hive-02.json")
        let hs1 = try importer.parseServices(s1.data, file: s1.file)
        #expect(hs1.host == "hive-01")
        let r = importer.merge(
            census: try importer.parseCensus(c.data, file: c.file),
            services: [hs1, try importer.parseServices(s2.data, file: s2.file)])
        #expect(triples(r) == [
            "hive-01 analytics.prod 1", "hive-01 redis.cache 1", "hive-01 web.prod 1",
            "hive-02 redis.cache 1",
            "hive-03 analytics.prod 1", "hive-03 web.prod 1",
        ])
        #expect(r.warnings.contains { $0.contains("hive-01: web.prod runs per /services but is not in the census") })
        #expect(r.warnings.contains { $0.contains("hive-02: analytics.prod is in the census but desired Down") })
        #expect(r.warnings.contains { $0.contains("2 census members are dead or departed") })
    }

    /// The TOML output loads with the inventory it was made for, as its current placement.
    @Test func outputLoadsAsCurrentPlacement() throws {
        let importer = HabitatCensus(shortHostnames: true)
        let (toml, _) = try importer.placementTOML(
            census: try data("census.json"), services: [try data("services-hive-01.json"), try data("services-hive-02.json")])
        #expect(toml.contains("[[placement]]\nhost = \"hive-01\"\nservice = \"web.prod\"\ncount = 1\n"))
        #expect(toml.hasPrefix("# Current placement imported from Habitat"))
        let inv = try InventoryLoader().load(
            texts: [try String(contentsOfFile: Fixtures.path("habitat/inventory.toml"), encoding: .utf8), toml],
            names: ["inventory.toml", "placement.toml"])
        #expect(inv.hasCurrentPlacement)
        let current = try #require(inv.problem.current)
        #expect(current.compactMap { $0 }.count == 6)
    }

    @Test func errorsNameFileAndKeyPath() throws {
        let importer = HabitatCensus()
        let bad = Data(#"{"census_groups":{"redis.cache":{"population":{"abc":{"alive":1,"sys":{}}}}}}"#.utf8)
        #expect(throws: InventoryError.self) { try importer.parseCensus(bad, file: "census.json") }
        do {
            _ = try importer.parseCensus(bad, file: "census.json")
        } catch {
            #expect(error.description == "census.json: census_groups.redis.cache.population.abc.alive: expected true or false, found a number")
        }
        let noHost = Data(#"{"census_groups":{"redis.cache":{"population":{"abc":{"alive":true,"sys":{}}}}}}"#.utf8)
        do {
            _ = try importer.parseCensus(noHost, file: "c.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "census_groups.redis.cache.population.abc.sys.hostname")
        }
        do {
            _ = try importer.parseCensus(Data("[1,".utf8), file: "c.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.file == "c.json" && error.message.hasPrefix("not valid JSON"))
        }
        do {
            _ = try importer.parseCensus(Data("{}".utf8), file: "c.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "census_groups")
        }
        let svc = Data(#"[{"service_group":"a.b","sys":{"hostname":"h"},"desired_state":"Sideways"}]"#.utf8)
        do {
            _ = try importer.parseServices(svc, file: "s.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == #"s.json: [0].desired_state: expected "Up" or "Down", found "Sideways""#)
        }
    }
}
