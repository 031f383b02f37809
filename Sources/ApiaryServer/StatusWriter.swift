import ApiaryStore
import Logging
import Prometheus

/// Writes status reports with group commit: reports that arrive while a transaction is being
/// written are committed together in the next one (at most `maxBatch` per transaction).
///
/// A request normally returns once its report is durable. The store is one SQLite file,
/// though, and `apiary apply` holds its write lock while it writes a generation (hundreds of
/// milliseconds for thousands of hosts), so with `ackDeadline` set a request that has waited
/// that long for its commit is acknowledged anyway: its report stays queued and is committed
/// as soon as the store is free (a crash before then loses it; agents report again). While a
/// commit is overdue, new reports are acknowledged at once, as long as fewer than `maxQueued`
/// reports are waiting; beyond that, requests wait for their commit again (backpressure).
final class StatusWriter: Sendable {
    typealias Write = @Sendable ([(host: String, generation: Int, body: String)]) async throws -> Void

    struct Item {
        var host: String
        var generation: Int
        var body: String
        /// The waiting request (in `State.waiters`), or `nil` when acknowledged already.
        var waiter: UInt64?
    }

    struct State {
        var pending: [Item] = []
        var flushing = false
        /// Requests waiting for their commit.
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var nextID: UInt64 = 0
        /// Reports not yet committed (pending and the batch being written).
        var queued = 0
        /// When the commit in progress started.
        var commitStarted: ContinuousClock.Instant?
        /// The commit in progress is overdue: acknowledge new reports at once.
        var overdue = false
        var watchdogRunning = false
    }

    let write: Write
    let metrics: ServerMetrics?
    let maxBatch: Int
    let ackDeadline: Duration?
    let maxQueued: Int
    let logger: Logger?
    let state = Locked(State())

    convenience init(store: OrderStore, metrics: ServerMetrics? = nil, ackDeadline: Duration? = nil, logger: Logger? = nil) {
        self.init(metrics: metrics, ackDeadline: ackDeadline, logger: logger) { try await store.recordStatuses($0) }
    }

    init(
        metrics: ServerMetrics? = nil, maxBatch: Int = 1024, ackDeadline: Duration? = nil, maxQueued: Int = 10_000,
        logger: Logger? = nil, write: @escaping Write
    ) {
        self.write = write
        self.metrics = metrics
        self.maxBatch = maxBatch
        self.ackDeadline = ackDeadline
        self.maxQueued = maxQueued
        self.logger = logger
    }

    func submit(host: String, generation: Int, body: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let (startFlush, acknowledged) = state.withLock { state -> (Bool, Bool) in
                var item = Item(host: host, generation: generation, body: body, waiter: nil)
                let early = state.overdue && state.queued < maxQueued
                if !early {
                    state.nextID += 1
                    item.waiter = state.nextID
                    state.waiters[state.nextID] = continuation
                }
                state.pending.append(item)
                state.queued += 1
                if state.flushing { return (false, early) }
                state.flushing = true
                return (true, early)
            }
            if startFlush {
                Task { await self.flush() }
            }
            if acknowledged {
                metrics?.statusAcknowledgedEarly.increment()
                continuation.resume()
            }
        }
    }

    private func flush() async {
        while true {
            let (batch, startWatchdog) = state.withLock { state -> (ArraySlice<Item>, Bool) in
                if state.pending.isEmpty {
                    state.flushing = false
                    state.commitStarted = nil
                    return ([], false)
                }
                state.commitStarted = .now
                let startWatchdog = ackDeadline != nil && !state.watchdogRunning
                if startWatchdog { state.watchdogRunning = true }
                if state.pending.count <= maxBatch {
                    defer { state.pending.removeAll(keepingCapacity: true) }
                    return (state.pending[...], startWatchdog)
                }
                defer { state.pending.removeFirst(maxBatch) }
                return (state.pending[..<maxBatch], startWatchdog)
            }
            if batch.isEmpty { return }
            if startWatchdog, let ackDeadline { Task { await self.watchdog(ackDeadline) } }
            let start = ContinuousClock.now
            var failure: (any Error)?
            do {
                try await write(batch.map { ($0.host, $0.generation, $0.body) })
            } catch {
                failure = error
            }
            metrics?.statusCommitDuration.record(ContinuousClock.now - start)
            let (waiting, lost) = state.withLock { state -> ([CheckedContinuation<Void, any Error>], Int) in
                state.queued -= batch.count
                state.overdue = false
                var waiting: [CheckedContinuation<Void, any Error>] = []
                waiting.reserveCapacity(batch.count)
                var lost = 0
                for item in batch {
                    if let id = item.waiter, let continuation = state.waiters.removeValue(forKey: id) {
                        waiting.append(continuation)
                    } else {
                        lost += 1
                    }
                }
                return (waiting, lost)
            }
            if let failure {
                for continuation in waiting { continuation.resume(throwing: failure) }
                if lost > 0 {
                    logger?.error("cannot store \(lost) acknowledged status reports: \(failure)")
                }
            } else {
                metrics?.statusCommits.increment()
                metrics?.statusReportsWritten.increment(by: Int64(batch.count))
                for continuation in waiting { continuation.resume() }
            }
        }
    }

    /// While commits are being written: acknowledges the waiting requests once a commit has
    /// taken longer than `deadline`.
    private func watchdog(_ deadline: Duration) async {
        while true {
            try? await Task.sleep(for: deadline / 2)
            let now = ContinuousClock.now
            let due = state.withLock { state -> [CheckedContinuation<Void, any Error>]? in
                guard state.flushing else {
                    state.watchdogRunning = false
                    return nil
                }
                guard let started = state.commitStarted, now - started >= deadline, state.queued <= maxQueued else { return [] }
                state.overdue = true
                defer { state.waiters.removeAll() }
                return Array(state.waiters.values)
            }
            guard let due else { return }
            if !due.isEmpty {
                metrics?.statusAcknowledgedEarly.increment(by: Int64(due.count))
                for continuation in due { continuation.resume() }
            }
        }
    }
}
