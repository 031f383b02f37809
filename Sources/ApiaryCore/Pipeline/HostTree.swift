/// A segment tree over a fixed sequence of hosts that keeps, per node and dimension, the
/// largest free capacity below it, so "the first host in order with room for this request"
/// costs O(log n) when capacity is what binds (pruning whole subtrees), instead of a scan.
///
/// - Complexity: update O(dims · log n); query O(dims · log n) per host it has to step over.
struct HostTree: Sendable {
    let dims: Int
    /// Host index at each leaf position.
    let hosts: [Int]
    private let size: Int
    /// Max free capacity per node, flat: node * dims + d. Leaves past `hosts.count` hold -1.
    private var maxFree: [Int64]

    /// Per dimension, the smallest request of any service (0 when some service asks for none):
    /// a host with less free than that in some dimension can take nothing, so its leaf is
    /// closed (all -1) and whole runs of full hosts are pruned at once.
    let floor: [Int64]

    init(hosts: [Int], dims: Int, floor: [Int64], free: (Int, Int) -> Int64) {
        self.dims = dims
        self.floor = floor
        self.hosts = hosts
        var size = 1
        while size < max(1, hosts.count) { size <<= 1 }
        self.size = size
        maxFree = Array(repeating: -1, count: 2 * size * dims)
        for (pos, h) in hosts.enumerated() {
            setLeaf(size + pos) { d in free(h, d) }
        }
        var node = size - 1
        while node >= 1 {
            pull(node)
            node -= 1
        }
    }

    private mutating func pull(_ node: Int) {
        let l = 2 * node * dims
        let r = (2 * node + 1) * dims
        let o = node * dims
        for d in 0..<dims { maxFree[o + d] = Swift.max(maxFree[l + d], maxFree[r + d]) }
    }

    private mutating func setLeaf(_ node: Int, free: (Int) -> Int64) {
        var closed = false
        for d in 0..<dims {
            let f = free(d)
            maxFree[node * dims + d] = f
            if f < floor[d] { closed = true }
        }
        if closed { for d in 0..<dims { maxFree[node * dims + d] = -1 } }
    }

    /// Sets the free capacity of the host at leaf `pos`.
    mutating func update(position pos: Int, free: (Int) -> Int64) {
        var node = size + pos
        setLeaf(node, free: free)
        node >>= 1
        while node >= 1 {
            pull(node)
            node >>= 1
        }
    }

    @inline(__always) private func covers(_ node: Int, _ request: UnsafeBufferPointer<Int64>) -> Bool {
        let o = node * dims
        for d in 0..<dims where maxFree[o + d] < request[d] { return false }
        return true
    }

    /// The first leaf position at or after `start` whose free capacity covers `request`
    /// and whose host passes `accept`, or `nil`.
    ///
    /// `budget` caps the nodes visited: per-dimension maxima prune poorly when different hosts
    /// hold the free room of different dimensions, so a search may give up (returning `nil`
    /// with `budget` ≤ 0) rather than walk most of the tree.
    func first(
        from start: Int = 0, covering request: UnsafeBufferPointer<Int64>, budget: inout Int,
        where accept: (Int) -> Bool
    ) -> Int? {
        guard start < hosts.count else { return nil }
        return descend(node: 1, lo: 0, hi: size, start: start, request, &budget, accept)
    }

    private func descend(
        node: Int, lo: Int, hi: Int, start: Int, _ request: UnsafeBufferPointer<Int64>, _ budget: inout Int,
        _ accept: (Int) -> Bool
    ) -> Int? {
        budget -= 1
        if budget < 0 || hi <= start || !covers(node, request) { return nil }
        if hi - lo == 1 {
            return lo < hosts.count && accept(hosts[lo]) ? lo : nil
        }
        let mid = (lo + hi) / 2
        if let r = descend(node: 2 * node, lo: lo, hi: mid, start: start, request, &budget, accept) { return r }
        return descend(node: 2 * node + 1, lo: mid, hi: hi, start: start, request, &budget, accept)
    }
}
