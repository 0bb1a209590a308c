public import MoteCore

/// Named, append-only schema migrations for one database. A migration, once shipped, is never
/// edited; a database that has a migration this binary does not know was written by a newer
/// moted and is refused.
public struct Migrator: Sendable {
    /// One schema step.
    public struct Migration: Sendable {
        public var id: String
        public var sql: String
        public init(_ id: String, sql: String) {
            self.id = id
            self.sql = sql
        }
    }

    public private(set) var migrations: [Migration] = []

    public init(_ migrations: [Migration]) {
        self.migrations = migrations
    }

    static let bookkeeping = """
        CREATE TABLE IF NOT EXISTS mote_migrations (
            id TEXT PRIMARY KEY NOT NULL,
            applied_at_ns INTEGER NOT NULL,
            moted_version TEXT NOT NULL
        ) STRICT
        """

    /// Migration ids recorded in the database (empty for a new file). Read-only.
    public static func appliedIDs(_ connection: SQLiteConnection) throws(MoteError) -> [String] {
        let exists = try connection.scalarInt(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'mote_migrations'") ?? 0
        guard exists > 0 else { return [] }
        let statement = try connection.prepare("SELECT id FROM mote_migrations ORDER BY rowid")
        var ids: [String] = []
        while try statement.step() { ids.append(statement.text(0) ?? "") }
        return ids
    }

    /// Refuses a database written by a newer schema. Reads only.
    public func checkNotNewer(_ connection: SQLiteConnection) throws(MoteError) {
        let known = Set(migrations.map(\.id))
        let applied = try Migrator.appliedIDs(connection)
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw MoteError(
                .schemaTooNew,
                "database \(connection.path) was written by a newer moted (it has schema migration '\(unknown)', "
                    + "which moted \(MoteVersion.string) does not know); upgrade moted, or restore a backup made by this version")
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction. Returns their ids.
    @discardableResult
    public func migrate(_ connection: SQLiteConnection) throws(MoteError) -> [String] {
        try checkNotNewer(connection)
        try connection.execute(Migrator.bookkeeping)
        let applied = Set(try Migrator.appliedIDs(connection))
        var done: [String] = []
        for migration in migrations where !applied.contains(migration.id) {
            do {
                try connection.transaction { conn in
                    try conn.execute(migration.sql)
                    try conn.prepare("INSERT INTO mote_migrations (id, applied_at_ns, moted_version) VALUES (?, ?, ?)")
                        .run([.text(migration.id), .integer(SystemClock.nowNanos()), .text(MoteVersion.string)])
                }
            } catch let error as MoteError {
                throw MoteError(.storage, "migration '\(migration.id)' failed: \(error.message)")
            } catch {
                throw MoteError(.storage, "migration '\(migration.id)' failed: \(error)")
            }
            done.append(migration.id)
        }
        return done
    }
}
