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
    ])
}
