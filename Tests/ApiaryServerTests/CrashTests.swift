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
        let hosts = 2000
        let plan = Fixtures.bigPlan(hosts: hosts, services: 100, count: 60, digest: String(repeating: "c", count: 64))
        let moves = plan.migration!.waves[0].count
        let planPath = dir.path("big.json")
        try JSONEncoder().encode(plan).write(to: URL(fileURLWithPath: planPath))

        /// Starts `apiary apply` and returns once it printed "applying", which it does right
        /// before opening the write transaction.
        func apply() async throws -> Process {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["apply", planPath, "--db", db]
            process.standardOutput = FileHandle.nullDevice
            let pipe = Pipe()
            process.standardError = pipe
            try process.run()
            let handle = pipe.fileHandleForReading
            _ = await Task.detached { () -> Bool in
                var text = ""
                while true {
                    let data = handle.availableData
                    if data.isEmpty { return false }
                    text += String(decoding: data, as: UTF8.self)
                    if text.contains("applying") { return true }
                }
            }.value
            return process
        }

        // One clean run gives the first generation and how long the write takes.
        let first = try await apply()
        let start = ContinuousClock.now
        first.waitUntilExit()
        let window = ContinuousClock.now - start
        #expect(first.terminationStatus == 0)

        var killedBefore = 0
        var killedAfter = 0
        var expected = 1
        for round in 0..<12 {
            let process = try await apply()
            // Kill somewhere inside the write (or just after it): one random moment in each
            // twelfth of 0-1.2 windows, so the early rounds land inside the write even when
            // later writes are faster than the first (which also creates the database), as a
            // CI run once had every one of 12 uniform draws land after the commit.
            try await Task.sleep(for: window * (1.2 * (Double(round) + Double.random(in: 0..<1)) / 12))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let store = try OrderStore(path: db, create: false)
            let latest = try store.latestGeneration()
            #expect(latest == expected || latest == expected + 1, "round \(round): generation \(latest), expected \(expected) or \(expected + 1)")
            if latest == expected { killedBefore += 1 } else { killedAfter += 1 }
            expected = latest
            let (integrity, generations, orders, waveMoves, orphans) = try await store.pool.read { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM generation"),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host_order"),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wave_move"),
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host_order WHERE generation > ?", arguments: [latest])
                )
            }
            #expect(integrity == "ok")
            #expect(generations == latest)
            #expect(orders == latest * hosts)
            #expect(waveMoves == latest * moves)
            #expect(orphans == 0)
        }
        print("crash test: \(killedBefore) kills left the old generation, \(killedAfter) found the new one (write window \(window))")
        #expect(killedBefore > 0)
    }
}
