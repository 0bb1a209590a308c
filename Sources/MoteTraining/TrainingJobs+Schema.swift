public import MoteStorage

/// The training queue's table: jobs with their state and events.
/// Shipped migrations are never edited; new ones go at the end.
extension TrainingJobs {
    /// The tables of this module, as schema migrations of `registry.sqlite`.
    public static let schema = SchemaPart(
        database: .registry,
        migrations: [
            Migrator.Migration(
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
            // Jobs of other kinds (batch scoring) share the queue.
            Migrator.Migration(
                "0012_job_kinds",
                sql: """
                    ALTER TABLE training_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'training';
                    """),
        ])
}
