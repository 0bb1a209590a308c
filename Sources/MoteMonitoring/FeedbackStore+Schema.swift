public import MoteStorage

/// Feedback's table: labels joined to logged predictions.
/// Shipped migrations are never edited; new ones go at the end.
extension FeedbackStore {
    /// The tables of this module, as schema migrations of `features.sqlite`.
    public static let schema = SchemaPart(
        database: .features,
        migrations: [
            Migrator.Migration(
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
