public import MoteStorage

/// The registry's tables: experiments, runs and their params, metrics, tags and artifacts;
/// models, versions, aliases; the audit trail and the outbox. `0005_sync` (shipped as one
/// step) gave the outbox its parked columns and made the two small tables the outbox's
/// drain keeps its id map and state in; they stay here, with the outbox they serve.
/// Shipped migrations are never edited; new ones go at the end.
extension RegistryStore {
    /// The tables of this module, as schema migrations of `registry.sqlite`.
    public static let schema = SchemaPart(
        database: .registry,
        migrations: [
            Migrator.Migration(
                "0003_tracking_registry",
                sql: """
                    CREATE TABLE experiments (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        description TEXT NOT NULL DEFAULT '',
                        created_ns INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE experiment_tags (
                        experiment_id INTEGER NOT NULL REFERENCES experiments (id),
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (experiment_id, key)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE runs (
                        id TEXT PRIMARY KEY NOT NULL,
                        experiment_id INTEGER NOT NULL REFERENCES experiments (id),
                        name TEXT NOT NULL,
                        status TEXT NOT NULL,
                        start_ns INTEGER NOT NULL,
                        end_ns INTEGER,
                        source TEXT NOT NULL DEFAULT '{}'
                    ) STRICT;
                    CREATE INDEX runs_by_experiment ON runs (experiment_id, start_ns);
                    CREATE TABLE run_params (
                        run_id TEXT NOT NULL REFERENCES runs (id),
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (run_id, key)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE run_tags (
                        run_id TEXT NOT NULL REFERENCES runs (id),
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (run_id, key)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE run_metrics (
                        run_id TEXT NOT NULL REFERENCES runs (id),
                        key TEXT NOT NULL,
                        step INTEGER NOT NULL,
                        timestamp_ms INTEGER NOT NULL,
                        value REAL NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY (run_id, key, seq)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE run_artifacts (
                        run_id TEXT NOT NULL REFERENCES runs (id),
                        path TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        PRIMARY KEY (run_id, path)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE models (
                        name TEXT PRIMARY KEY NOT NULL,
                        description TEXT NOT NULL DEFAULT '',
                        created_ns INTEGER NOT NULL,
                        updated_ns INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE model_tags (
                        model TEXT NOT NULL REFERENCES models (name),
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (model, key)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE model_versions (
                        model TEXT NOT NULL REFERENCES models (name),
                        version INTEGER NOT NULL,
                        run_id TEXT REFERENCES runs (id),
                        artifact_digest TEXT NOT NULL,
                        format TEXT NOT NULL,
                        signature TEXT NOT NULL DEFAULT '{}',
                        metrics TEXT NOT NULL DEFAULT '{}',
                        description TEXT NOT NULL DEFAULT '',
                        status TEXT NOT NULL,
                        created_ns INTEGER NOT NULL,
                        PRIMARY KEY (model, version)
                    ) STRICT;
                    CREATE TABLE model_version_tags (
                        model TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (model, version, key),
                        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE model_aliases (
                        model TEXT NOT NULL REFERENCES models (name),
                        alias TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        PRIMARY KEY (model, alias),
                        FOREIGN KEY (model, version) REFERENCES model_versions (model, version)
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY,
                        at_ns INTEGER NOT NULL,
                        uid INTEGER NOT NULL,
                        pid INTEGER NOT NULL,
                        action TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        before TEXT,
                        after TEXT
                    ) STRICT;
                    CREATE TABLE outbox (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        at_ns INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        payload TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        last_error TEXT
                    ) STRICT;
                    """),
            Migrator.Migration(
                "0005_sync",
                sql: """
                    ALTER TABLE outbox ADD COLUMN parked_ns INTEGER;
                    ALTER TABLE outbox ADD COLUMN parked_reason TEXT;
                    CREATE INDEX outbox_pending ON outbox (parked_ns, seq);
                    CREATE TABLE sync_map (
                        local TEXT PRIMARY KEY NOT NULL,
                        remote TEXT NOT NULL,
                        at_ns INTEGER NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    CREATE TABLE sync_state (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) STRICT, WITHOUT ROWID;
                    """),
        ])
}
