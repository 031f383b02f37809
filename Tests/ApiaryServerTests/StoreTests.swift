import ApiaryCore
@testable import ApiaryStore
import Foundation
import GRDB
import Testing

@Suite("Order store")
struct StoreTests {
    @Test func applyRecordsOrdersPerHostAndWaves() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("a.db"), create: true)
        let info = try store.apply(try Fixtures.plan("three-hosts-a.json"))
        #expect(info.generation == 1)
        #expect(info.hosts == 3)
        #expect(info.instances == 6)
        #expect(info.waves == 1)
        let hive01 = try #require(try store.orders(host: "hive-01", generation: 1))
        #expect(hive01.services.map(\.service) == ["analytics.prod", "cache.prod", "web.prod"])
        #expect(hive01.services[0].package == "smartbee/analytics/2.3.1/20240301120000")
        #expect(hive01.services[0].requests["cpu"] == 2)
        #expect(try store.orders(host: "hive-03", generation: 1)?.services.map(\.instances) == [[2]])
        #expect(try store.waves(generation: 1).first?.count == 6)
        // WAL mode, as promised.
        let mode = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func missingStoreIsAnError() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: StoreError.missingDatabase(path: dir.path("nope.db"))) {
            try OrderStore(path: dir.path("nope.db"), create: false)
        }
    }

    @Test func historyAndRollback() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("h.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        try store.apply(try Fixtures.plan("three-hosts-b.json"))
        let back = try store.rollback(to: 1)
        #expect(back.generation == 3)
        #expect(back.kind == "rollback")
        #expect(back.rollbackOf == 1)
        let history = try store.history()
        #expect(history.map(\.generation) == [1, 2, 3])
        #expect(history.map(\.kind) == ["apply", "apply", "rollback"])
        // Same orders as generation 1, under generation 3.
        var one = try #require(try store.orders(host: "hive-01", generation: 1))
        let three = try #require(try store.orders(host: "hive-01", generation: 3))
        one.generation = 3
        #expect(one == three)
        #expect(throws: StoreError.unknownGeneration(9)) { try store.rollback(to: 9) }
    }

    @Test func checkGenerationRefusesAStalePlan() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("c.db"), create: true)
        let a = try Fixtures.plan("three-hosts-a.json")
        #expect(throws: StoreError.staleGeneration(expected: 3, latest: 0)) {
            try store.apply(a, options: ApplyOptions(checkGeneration: 3))
        }
        try store.apply(a, options: ApplyOptions(checkGeneration: 0))
        let b = try Fixtures.plan("three-hosts-b.json")
        #expect(throws: StoreError.staleGeneration(expected: 0, latest: 1)) {
            try store.apply(b, options: ApplyOptions(checkGeneration: 0))
        }
        try store.apply(b, options: ApplyOptions(checkGeneration: 1))
        #expect(throws: StoreError.staleGeneration(expected: 1, latest: 2)) {
            try store.rollback(to: 1, options: ApplyOptions(checkGeneration: 1))
        }
        let forced = try store.apply(b, options: ApplyOptions(checkGeneration: 0, force: true))
        #expect(forced.forced)
        #expect(try store.latestGeneration() == 3)
    }

    @Test func planFromAReplacedInventoryIsRefused() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("i.db"), create: true)
        let a = try Fixtures.plan("three-hosts-a.json")
        let b = try Fixtures.plan("three-hosts-b.json")
        try store.apply(a)
        try store.apply(a)  // re-planning the same inventory is fine
        try store.apply(b)  // a new inventory is fine
        #expect(throws: StoreError.olderInventory(digest: a.inventory!.digest, seenIn: 2, latest: 3, latestDigest: b.inventory!.digest)) {
            try store.apply(a)
        }
        #expect(try store.latestGeneration() == 3)
        try store.apply(a, options: ApplyOptions(force: true))
        #expect(try store.latestGeneration() == 4)
    }

    @Test func planWithAnUnknownServiceIsRefusedAndLeavesNoTrace() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("u.db"), create: true)
        var plan = try Fixtures.plan("three-hosts-a.json")
        plan.assignments.append(.init(service: "ghost.prod", instance: 0, host: "hive-02"))
        #expect(throws: StoreError.self) { try store.apply(plan) }
        #expect(try store.latestGeneration() == 0)
        let rows = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host_order") }
        #expect(rows == 0)
    }

    @Test func tokensStoreOnlyAHash() throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("t.db"), create: true)
        let issued = try store.issueToken(role: .host("hive-01"))
        let (id, secret) = try #require(TokenFormat.parse(Substring(issued.token)))
        #expect(String(id) == issued.id)
        let record = try #require(try store.tokens().first)
        #expect(record.secretSHA256 == TokenFormat.hash(secret: secret))
        let raw = try Data(contentsOf: URL(fileURLWithPath: dir.path("t.db")))
            + ((try? Data(contentsOf: URL(fileURLWithPath: dir.path("t.db-wal")))) ?? Data())
        #expect(raw.range(of: Data(secret.utf8)) == nil)
        try store.revokeToken(id: issued.id)
        #expect(try store.tokens().first?.revoked == true)
        #expect(TokenFormat.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!TokenFormat.constantTimeEquals([1, 2, 3], [1, 2, 4]))
    }

    @Test func statusReportsAreKeptPerHostAndGeneration() async throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("s.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        try store.apply(try Fixtures.plan("three-hosts-b.json"))
        try await store.recordStatus(host: "hive-01", generation: 1, body: #"{"generation":1,"services":[]}"#)
        try await store.recordStatus(host: "hive-01", generation: 2, body: #"{"generation":2,"services":[{"service":"web.prod","state":"running"}]}"#)
        #expect(try store.report(host: "hive-01", generation: 1)?.services.isEmpty == true)
        #expect(try store.report(host: "hive-01", generation: 2)?.services.first?.state == "running")
        #expect(try store.latestReports().map(\.generation) == [2])
    }
}
