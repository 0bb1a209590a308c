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
    public static let registry = Migrator([meta])

    /// Migrations of `features.sqlite`.
    public static let features = Migrator([meta])
}
