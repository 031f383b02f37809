/// A segment tree over a fixed sequence of hosts that keeps, per node, the largest free
/// capacity below it, so "the first host in order with room for this request" costs
/// O(log n) when capacity is what binds (pruning whole subtrees), instead of a scan.
///
/// Per-dimension maxima alone prune poorly once many hosts are nearly full in different
/// dimensions (one has cpu left, another memory, and the node above "covers" a request
/// neither host takes). So each inner node keeps a staircase instead: every host falls in one
/// of a few bands by its free capacity in the key dimension (dimension 0; band edges given by
/// the caller), and for every band `k` the node keeps the per-dimension maxima over the hosts
/// below it in band `k` or higher. A request in band `k` is checked against those maxima, so
/// hosts with less free than the request's band in the key dimension no longer lift the other
/// dimensions' maxima. The pruning stays exact (a host that takes the request is never
/// pruned): a search without a budget finds the host a scan in order would.
///
/// - Complexity: update O(bands · dims · log n); query O(dims · log n) per host it has to step over.
struct HostTree: Sendable {
    let dims: Int
    /// Host index at each leaf position.
    let hosts: [Int]
    private let size: Int
    /// Bands of the key dimension (1: plain per-dimension maxima).
    private let bands: Int
    /// Lower edges of bands 1..<bands in the key dimension, increasing.
    private let edges: [Int64]
    /// Values per inner node: bands × dims.
    private let stride: Int
    /// Per inner node (1..<size), band and dimension, flat: (node * bands + k) * dims + d: the
    /// max free capacity over the hosts below the node whose band is ≥ k; -1 when there is none.
    private var maxFree: [Int64]
    /// Free capacity per leaf position, flat: pos * dims + d; -1 in every dimension for a
    /// closed leaf and for positions past `hosts.count`.
    private var leafFree: [Int64]
    /// Band of each leaf position's free key-dimension capacity; -1 when closed or padding.
    private var leafBand: [Int32]

    /// Per dimension, the smallest request of any service (0 when some service asks for none):
    /// a host with less free than that in some dimension can take nothing, so its leaf is
    /// closed (all -1) and whole runs of full hosts are pruned at once.
    let floor: [Int64]

    /// - Parameter edges: lower edges of the key-dimension bands above the first (increasing;
    ///   any values keep the search exact; edges where requests lie prune best).
    init(hosts: [Int], dims: Int, floor: [Int64], edges: [Int64] = [], free: (Int, Int) -> Int64) {
        self.dims = dims
        self.floor = floor
        self.hosts = hosts
        var size = 1
        while size < max(1, hosts.count) { size <<= 1 }
        self.size = size
        self.edges = dims >= 2 ? edges : []
        let bands = self.edges.count + 1
        self.bands = bands
        stride = bands * dims
        maxFree = Array(repeating: -1, count: size * bands * dims)
        leafFree = Array(repeating: -1, count: size * dims)
        leafBand = Array(repeating: -1, count: size)
        for (pos, h) in hosts.enumerated() {
            setLeaf(pos) { d in free(h, d) }
        }
        var node = size - 1
        while node >= 1 {
            _ = pull(node)
            node -= 1
        }
    }

