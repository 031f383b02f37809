/// Renames the hosts of a placement among interchangeable hosts (same capacity, labels, zone,
/// active) so that as many instances as possible stay where they run now.
///
/// A from-scratch packing says which instances share a host, not which host: any host of the
/// same class can carry that content with every rule still holding (capacity, selector,
/// spread domain, exclusivity and the package rule only see the host's class and content).
/// Contents are matched greedily to hosts by how many of their instances run there now.
/// - Complexity: O(instances + K log K) for K (content, host) pairs with overlap.
enum HostRelabel {
    /// - Parameter crowded: rename onto the hosts of each class that run the most instances
    ///   now (as many as the class has contents), matched by overlap among those only, and
    ///   return that renaming even when it keeps fewer instances in place as it stands:
    ///   `ReturnHome` can then bring more instances back, since those hosts hold more of them.
    static func relabel(_ problem: Problem, index: ProblemIndex, assignment: [Int], crowded: Bool = false) -> [Int] {
        guard let current = problem.current else { return assignment }
        // Class of each active host; hosts holding pinned instances keep their name.
        var fixed = Set<Int>()
        for (i, h) in index.pinnedHost.enumerated() where h >= 0 {
            fixed.insert(Int(h))
            if assignment[i] >= 0 { fixed.insert(assignment[i]) }
        }
        let classOf = classes(problem, excluding: fixed)
        var isBin = [Bool](repeating: false, count: problem.hosts.count)
        for b in assignment where b >= 0 && classOf[b] >= 0 { isBin[b] = true }
        let bins = problem.hosts.indices.filter { isBin[$0] }
        // Overlap of each used host's content (bin) with each same-class host.
        var overlap = [Int64: Int]()
        for (i, b) in assignment.enumerated() where b >= 0 && classOf[b] >= 0 {
            guard let g = current[i], classOf[g] == classOf[b] else { continue }
            overlap[Int64(b) << 32 | Int64(g), default: 0] += 1
        }
        let pairs = overlap.map { (bin: Int($0.key >> 32), host: Int($0.key & 0xFFFF_FFFF), n: $0.value) }
            .sorted { ($0.n, -$0.bin, -$0.host) > ($1.n, -$1.bin, -$1.host) }
        var target = [Int](repeating: -1, count: problem.hosts.count)  // bin -> host
        var taken = [Bool](repeating: false, count: problem.hosts.count)
        /// Greedy matching by overlap, largest first, of the bins and hosts let through.
        func match(bin binOK: (Int) -> Bool, host hostOK: (Int) -> Bool) {
            for p in pairs where target[p.bin] < 0 && !taken[p.host] && binOK(p.bin) && hostOK(p.host) {
                target[p.bin] = p.host
                taken[p.host] = true
            }
        }
        // The hosts bins may go to (with `crowded`, fewer: see below).
        var allowed = [Bool](repeating: true, count: problem.hosts.count)
        if crowded {
            var running = [Int](repeating: 0, count: problem.hosts.count)
            for case let h? in current { running[h] += 1 }
            // Exclusive tenants first: their host keeps nothing else, so each goes to the host
            // of its class where it keeps the most instances in place less those it sends away
            // (its own host, or one that runs next to nothing now).
            var exclusiveBins = Set<Int>()
            for (i, b) in assignment.enumerated() where b >= 0 && classOf[b] >= 0 && index.isExclusive[Int(index.serviceOfInstance[i])] {
                exclusiveBins.insert(b)
            }
            for b in exclusiveBins.sorted() {
                var best = -1
                var bestScore = Int.min
                for h in problem.hosts.indices where classOf[h] == classOf[b] && !taken[h] {
                    let kept = overlap[Int64(b) << 32 | Int64(h)] ?? 0
                    let score = 2 * kept - running[h]
                    if score > bestScore {
                        (best, bestScore) = (h, score)
                    }
                }
                if best >= 0 {
                    target[b] = best
                    taken[best] = true
                }
            }
            // The other bins of each class go to as many of the hosts left that run the most
            // instances now.
            var need = [Int: Int]()
            for b in bins where target[b] < 0 { need[classOf[b], default: 0] += 1 }
            let ranked = problem.hosts.indices.filter { classOf[$0] >= 0 && !taken[$0] }.sorted {
                running[$0] != running[$1] ? running[$0] > running[$1] : $0 < $1
            }
            for h in problem.hosts.indices where taken[h] { allowed[h] = false }
            for h in ranked {
                allowed[h] = need[classOf[h], default: 0] > 0
                if allowed[h] { need[classOf[h]]! -= 1 }
            }
        }
        match(bin: { _ in true }, host: { allowed[$0] })
        // Bins left over: keep their own host when free, else any free host of their class.
        var freeByClass = [Int: [Int]]()
        for h in problem.hosts.indices.reversed()
        where classOf[h] >= 0 && !taken[h] && allowed[h] && (crowded || !isBin[h]) {
            freeByClass[classOf[h], default: []].append(h)
        }
        for b in bins where target[b] < 0 && !taken[b] && allowed[b] {
            target[b] = b
            taken[b] = true
        }
        for b in bins where target[b] < 0 {
            while let h = freeByClass[classOf[b]]?.popLast() {
                if !taken[h] {
                    target[b] = h
                    taken[h] = true
                    break
                }
            }
            if target[b] < 0 { return assignment }  // cannot happen: classes have as many hosts as bins
        }
        let relabeled = assignment.map { b in b >= 0 && classOf[b] >= 0 ? target[b] : b }
        if crowded { return relabeled }
        let moves = problem.moves(to:)
        // Compare after instances are renumbered to stay where they can, as the waves will be.
        let before = moves(MigrationScheduler.alignInstances(problem, target: assignment))
        let after = moves(MigrationScheduler.alignInstances(problem, target: relabeled))
        return after < before ? relabeled : assignment
    }

    /// Class of each active host not in `excluding` (same capacity, zone and labels: any
    /// content one can carry, another can), -1 for the rest.
    static func classes(_ problem: Problem, excluding: Set<Int>) -> [Int] {
        var classOf = [Int](repeating: -1, count: problem.hosts.count)
        var classes = [String: Int]()
        for (h, host) in problem.hosts.enumerated() where host.state == .active && !excluding.contains(h) {
            let labels = host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let key = "\(host.capacity.values)|\(host.zone ?? "")|\(labels)"
            if let c = classes[key] {
                classOf[h] = c
            } else {
                classOf[h] = classes.count
                classes[key] = classes.count
            }
        }
        return classOf
    }
}
