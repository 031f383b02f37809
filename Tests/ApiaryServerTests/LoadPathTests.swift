import ApiaryStore
import Foundation
import Hummingbird
import Testing

@testable import ApiaryServer

/// The pieces of the server's hot path that the load benchmark (benchmarks/LOAD.md) leans on.
@Suite("Load path")
struct LoadPathTests {
    /// A write that records its batches and can be held.
    final class FakeStore: Sendable {
        let batches = Locked<[[String]]>([])
        let delay: Duration
        /// While true, every write waits (a commit held up by `apply`) until `release()`.
        let held: Locked<Bool>

        init(delay: Duration = .zero, gated: Bool = false) {
            self.delay = delay
            held = Locked(gated)
        }

        func release() { held.withLock { $0 = false } }

        func write(_ reports: [(host: String, generation: Int, body: String)]) async throws {
            if delay > .zero { try await Task.sleep(for: delay) }
            while held.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            batches.withLock { $0.append(reports.map(\.host)) }
        }

        var written: [String] { batches.withLock { $0.flatMap { $0 } } }
    }

    @Test func statusReportsAreCommittedInGroups() async throws {
        let store = FakeStore(delay: .milliseconds(20))
        let writer = StatusWriter(ackDeadline: nil) { try await store.write($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask { try await writer.submit(host: "h\(i)", generation: 1, body: "{}") }
            }
            try await group.waitForAll()
        }
        #expect(Set(store.written) == Set((0..<200).map { "h\($0)" }))
        #expect(store.batches.withLock { $0.count } < 200)
    }

    @Test func aBusyStoreDelaysTheAcknowledgementOnlyUntilTheDeadline() async throws {
        // The commit is held (a long `apply` holding the write lock) until the test releases it;
        // the deadline is 20 ms. Ordering, not wall time, is checked, so a busy test machine
        // cannot fail it: both reports are acknowledged while nothing is written yet.
        let store = FakeStore(gated: true)
        let writer = StatusWriter(ackDeadline: .milliseconds(20)) { try await store.write($0) }
        try await writer.submit(host: "h1", generation: 1, body: "{}")
        // While the commit is overdue, new reports are acknowledged at once and still written.
        try await writer.submit(host: "h2", generation: 1, body: "{}")
        #expect(store.written.isEmpty)
        store.release()
        #expect(try await eventually(timeout: .seconds(10)) { Set(store.written) == ["h1", "h2"] })
    }

    @Test func withoutADeadlineTheAcknowledgementMeansDurable() async throws {
        let store = FakeStore(delay: .milliseconds(300))
        let writer = StatusWriter(ackDeadline: nil) { try await store.write($0) }
        try await writer.submit(host: "h1", generation: 1, body: "{}")
        #expect(store.written == ["h1"])
    }

    @Test func failedCommitsFailTheWaitingRequests() async throws {
        struct Broken: Error {}
        let writer = StatusWriter(ackDeadline: nil) { _ in throw Broken() }
        await #expect(throws: Broken.self) { try await writer.submit(host: "h1", generation: 1, body: "{}") }
    }

    @Test func longPollsAreLabelledApart() {
        typealias M = ApiaryServer.MetricsMiddleware<BasicRequestContext>
        #expect(M.route("/v1/hosts/hive-01/orders") == "/v1/hosts/{host}/orders")
        #expect(M.route("/v1/hosts/hive-01/orders", query: "wait=30") == "/v1/hosts/{host}/orders?wait")
        #expect(M.route("/v1/hosts/hive-01/orders", query: "x=1&wait=30") == "/v1/hosts/{host}/orders?wait")
        #expect(M.route("/v1/hosts/hive-01/status") == "/v1/hosts/{host}/status")
        #expect(M.route("/v1/hosts/hive-01/other") == "other")
        #expect(M.route("/metrics") == "/metrics")
    }

    @Test func longPollsAreHeldWaitPlusAtMostASixteenth() {
        let held = (0..<1000).map { _ in OrderServer.heldFor(wait: 32) }
        #expect(held.allSatisfy { $0 >= .seconds(32) && $0 < .seconds(34) })
        #expect(Set(held).count > 100)
        #expect(OrderServer.heldFor(wait: 0) == .zero)
        // `?wait=5e-324` is a valid positive number whose sixteenth underflows to 0.
        #expect(Double("5e-324")! > 0 && Double("5e-324")! / 16 == 0)
        #expect(OrderServer.heldFor(wait: Double("5e-324")!) == .zero)
    }

    @Test func metricSeriesAreMadeOnce() {
        let metrics = ServerMetrics()
        #expect(metrics.requests(route: "r", method: "GET", status: 200) === metrics.requests(route: "r", method: "GET", status: 200))
        #expect(metrics.latency(route: "r") === metrics.latency(route: "r"))
    }

    @Test func waitsExpireByTheirTickAndOnlyThen() async throws {
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("cache.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        let cache = OrdersCache(store: store, pollInterval: .milliseconds(50), logger: Fixtures.logger)
        try await cache.refresh()
        let loop = Task { try await cache.run() }
        defer { loop.cancel() }
        let generation = cache.snapshot.generation
        let timeouts: [Duration] = [.zero, .milliseconds(10), .milliseconds(120), .milliseconds(300), .milliseconds(300), .milliseconds(700)]
        let held = await withTaskGroup(of: (Duration, Duration).self) { group in
            for timeout in timeouts {
                group.addTask {
                    let start = ContinuousClock.now
                    await cache.waitForChange(from: generation, timeout: timeout)
                    return (timeout, ContinuousClock.now - start)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (timeout, elapsed) in held {
            // Never before the timeout; the upper bound only catches a wait that never expires
            // (a loaded test machine can delay the wake-up by seconds).
            #expect(elapsed >= timeout && elapsed < timeout + .seconds(10), "wait \(timeout) held \(elapsed)")
        }
        #expect(cache.waiting == 0)
        #expect(cache.state.withLock { $0.expiries.isEmpty })
    }
}
