import GRDB

/// Append-only schema history. Never edit a registered migration: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: generations, orders, waves, tokens, status") { db in
            try db.execute(
                sql: """
                    CREATE TABLE generation (
                        id INTEGER PRIMARY KEY,
                        created_at TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('apply', 'rollback')),
                        rollback_of INTEGER REFERENCES generation(id),
                        base_generation INTEGER,
                        forced INTEGER NOT NULL DEFAULT 0,
                        inventory_digest TEXT,
                        inventory_files TEXT NOT NULL DEFAULT '[]',
                        summary TEXT NOT NULL,
                        plan TEXT NOT NULL,
                        hosts INTEGER NOT NULL,
                        instances INTEGER NOT NULL,
                        moves INTEGER NOT NULL,
                        waves INTEGER NOT NULL,
                        note TEXT
                    );
                    CREATE TABLE host_order (
                        generation INTEGER NOT NULL REFERENCES generation(id),
                        host TEXT NOT NULL,
                        body BLOB NOT NULL,
                        etag TEXT NOT NULL,
                        instances INTEGER NOT NULL,
                        PRIMARY KEY (generation, host)
                    ) WITHOUT ROWID;
                    CREATE TABLE wave_move (
                        generation INTEGER NOT NULL REFERENCES generation(id),
                        wave INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        service TEXT NOT NULL,
                        instance INTEGER NOT NULL,
                        from_host TEXT,
                        to_host TEXT NOT NULL,
                        PRIMARY KEY (generation, wave, position)
                    ) WITHOUT ROWID;
                    CREATE TABLE token (
                        id TEXT PRIMARY KEY,
                        secret_sha256 BLOB NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('host', 'admin')),
                        host TEXT,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT,
                        CHECK ((role = 'host') = (host IS NOT NULL))
                    );
                    CREATE TABLE status_report (
                        host TEXT NOT NULL,
                        generation INTEGER NOT NULL,
                        received_at TEXT NOT NULL,
                        body TEXT NOT NULL,
                        PRIMARY KEY (host, generation)
                    ) WITHOUT ROWID;
                    """)
        }
        return migrator
    }
}
