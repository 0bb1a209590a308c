public import MoteStorage

/// The prediction log's table.
/// Shipped migrations are never edited; new ones go at the end.
extension PredictionLog {
    /// The tables of this module, as schema migrations of `features.sqlite`.
    public static let schema = SchemaPart(
        database: .features,
        migrations: [
            Migrator.Migration(
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
            // Reason codes (the top contributions, when the request asked for explanations) and,
            // for a shadow version's row, the answered prediction it shadows.
            Migrator.Migration(
                "0010_prediction_reasons_and_shadows",
                sql: """
                    ALTER TABLE predictions ADD COLUMN reasons TEXT;
                    ALTER TABLE predictions ADD COLUMN shadow_of TEXT;
                    CREATE INDEX predictions_by_shadowed ON predictions (shadow_of) WHERE shadow_of IS NOT NULL;
                    """),
        ])
}