    /// Number of edges ≤ x (monotone in x).
    @inline(__always) private func band(_ x: Int64) -> Int {
        var lo = 0
        var hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Recomputes inner `node` from its children; returns whether it changed.
    private mutating func pull(_ node: Int) -> Bool {
        let stride = stride
        let dims = dims
        let half = size >> 1
        if node >= half {
            // Children are leaves: spread each over the bands up to its own.
            let l = 2 * node - size
            let r = l + 1
            return leafFree.withUnsafeBufferPointer { f in
                leafBand.withUnsafeBufferPointer { b in
                    maxFree.withUnsafeMutableBufferPointer { m in
                        let lb = Int(b[l])
                        let rb = Int(b[r])
                        var diff: Int64 = 0
                        for k in 0..<bands {
                            let o = node * stride + k * dims
                            for d in 0..<dims {
                                let v = Swift.max(k <= lb ? f[l * dims + d] : -1, k <= rb ? f[r * dims + d] : -1)
                                diff |= m[o + d] ^ v
                                m[o + d] = v
                            }
                        }
                        return diff != 0
                    }
                }
            }
        }
        return maxFree.withUnsafeMutableBufferPointer { m in
            let o = node * stride
            let l = 2 * node * stride
            let r = l + stride
            var diff: Int64 = 0
            for j in 0..<stride {
                let v = Swift.max(m[l + j], m[r + j])
                diff |= m[o + j] ^ v
                m[o + j] = v
            }
            return diff != 0
        }
    }

    private mutating func setLeaf(_ pos: Int, free: (Int) -> Int64) {
        var closed = false
        for d in 0..<dims {
            let f = free(d)
            leafFree[pos * dims + d] = f
            if f < floor[d] { closed = true }
        }
        if closed || dims == 0 {
            for d in 0..<dims { leafFree[pos * dims + d] = -1 }
            leafBand[pos] = -1
        } else {
            leafBand[pos] = Int32(band(leafFree[pos * dims]))
        }
    }

    /// Sets the free capacity of the host at leaf `pos` (one value per dimension).
    mutating func update(position pos: Int, free: [Int64]) {
        setLeaf(pos) { d in free[d] }
        // Ancestors change only while their maxima do.
        var node = (size + pos) >> 1
        while node >= 1, pull(node) { node >>= 1 }
    }

    /// The first leaf position at or after `start` whose free capacity covers `request`
    /// and whose host passes `accept`, or `nil`.
    ///
    /// `budget` caps the nodes visited: when hosts hold their free room in different
    /// dimensions pruning is weaker, so a search may give up (returning `nil` with
    /// `budget` < 0) rather than walk most of the tree.
    func first(
        from start: Int = 0, covering request: UnsafeBufferPointer<Int64>, budget: inout Int,
        where accept: (Int) -> Bool
    ) -> Int? {
        var search = search(from: start, covering: request)
        while let pos = next(&search, covering: request, budget: &budget) {
            if accept(hosts[pos]) { return pos }
        }
        return nil
    }

    /// Where a depth-first, left-to-right search stands: `node` covers leaves lo..<lo+width.
    struct Search {
        fileprivate var node = 1
        fileprivate var lo = 0
        fileprivate var width: Int
        fileprivate let start: Int
        /// Offset of the request's band within a node's values.
        fileprivate let offset: Int
        /// The search stopped at a leaf it returned: resume past it.
        fileprivate var resume = false
        fileprivate var done: Bool
    }

    /// A search for leaves at or after `start` that cover `request` (see `next`).
    func search(from start: Int = 0, covering request: UnsafeBufferPointer<Int64>) -> Search {
        Search(
            width: size, start: start, offset: (dims > 0 ? band(request[0]) : 0) * dims,
            done: start >= hosts.count)
    }

    /// The next leaf position, in order, whose free capacity covers `request`, or `nil` when
    /// there is none or `budget` (nodes visited, counted across calls) ran out (then < 0).
    /// Callers test the host themselves and call again to go on: `first(from:covering:budget:where:)`
    /// with the test inlined, and no closure capturing what the test reads.
    func next(_ search: inout Search, covering request: UnsafeBufferPointer<Int64>, budget: inout Int) -> Int? {
        if search.done { return nil }
        let dims = dims
        let count = hosts.count
        let size = size
        let stride = stride
        let start = search.start
        let offset = search.offset
        var node = search.node
        var lo = search.lo
        var width = search.width
        var resume = search.resume
        let found: Int? = maxFree.withUnsafeBufferPointer { m -> Int? in
            leafFree.withUnsafeBufferPointer { f -> Int? in
                while true {
                    if resume {
                        // Next subtree to the right: climb while this is a right child.
                        while node & 1 == 1 {
                            if node == 1 { return nil }
                            node >>= 1
                            width <<= 1
                            lo -= width >> 1
                        }
                        node += 1
                        lo += width
                        resume = false
                    }
                    budget -= 1
                    if budget < 0 { return nil }
                    var enter = lo + width > start
                    if enter {
                        let o = node < size ? node * stride + offset : lo * dims
                        let values = node < size ? m : f
                        for d in 0..<dims where values[o + d] < request[d] {
                            enter = false
                            break
                        }
                    }
                    if enter {
                        if width > 1 {
                            node <<= 1
                            width >>= 1
                            continue
                        }
                        if lo < count { return lo }
                    }
                    resume = true
                }
            }
        }
        search.node = node
        search.lo = lo
        search.width = width
        search.resume = true
        if found == nil { search.done = true }
        return found
    }
}
