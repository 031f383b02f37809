import ApiaryStore

/// Writes status reports with group commit: reports that arrive while a transaction is being
/// written are committed together in the next one, and each request returns only once its
/// report is durable.
final class StatusWriter: Sendable {
    struct Item {
        var host: String
        var generation: Int
        var body: String
        var continuation: CheckedContinuation<Void, any Error>
    }

    struct State {
        var pending: [Item] = []
        var flushing = false
    }

    let store: OrderStore
    let state = Locked(State())

    init(store: OrderStore) {
        self.store = store
    }

    func submit(host: String, generation: Int, body: String) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { state -> Bool in
                state.pending.append(Item(host: host, generation: generation, body: body, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if start {
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while true {
            let batch = state.withLock { state -> [Item] in
                if state.pending.isEmpty {
                    state.flushing = false
                    return []
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            if batch.isEmpty { return }
            do {
                try await store.recordStatuses(batch.map { ($0.host, $0.generation, $0.body) })
                for item in batch { item.continuation.resume() }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
    }
}
