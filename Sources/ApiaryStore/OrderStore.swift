import ApiaryCore
import Foundation
import GRDB

/// The durable, versioned store of placement orders: one SQLite file (WAL mode) through GRDB.
///
/// Every `apply` or `rollback` writes one *generation* (the plan, its summary, one order per
/// host and the migration waves) in a single transaction, so a crash at any point leaves the
/// store at the previous generation or the new one, never in between. Generations are never
/// modified or deleted; a rollback is a new generation equal to an older one.
public final class OrderStore: Sendable {
    public let path: String
    let pool: DatabasePool

    /// Opens (and migrates) the store at `path`.
    ///
    /// - Parameter create: create the file when it does not exist; otherwise a missing file is
    ///   ``StoreError/missingDatabase(path:)``.
    public init(path: String, create: Bool) throws(StoreError) {
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw .missingDatabase(path: path)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // NORMAL is crash-safe in WAL mode (a process crash loses nothing committed);
            // generations are written with FULL, see `writeGeneration`.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Migrations.migrator.migrate(pool)
        } catch {
            throw .database(path: path, message: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "\(error)")"
        }
        return "\(error)"
    }

    func wrap<T>(_ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(path: path, message: Self.describe(error))
        }
    }

    func wrapAsync<T>(_ body: () async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw .database(path: path, message: Self.describe(error))
        }
    }
}

// MARK: - Generations

/// How `apply` checks that a plan is not stale.
public struct ApplyOptions: Sendable {
    /// The generation the operator (or the plan's `base_generation`) expects to be the latest;
    /// like Nomad's `-check-index`. `0` means "the store must be empty".
    public var checkGeneration: Int?
    /// Skip both staleness checks (recorded in the generation).
    public var force: Bool
    public var note: String?

    public init(checkGeneration: Int? = nil, force: Bool = false, note: String? = nil) {
        self.checkGeneration = checkGeneration
        self.force = force
        self.note = note
    }
}

/// One row of `apiary history`.
public struct GenerationInfo: Sendable, Equatable, Codable {
    public var generation: Int
    public var createdAt: String
    /// `apply` or `rollback`.
    public var kind: String
    public var rollbackOf: Int?
    public var baseGeneration: Int?
    public var forced: Bool
    public var inventoryDigest: String?
    public var hosts: Int
    public var instances: Int
    public var moves: Int
    public var waves: Int
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case generation, kind, forced, hosts, instances, moves, waves, note
        case createdAt = "created_at", rollbackOf = "rollback_of", baseGeneration = "base_generation"
        case inventoryDigest = "inventory_digest"
    }
}

extension GenerationInfo: FetchableRecord {
    public init(row: Row) {
        generation = row["id"]
        createdAt = row["created_at"]
        kind = row["kind"]
        rollbackOf = row["rollback_of"]
        baseGeneration = row["base_generation"]
        forced = row["forced"]
        inventoryDigest = row["inventory_digest"]
        hosts = row["hosts"]
        instances = row["instances"]
        moves = row["moves"]
        waves = row["waves"]
        note = row["note"]
    }
}

extension OrderStore {
    /// Records `plan` as a new generation, after the staleness rules (README of the store):
    ///
    /// 1. If `options.checkGeneration` is set, it must equal the latest generation (0 when empty).
    /// 2. If the plan's inventory digest differs from the latest generation's but equals the digest
    ///    of an earlier generation, the plan was made from an inventory that has since been
    ///    replaced: refused.
    ///
    /// `options.force` skips both. - Returns: the new generation.
    @discardableResult
    public func apply(_ plan: PlanDocument, options: ApplyOptions = ApplyOptions(), planJSON: Data? = nil)
        throws(StoreError) -> GenerationInfo
    {
        let json: Data
        if let planJSON { json = planJSON } else { json = try Self.encode(plan) }
        return try writeGeneration(plan: plan, planJSON: json, kind: "apply", rollbackOf: nil, options: options) {
            db, latest in
            guard !options.force, let digest = plan.inventory?.digest else { return }
            let latestDigest = try String.fetchOne(
                db, sql: "SELECT inventory_digest FROM generation WHERE id = ?", arguments: [latest])
            if latestDigest == digest { return }
            if let seenIn = try Int.fetchOne(
                db, sql: "SELECT MAX(id) FROM generation WHERE inventory_digest = ?", arguments: [digest])
            {
                throw StoreError.olderInventory(digest: digest, seenIn: seenIn, latest: latest, latestDigest: latestDigest)
            }
        }
    }

