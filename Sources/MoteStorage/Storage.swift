public import MoteCore

/// All of moted's databases, opened together at start and closed together at stop.
/// Separate files where write loads differ, so a burst of feature writes never blocks a
/// registry change.
public final class Storage: Sendable {
    public let directory: StateDirectory
    /// Registry, tracking, definitions and the outbox.
    public let registry: Database
    /// Feature history and the online cache.
    public let features: Database
    /// Held while the databases are open: one moted per state directory.
    private let lock: StateDirectoryLock

    /// Opens every database under `directory`, creating it and applying the migrations of
    /// `schema` (the tables of each module that uses this storage) as needed.
    public init(directory: StateDirectory, options: Database.Options, schema: [SchemaPart]) throws(MoteError) {
        self.directory = directory
        try directory.prepare()
        lock = try StateDirectoryLock(directory)
        space = DiskSpace(path: directory.root, minFreeBytes: Int64(options.minFreeMiB) * 1_048_576)
        registry = try Database(
            name: "registry", path: directory.registryDatabasePath, migrator: SchemaPart.migrator(.registry, parts: schema), options: options,
            space: space)
        features = try Database(
            name: "features", path: directory.featuresDatabasePath, migrator: SchemaPart.migrator(.features, parts: schema), options: options,
            space: space)
    }

    /// Free space of the state directory's filesystem and the headroom kept on it (shared by
    /// every database and the artifact store).
    public let space: DiskSpace

    /// Every database, for status and shutdown.
    public var databases: [Database] { [registry, features] }

    /// Closes every database (checkpointing the WAL), then releases the state directory.
    public func close() {
        for database in databases { database.close() }
        lock.release()
    }
}
