import ApiaryStore
import Logging
import ServiceLifecycle

/// The latest generation's orders in memory, and the long polls waiting for the next one.
///
/// A background loop (``run()``) asks the store for its latest generation every
/// `pollInterval` (one indexed `MAX(id)`); when it changed, it loads that generation's orders
/// and wakes every waiter. The same loop expires waiters whose time is up, so a long poll
/// costs one dictionary entry and no timer of its own.
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
    }

    let store: OrderStore
    let pollInterval: Duration
    let logger: Logger
    let state = Locked(State())

    public init(store: OrderStore, pollInterval: Duration, logger: Logger) {
        self.store = store
        self.pollInterval = pollInterval
        self.logger = logger
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
        let woken: [Waiter] = state.withLock { state in
            state.snapshot = Snapshot(generation: latest, orders: orders)
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.continuation.resume() }
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
            expireWaiters()
            try? await Task.sleep(for: pollInterval)
        }
        // Release every long poll so the server can drain.
        let all = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in all { waiter.continuation.resume() }
    }

    func expireWaiters() {
        let now = ContinuousClock.now
        let expired: [Waiter] = state.withLock { state in
            state.lastTick = now
            var expired: [Waiter] = []
            for (id, waiter) in state.waiters where waiter.deadline <= now {
                expired.append(waiter)
                state.waiters[id] = nil
            }
            return expired
        }
        for waiter in expired { waiter.continuation.resume() }
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
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    state.registering.remove(id)
                    if state.snapshot.generation != generation || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = Waiter(continuation: continuation, deadline: deadline)
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