    /// A new generation whose orders equal those of `generation`.
    @discardableResult
    public func rollback(to generation: Int, options: ApplyOptions = ApplyOptions()) throws(StoreError) -> GenerationInfo {
        let stored: String? = try wrap {
            try pool.read { db in try String.fetchOne(db, sql: "SELECT plan FROM generation WHERE id = ?", arguments: [generation]) }
        }
        guard let stored else { throw .unknownGeneration(generation) }
        let data = Data(stored.utf8)
        let plan: PlanDocument
        do {
            plan = try JSONDecoder().decode(PlanDocument.self, from: data)
        } catch {
            throw .invalidPlan("stored plan of generation \(generation) no longer decodes: \(error)")
        }
        return try writeGeneration(plan: plan, planJSON: data, kind: "rollback", rollbackOf: generation, options: options) { _, _ in }
    }

    static func encode(_ plan: PlanDocument) throws(StoreError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(plan) } catch { throw .invalidPlan("cannot encode plan: \(error)") }
    }

    private func writeGeneration(
        plan: PlanDocument, planJSON: Data, kind: String, rollbackOf: Int?, options: ApplyOptions,
        check: (Database, Int) throws -> Void
    ) throws(StoreError) -> GenerationInfo {
        let summaryJSON = try Self.encodeJSON(plan.summary)
        let filesJSON = try Self.encodeJSON(plan.inventory?.files ?? [])
        let moves = plan.migration?.waves.reduce(0) { $0 + $1.count } ?? 0
        let createdAt = Self.timestamp()
        return try wrap {
            try pool.writeWithoutTransaction { db in
                // A generation must survive power loss too, not only a crash.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
                var info: GenerationInfo?
                try db.inTransaction(.immediate) {
                    let latest = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM generation") ?? 0
                    if let expected = options.checkGeneration, !options.force, expected != latest {
                        throw StoreError.staleGeneration(expected: expected, latest: latest)
                    }
                    try check(db, latest)
                    let generation = latest + 1
                    let rows = try OrderBuilder.rows(for: plan, generation: generation)
                    let instances = rows.reduce(0) { $0 + $1.instances }
                    try db.execute(
                        sql: """
                            INSERT INTO generation (id, created_at, kind, rollback_of, base_generation, forced,
                                inventory_digest, inventory_files, summary, plan, hosts, instances, moves, waves, note)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [
                            generation, createdAt, kind, rollbackOf, latest, options.force,
                            plan.inventory?.digest, filesJSON, summaryJSON, String(decoding: planJSON, as: UTF8.self),
                            rows.count, instances, moves, plan.migration?.waves.count ?? 0, options.note,
                        ])
                    let insertOrder = try db.makeStatement(
                        sql: "INSERT INTO host_order (generation, host, body, etag, instances) VALUES (?, ?, ?, ?, ?)")
                    for row in rows {
                        try insertOrder.execute(arguments: [generation, row.host, row.body, row.etag, row.instances])
                    }
                    let insertMove = try db.makeStatement(
                        sql: """
                            INSERT INTO wave_move (generation, wave, position, service, instance, from_host, to_host)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """)
                    for (wave, moves) in (plan.migration?.waves ?? []).enumerated() {
                        for (position, move) in moves.enumerated() {
                            try insertMove.execute(arguments: [
                                generation, wave, position, move.service, move.instance, move.from, move.to,
                            ])
                        }
                    }
                    info = try GenerationInfo.fetchOne(db, sql: "SELECT * FROM generation WHERE id = ?", arguments: [generation])
                    return .commit
                }
                return info!
            }
        }
    }

    static func encodeJSON(_ value: some Encodable) throws(StoreError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(value), as: UTF8.self) } catch {
            throw .invalidPlan("cannot encode \(type(of: value)): \(error)")
        }
    }

    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// Every generation, oldest first.
    public func history() throws(StoreError) -> [GenerationInfo] {
        try wrap { try pool.read { db in try GenerationInfo.fetchAll(db, sql: "SELECT * FROM generation ORDER BY id") } }
    }

    /// The latest generation number, 0 when nothing was applied yet. One indexed lookup.
    public func latestGeneration() throws(StoreError) -> Int {
        try wrap { try pool.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM generation") ?? 0 } }
    }

    public func latestGenerationAsync() async throws(StoreError) -> Int {
        try await wrapAsync {
            try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM generation") ?? 0 }
        }
    }

    /// The plan document stored with a generation, byte for byte as it was applied.
    public func planJSON(generation: Int) throws(StoreError) -> Data? {
        try wrap {
            try pool.read { db in
                try String.fetchOne(db, sql: "SELECT plan FROM generation WHERE id = ?", arguments: [generation])
            }
        }.map { Data($0.utf8) }
    }

    /// The moves of a generation's migration, grouped by wave.
    public func waves(generation: Int) throws(StoreError) -> [[PlanDocument.Move]] {
        try wrap {
            try pool.read { db in
                var waves: [[PlanDocument.Move]] = []
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM wave_move WHERE generation = ? ORDER BY wave, position", arguments: [generation])
                for row in rows {
                    let wave: Int = row["wave"]
                    while waves.count <= wave { waves.append([]) }
                    waves[wave].append(
                        PlanDocument.Move(service: row["service"], instance: row["instance"], from: row["from_host"], to: row["to_host"]))
                }
                return waves
            }
        }
    }
}

// MARK: - Orders and status

/// One host's orders at one generation, ready to serve.
public struct StoredOrders: Sendable, Equatable {
    public var host: String
    public var generation: Int
    /// The JSON body (`HostOrders`), exactly as served.
    public var body: Data
    public var etag: String
}

/// The most recent status report of one host.
public struct HostReport: Sendable, Equatable {
    public var host: String
    public var generation: Int
    public var receivedAt: String
    public var body: String
}

extension OrderStore {
    /// Every host's orders at `generation`.
    public func orders(generation: Int) async throws(StoreError) -> [String: StoredOrders] {
        try await wrapAsync {
            try await pool.read { db in
                var result: [String: StoredOrders] = [:]
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT host, body, etag FROM host_order WHERE generation = ?", arguments: [generation])
                while let row = try cursor.next() {
                    let host: String = row["host"]
                    result[host] = StoredOrders(host: host, generation: generation, body: row["body"], etag: row["etag"])
                }
                return result
            }
        }
    }

    /// One host's orders at `generation` (synchronous; for the CLI and tests).
    public func orders(host: String, generation: Int) throws(StoreError) -> HostOrders? {
        let body: Data? = try wrap {
            try pool.read { db in
                try Data.fetchOne(
                    db, sql: "SELECT body FROM host_order WHERE generation = ? AND host = ?", arguments: [generation, host])
            }
        }
        guard let body else { return nil }
        return try? JSONDecoder().decode(HostOrders.self, from: body)
    }

    /// Records (or replaces) the status report of `host` for `generation`.
    public func recordStatus(host: String, generation: Int, body: String) async throws(StoreError) {
        try await recordStatuses([(host, generation, body)])
    }

    /// Records many reports in one transaction (group commit).
    public func recordStatuses(_ reports: [(host: String, generation: Int, body: String)]) async throws(StoreError) {
        let now = Self.timestamp()
        try await wrapAsync {
            try await pool.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO status_report (host, generation, received_at, body) VALUES (?, ?, ?, ?)
                        ON CONFLICT (host, generation) DO UPDATE SET received_at = excluded.received_at, body = excluded.body
                        """)
                for report in reports {
                    try statement.execute(arguments: [report.host, report.generation, now, report.body])
                }
            }
        }
    }

    /// The latest report of every host that reported at least once.
    public func latestReports() throws(StoreError) -> [HostReport] {
        try wrap {
            try pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT host, generation, received_at, body FROM status_report s
                        WHERE generation = (SELECT MAX(generation) FROM status_report t WHERE t.host = s.host)
                        ORDER BY host
                        """
                ).map { HostReport(host: $0["host"], generation: $0["generation"], receivedAt: $0["received_at"], body: $0["body"]) }
            }
        }
    }

    /// The report of `host` for `generation`, if any.
    public func report(host: String, generation: Int) throws(StoreError) -> StatusReport? {
        let body: String? = try wrap {
            try pool.read { db in
                try String.fetchOne(
                    db, sql: "SELECT body FROM status_report WHERE host = ? AND generation = ?", arguments: [host, generation])
            }
        }
        return body.flatMap { try? JSONDecoder().decode(StatusReport.self, from: Data($0.utf8)) }
    }
}
