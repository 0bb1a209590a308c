public import MoteStorage

/// The feature store's tables: the stored definitions (in `registry.sqlite`, beside the
/// registry they are versioned with), the feature history, online rows and the inbox of
/// pushed rows not yet merged into them (`features.sqlite`).
/// Shipped migrations are never edited; new ones go at the end.
extension FeatureStore {
    /// The tables of this module, as schema migrations.
    public static let schema: [SchemaPart] = [
        SchemaPart(
            database: .registry,
            migrations: [
                Migrator.Migration(
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
            ]),
        SchemaPart(
            database: .features,
            migrations: [
                Migrator.Migration(
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
                // Pushes append here in arrival order (sequential pages, no index); the
                // push writer merges the rows into `feature_log` and `online` in sorted
                // chunks. `target`: 1 history, 2 online, 3 both.
                Migrator.Migration(
                    "0005_feature_inbox",
                    sql: """
                        CREATE TABLE feature_inbox (
                            seq INTEGER PRIMARY KEY,
                            view_id INTEGER NOT NULL,
                            entity_key TEXT NOT NULL,
                            event_ns INTEGER NOT NULL,
                            created_ns INTEGER NOT NULL,
                            target INTEGER NOT NULL,
                            row BLOB NOT NULL
                        ) STRICT;
                        """),
                // Online rows now hold values in binary (`OnlineRow`); rows in the earlier
                // JSON-text form wait here until the store converts them at start
                // (`OnlineRowUpgrade`).
                Migrator.Migration(
                    "0006_online_binary_rows",
                    sql: """
                        ALTER TABLE online RENAME TO online_text_rows;
                        CREATE TABLE online (
                            view_id INTEGER NOT NULL,
                            entity_key TEXT NOT NULL,
                            event_ns INTEGER NOT NULL,
                            created_ns INTEGER NOT NULL,
                            row BLOB NOT NULL,
                            PRIMARY KEY (view_id, entity_key)
                        ) STRICT, WITHOUT ROWID;
                        """),
                // Pushed rows now wait in the inbox in the cache's form too; rows in the
                // history's form wait here until the store converts them at start.
                Migrator.Migration(
                    "0007_inbox_online_rows",
                    sql: """
                        ALTER TABLE feature_inbox RENAME TO feature_inbox_codec_rows;
                        CREATE TABLE feature_inbox (
                            seq INTEGER PRIMARY KEY,
                            view_id INTEGER NOT NULL,
                            entity_key TEXT NOT NULL,
                            event_ns INTEGER NOT NULL,
                            created_ns INTEGER NOT NULL,
                            target INTEGER NOT NULL,
                            row BLOB NOT NULL
                        ) STRICT;
                        """),
                // The history in sorted runs (`HistoryRuns`): merges append a run per view
                // instead of writing rows into one entity-clustered table at random pages.
                // The rows stored so far become each view's first run.
                Migrator.Migration(
                    "0008_history_runs",
                    sql: """
                        CREATE TABLE feature_history (
                            view_id INTEGER NOT NULL,
                            run INTEGER NOT NULL,
                            entity_key TEXT NOT NULL,
                            event_ns INTEGER NOT NULL,
                            created_ns INTEGER NOT NULL,
                            row BLOB NOT NULL,
                            PRIMARY KEY (view_id, run, entity_key, event_ns, created_ns)
                        ) STRICT, WITHOUT ROWID;
                        CREATE TABLE feature_history_runs (
                            view_id INTEGER NOT NULL,
                            run INTEGER NOT NULL,
                            rows INTEGER NOT NULL,
                            min_event_ns INTEGER NOT NULL,
                            max_event_ns INTEGER NOT NULL,
                            max_created_ns INTEGER NOT NULL,
                            PRIMARY KEY (view_id, run)
                        ) STRICT, WITHOUT ROWID;
                        CREATE TABLE feature_history_compaction (
                            view_id INTEGER PRIMARY KEY,
                            first_run INTEGER NOT NULL,
                            last_run INTEGER NOT NULL,
                            after_key TEXT
                        ) STRICT;
                        INSERT INTO feature_history (view_id, run, entity_key, event_ns, created_ns, row)
                            SELECT view_id, 1, entity_key, event_ns, created_ns, row FROM feature_log
                            ORDER BY view_id, entity_key, event_ns, created_ns;
                        INSERT INTO feature_history_runs (view_id, run, rows, min_event_ns, max_event_ns, max_created_ns)
                            SELECT view_id, 1, count(*), min(event_ns), max(event_ns), max(created_ns) FROM feature_log
                            GROUP BY view_id;
                        DROP TABLE feature_log;
                        """),
            ]),
    ]
}
