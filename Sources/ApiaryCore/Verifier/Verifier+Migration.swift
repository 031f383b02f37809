extension Verifier {
    /// Maps the document's waves to instance ids and checks them against the wave rules.
    func verifyMigrationDocument(
        _ migration: PlanDocument.Migration, assignment: [Int], offset: [Int],
        hostIndex: [String: Int], serviceIndex: [String: Int]
    ) -> [Violation] {
        var out = [Violation]()
        guard problem.current != nil else {
            if !migration.waves.isEmpty {
                out.append(.init(.migration, "the plan has waves but the inventory has no current placement"))
            }
            return out
        }
        var waves = [[Move]]()
        for (w, wave) in migration.waves.enumerated() {
            var moves = [Move]()
            for m in wave {
                guard let s = serviceIndex[m.service], m.instance >= 0, m.instance < problem.services[s].count else {
                    out.append(.init(.migration, "wave \(w + 1): unknown instance \(m.service)[\(m.instance)]"))
                    continue
                }
                guard let to = hostIndex[m.to] else {
                    out.append(.init(.migration, "wave \(w + 1): \(m.service)[\(m.instance)] goes to unknown host \(m.to)"))
                    continue
                }
                var from: Int? = nil
                if let name = m.from {
                    guard let h = hostIndex[name] else {
                        out.append(.init(.migration, "wave \(w + 1): \(m.service)[\(m.instance)] comes from unknown host \(name)"))
                        continue
                    }
                    from = h
                }
                moves.append(Move(instance: offset[s] + m.instance, from: from, to: to))
            }
            waves.append(moves)
        }
        let spares = (migration.spareHosts ?? []).compactMap { hostIndex[$0] }
        out += WaveVerifier.verify(
            problem: problem, current: problem.current!, target: assignment, waves: waves, spareHosts: spares
        ).map { Violation(.migration, $0.description) }
        return out
    }
}
