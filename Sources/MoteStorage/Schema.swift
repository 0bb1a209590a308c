/// The schema of each database as its append-only list of migrations. Later features add
/// migrations at the end of these lists; shipped migrations are never edited.
public enum Schema {
    static let meta = Migrator.Migration(
        "0001_meta",
        sql: """
            CREATE TABLE mote_meta (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            """)

    /// Migrations of `registry.sqlite`.
    public static let registry = Migrator([
        meta,
        .init(
            "0002_definitions",
            sql: """
                CREATE TABLE definition_versions (
                    version INTEGER PRIMARY KEY,
                    hash TEXT NOT NULL,
                    applied_at_ns INTEGER NOT NULL,
                    applied_by_uid INTEGER NOT NULL,
                    document TEXT NOT NULL
                ) STRICT;
                """),
        .init(
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
        .init(
            "0004_training_jobs",
            sql: """
                CREATE TABLE training_jobs (
                    id TEXT PRIMARY KEY NOT NULL,
                    spec_name TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    model TEXT NOT NULL,
                    status TEXT NOT NULL,
                    reason TEXT NOT NULL DEFAULT '',
                    trigger TEXT NOT NULL,
                    created_ns INTEGER NOT NULL,
                    started_ns INTEGER,
                    finished_ns INTEGER,
                    run_id TEXT,
                    version INTEGER,
                    promoted INTEGER,
                    events TEXT NOT NULL DEFAULT ''
                ) STRICT;
                CREATE INDEX training_jobs_by_spec ON training_jobs (spec_name, created_ns);
                CREATE INDEX training_jobs_by_status ON training_jobs (status);
                """),
        .init(
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

    /// Migrations of `features.sqlite`.
    public static let features = Migrator([
        meta,
        .init(
            "0002_feature_rows",
            sql: """
                CREATE TABLE feature_log (
                    view_id INTEGER NOT NULL,
                    entity_key TEXT NOT NULL,
                    event_ns INTEGER NOT NULL,
                    created_ns INTEGER NOT NULL,
                    row BLOB NOT NULL,
                    PRIMARY KEY (view_id, entity_key, event_ns, created_ns)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX feature_log_by_time ON feature_log (view_id, event_ns);
                CREATE TABLE online (
                    view_id INTEGER NOT NULL,
                    entity_key TEXT NOT NULL,
                    event_ns INTEGER NOT NULL,
                    created_ns INTEGER NOT NULL,
                    row BLOB NOT NULL,
                    PRIMARY KEY (view_id, entity_key)
                ) STRICT, WITHOUT ROWID;
                """),
        .init(
            "0003_prediction_log",
            sql: """
                CREATE TABLE predictions (
                    id TEXT PRIMARY KEY NOT NULL,
                    at_ns INTEGER NOT NULL,
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    entity_key TEXT,
                    inputs BLOB,
                    outputs BLOB NOT NULL,
                    latency_ns INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX predictions_by_model ON predictions (model, at_ns);
                CREATE INDEX predictions_by_entity ON predictions (entity_key, at_ns) WHERE entity_key IS NOT NULL;
                CREATE INDEX predictions_by_time ON predictions (at_ns);
                """),
        .init(
            "0004_feedback",
            sql: """
                CREATE TABLE feedback (
                    prediction_id TEXT PRIMARY KEY NOT NULL,
                    model TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    predicted_ns INTEGER NOT NULL,
                    label TEXT NOT NULL,
                    label_value REAL NOT NULL,
                    received_ns INTEGER NOT NULL
                ) STRICT;
                CREATE INDEX feedback_by_model ON feedback (model, version, predicted_ns);
                """),
    ])
}
