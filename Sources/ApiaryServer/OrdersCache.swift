import ApiaryStore
import Logging
import ServiceLifecycle

/// The latest generation's orders in memory, and the long polls waiting for the next one.
///
/// A background loop (``run()``) asks the store for its latest generation every
/// `pollInterval` (one indexed `MAX(id)`); when it changed, it loads that generation's orders
/// and wakes every waiter. The same loop expires waiters whose time is up, so a long poll
/// costs one dictionary entry and no timer of its own: waiters are also filed by the tick in
/// which they expire, so a tick touches only the waiters that expire in it, not all of them.
///
/// After a new generation is swapped in (and the burst of woken polls is answered), the loop
/// returns the heap's free pages to the kernel (``Memory/trim()``).
public final class OrdersCache: Service, Sendable {
    public struct Snapshot: Sendable {
        public var generation: Int
        public var orders: [String: StoredOrders]
    }

    struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        var deadline: ContinuousClock.Instant
    }

    struct State {
        var snapshot = Snapshot(generation: 0, orders: [:])
        var waiters: [UInt64: Waiter] = [:]
        /// Ids between `waitForChange` entry and registration, and those cancelled in that window.
        var registering: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
        var lastTick = ContinuousClock.now
        /// Waiter ids by the tick (``OrdersCache/tick(of:)``) at the end of which they expire;
        /// ids of waiters already woken are skipped when their tick comes.
        var expiries: [Int64: [UInt64]] = [:]
        /// The last tick whose waiters were expired.
        var expiredThrough: Int64 = 0
        /// When to trim the heap (a little after a generation swap).
        var trimAt: ContinuousClock.Instant?
    }

    let store: OrderStore
    let pollInterval: Duration
    let logger: Logger
    let state = Locked(State())
    let epoch = ContinuousClock.now
    /// How long after a generation swap the heap is trimmed (`nil`: never).
    let trimDelay: Duration?

    public init(store: OrderStore, pollInterval: Duration, logger: Logger, trimDelay: Duration? = .seconds(3)) {
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
        self.trimDelay = trimDelay
    }

    /// How many waiters are resumed between two yields when a new generation wakes them all.
    static let wakeSlice = 200

    /// The number of whole poll intervals from `epoch` to `instant` (rounded down, or up).
    func tick(of instant: ContinuousClock.Instant, roundingUp: Bool = false) -> Int64 {
        let ticks = (instant - epoch) / pollInterval
        return Int64(roundingUp ? ticks.rounded(.up) : ticks.rounded(.down))
    }

    public var snapshot: Snapshot { state.withLock { $0.snapshot } }
    public var waiting: Int { state.withLock { $0.waiters.count } }
    /// When the loop last completed a round; the watchdog pings only while this is recent.
    var lastTick: ContinuousClock.Instant { state.withLock { $0.lastTick } }

    /// Loads the latest generation now (before the server accepts requests).
    public func refresh() async throws {
        let latest = try await store.latestGenerationAsync()
        // A successful read of the store counts as a tick of liveness (health, watchdog).
        state.withLock { $0.lastTick = ContinuousClock.now }
        guard latest != snapshot.generation else { return }
        let orders = try await store.orders(generation: latest)
        let trimAt = trimDelay.map { ContinuousClock.now + $0 }
        let woken: [Waiter] = state.withLock { state in
            state.snapshot = Snapshot(generation: latest, orders: orders)
            state.trimAt = trimAt
            defer {
                state.waiters.removeAll()
                state.expiries.removeAll()
            }
            return Array(state.waiters.values)
        }
        await Self.resume(woken)
        Systemd.notify("STATUS=serving generation \(latest) to \(orders.count) hosts")
        logger.info("serving generation \(latest)", metadata: ["hosts": "\(orders.count)", "woken": "\(woken.count)"])
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                try await refresh()
            } catch {
                logger.error("cannot read the store: \(error)")
            }
            await expireWaiters()
            trimIfDue()
            try? await Task.sleep(for: pollInterval)
        }
        // Release every long poll so the server can drain.
        let all = state.withLock { state in
            defer {
                state.waiters.removeAll()
                state.expiries.removeAll()
            }
            return Array(state.waiters.values)
        }
        for waiter in all { waiter.continuation.resume() }
    }

    /// Resumes `waiters` a slice at a time: each resumed poll is a job on the concurrency pool,
    /// and yielding between slices lets requests that arrive meanwhile (status posts) run
    /// between them instead of behind all of them (5,000 at a new generation, and again when
    /// that herd's waits all expire in the same tick).
    static func resume(_ waiters: [Waiter]) async {
        for (index, waiter) in waiters.enumerated() {
            waiter.continuation.resume()
            if index % wakeSlice == wakeSlice - 1 { await Task.yield() }
        }
    }

    func expireWaiters() async {
        let now = ContinuousClock.now
        let through = tick(of: now)
        let expired: [Waiter] = state.withLock { state in
            state.lastTick = now
            var expired: [Waiter] = []
            if state.expiredThrough < through, !state.expiries.isEmpty {
                for tick in (state.expiredThrough + 1)...through {
                    guard let ids = state.expiries.removeValue(forKey: tick) else { continue }
                    for id in ids {
                        if let waiter = state.waiters.removeValue(forKey: id) { expired.append(waiter) }
                    }
                }
            }
            state.expiredThrough = max(state.expiredThrough, through)
            return expired
        }
        await Self.resume(expired)
    }

    func trimIfDue() {
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            guard let at = state.trimAt, at <= now else { return false }
            state.trimAt = nil
            return true
        }
        guard due else { return }
        let start = ContinuousClock.now
        let released = Memory.trim()
        logger.debug("trimmed the heap", metadata: ["released": "\(released)", "took": "\(ContinuousClock.now - start)"])
    }

    /// Returns when the served generation differs from `generation`, when `timeout` has
    /// passed (to within one poll interval), or when the task is cancelled.
    public func waitForChange(from generation: Int, timeout: Duration) async {
        let id = state.withLock { state in
            state.nextID += 1
            state.registering.insert(state.nextID)
            return state.nextID
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let expiresIn = tick(of: deadline, roundingUp: true)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    state.registering.remove(id)
                    if state.snapshot.generation != generation || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
                    // A tick already expired would never come round again: file it in the next.
                    state.expiries[max(expiresIn, state.expiredThrough + 1), default: []].append(id)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                if state.registering.contains(id) { state.cancelled.insert(id) }
                return nil
            }
            waiter?.continuation.resume()
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
