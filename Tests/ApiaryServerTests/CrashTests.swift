import ApiaryCore
@testable import ApiaryStore
import Foundation
import GRDB
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// kill -9 the real `apiary apply` process at random moments and check that the store is
/// always at the old generation or the new one, complete, never in between.
@Suite("Crash safety")
struct CrashTests {
    @Test(.enabled(if: Fixtures.apiaryBinary != nil, "needs the built apiary executable"), .timeLimit(.minutes(2)))
    func killDuringApplyLeavesOldOrNewGeneration() async throws {
        let binary = try #require(Fixtures.apiaryBinary)
        let dir = try TemporaryDirectory()
        let db = dir.path("crash.db")
        let hosts = 3000
        let plan = Fixtures.bigPlan(hosts: hosts, services: 150, count: 100, digest: String(repeating: "c", count: 64))
        let moves = plan.migration!.waves[0].count
        let planPath = dir.path("big.json")
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: planPath))

        func apply() throws -> Process {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["apply", planPath, "--db", db]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }

        // One clean run gives the first generation and the time a full apply takes.
        let start = ContinuousClock.now
        let first = try apply()
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        let full = ContinuousClock.now - start

        var killedBefore = 0
        var killedAfter = 0
        var expected = 1
        for round in 0..<14 {
            let process = try apply()
            // Most of a run is process start and JSON decoding; aim at the rest, where the
            // transaction is written.
            let fraction = Double.random(in: 0.35...1.1)
            try await Task.sleep(for: full * fraction)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let store = try OrderStore(path: db, create: false)
            let latest = try store.latestGeneration()
            #expect(latest == expected || latest == expected + 1, "round \(round): generation \(latest), expected \(expected) or \(expected + 1)")
            if latest == expected { killedBefore += 1 } else { killedAfter += 1 }
            expected = latest
            try store.pool.read { db in
                #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM generation") == latest)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host_order") == latest * hosts)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wave_move") == latest * moves)
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host_order WHERE generation > ?", arguments: [latest]) == 0)
            }
        }
        print("crash test: \(killedBefore) kills left the old generation, \(killedAfter) found the new one (full apply \(full))")
        #expect(killedBefore > 0)
    }
}
