/// The databases of the state directory, and the tables each module keeps in them. Every
/// module declares its own tables as a `SchemaPart`; the daemon opens `Storage` with all of
/// them. The bookkeeping table (`mote_meta`) is storage's own.
public struct SchemaPart: Sendable {
    /// Which database file the tables live in.
    public enum DatabaseName: String, Sendable, CaseIterable {
        /// `registry.sqlite`: registry, tracking, definitions, training jobs, the outbox.
        case registry
        /// `features.sqlite`: feature history and online rows, the prediction log, feedback.
        case features
    }

    public var database: DatabaseName
    /// Append-only: a migration, once shipped, is never edited.
    public var migrations: [Migrator.Migration]

    public init(database: DatabaseName, migrations: [Migrator.Migration]) {
        self.database = database
        self.migrations = migrations
    }

    /// Storage's own first migration of every database.
    static let meta = Migrator.Migration(
        "0001_meta",
        sql: """
            CREATE TABLE mote_meta (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) STRICT;
            """)

    /// The migrator of one database: storage's own migration, then each part's, in order.
    static func migrator(_ database: DatabaseName, parts: [SchemaPart]) -> Migrator {
        Migrator([meta] + parts.filter { $0.database == database }.flatMap(\.migrations))
    }
}
