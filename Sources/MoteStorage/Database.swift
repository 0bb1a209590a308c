public import MoteCore

/// One SQLite database file in WAL mode: a single writer connection and a small pool of
/// readers, so that reads never wait on a write. Calls block; run them off the event loops.
public final class Database: Sendable {
    /// Short name (`registry`, `features`) used in logs and status.
    public let name: String
    /// The database file.
    public let path: String
    private let writer: LockedValue<SQLiteConnection?>
    private let readers: LockedValue<[SQLiteConnection]>
    private let maxIdleReaders: Int
    private let options: Options
    /// Free space on the database's filesystem and the headroom kept on it.
    public let space: DiskSpace

    /// Connection settings applied to every connection.
    public struct Options: Sendable {
        public var synchronous: StorageSettings.Synchronous
        public var busyTimeoutMillis: Int
        public var readers: Int
        /// Page cache per connection, MiB.
        public var cacheMiB: Int
        /// Memory-mapped bytes per connection, MiB (0: off).
        public var mmapMiB: Int
        /// Free space kept on the filesystem: below it, writes adding data are refused (MiB).
        public var minFreeMiB: Int
        public init(
            synchronous: StorageSettings.Synchronous = .normal, busyTimeoutMillis: Int = 5000, readers: Int = 4, cacheMiB: Int = 32,
            mmapMiB: Int = 0, minFreeMiB: Int = 64
        ) {
            self.synchronous = synchronous
            self.busyTimeoutMillis = busyTimeoutMillis
            self.readers = readers
            self.cacheMiB = cacheMiB
            self.mmapMiB = mmapMiB
            self.minFreeMiB = minFreeMiB
        }

        /// The options `[storage]` asks for.
        public init(_ settings: StorageSettings) {
            self.init(
                synchronous: settings.synchronous, busyTimeoutMillis: Int(settings.busyTimeoutNanos / 1_000_000),
                readers: settings.readers, cacheMiB: settings.cacheMiB, mmapMiB: settings.mmapMiB, minFreeMiB: settings.minFreeMiB)
        }
    }

    /// Opens (or creates) the database, refuses one written by a newer moted, switches it to
    /// WAL and applies pending migrations.
    public init(name: String, path: String, migrator: Migrator, options: Options, space: DiskSpace? = nil) throws(MoteError) {
        self.name = name
        self.path = path
        self.options = options
        self.space = space ?? DiskSpace(path: path, minFreeBytes: Int64(options.minFreeMiB) * 1_048_576)
        self.maxIdleReaders = options.readers
        let connection = try SQLiteConnection(path: path)
        // Check before anything writes to the file.
        try migrator.checkNotNewer(connection)
        try Database.configure(connection, options: options, writer: true)
        let mode = try connection.scalarText("PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw MoteError(.storage, "database \(path) cannot use WAL mode (journal_mode is \(mode ?? "unknown"))")
        }
        try migrator.migrate(connection)
        writer = LockedValue(connection)
        readers = LockedValue([])
    }

    /// Applies the settings. The larger page cache is for the writer only: inserts scattered
    /// over a B-tree need their pages kept, while a reader's long scans run faster through
    /// SQLite's small default cache (it stays in the CPU cache; measured on the 1M-row join).
    static func configure(_ connection: SQLiteConnection, options: Options, writer: Bool = false) throws(MoteError) {
        try connection.execute(
            """
            PRAGMA busy_timeout = \(options.busyTimeoutMillis);
            PRAGMA synchronous = \(options.synchronous == .full ? "FULL" : "NORMAL");
            PRAGMA foreign_keys = ON;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -\(writer ? options.cacheMiB * 1024 : 2000);
            PRAGMA mmap_size = \(options.mmapMiB * 1024 * 1024);
            """)
    }

    /// Runs `body` in an immediate write transaction; the changes are committed (durable per
    /// `synchronous`) when this returns. A write of new data (`addingData`: rows, runs,
    /// versions, feedback) is refused with 507 `disk_space_low` while free space is below
    /// `storage.min_free_mib`; changes that free or keep space (deletes, retention,
    /// bookkeeping) never are. A write that finds the disk full throws 507 `disk_full` (and
    /// starts a disk-space episode).
    public func write<T>(addingData: Bool = false, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try guarded(addingData: addingData) {
            try writer.withLock { try Self.transaction($0, name: name, body) }
        }
    }

    /// `write`, but only if the writer connection is free at once: nil (and `body` not run)
    /// when another write holds it. For a caller that must not wait (an event loop).
    public func writeIfFree<T>(addingData: Bool = false, _ body: (SQLiteConnection) throws -> T) throws -> T? {
        try guarded(addingData: addingData) {
            try writer.withLockIfAvailable { try Self.transaction($0, name: name, body) }
        }
    }

    /// The disk-space rules of a write: room checked first for new data, a full disk turned
    /// into 507 `disk_full` and an episode.
    private func guarded<T>(addingData: Bool, _ write: () throws -> T) throws -> T {
        if addingData { try space.requireRoom() }
        do {
            return try write()
        } catch let error as MoteError where error.code == .diskFull {
            throw space.full("the change to the \(name) database")
        }
    }

    /// `body` in an immediate transaction on the writer connection, if it is open.
    private static func transaction<T>(_ connection: SQLiteConnection?, name: String, _ body: (SQLiteConnection) throws -> T) throws -> T {
        guard let connection else { throw MoteError(.storage, "database \(name) is closed") }
        return try connection.transaction(immediate: true, body)
    }

    /// Whether every commit waits for the disk (`storage.synchronous = "full"`); with
    /// `normal` a commit in WAL mode only writes the log.
    public var commitsSync: Bool { options.synchronous == .full }

    /// Runs `body` on the writer connection outside a transaction (PRAGMAs, checkpoints).
    public func withWriter<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try writer.withLock { connection in
            guard let connection else { throw MoteError(.storage, "database \(name) is closed") }
            return try body(connection)
        }
    }

    /// Runs `body` on a reader connection in a read transaction (one consistent snapshot).
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let connection = try checkoutReader()
        defer { checkin(connection) }
        return try connection.transaction(immediate: false, body)
    }

    private func checkoutReader() throws(MoteError) -> SQLiteConnection {
        if let connection = readers.withLock({ $0.popLast() }) { return connection }
        let connection = try SQLiteConnection(path: path, readOnly: true, create: false)
        try Database.configure(connection, options: options)
        return connection
    }

    private func checkin(_ connection: SQLiteConnection) {
        readers.withLock { pool in
            if pool.count < maxIdleReaders { pool.append(connection) }
        }
    }

    /// Bytes on disk: the database file plus its WAL and shared-memory files.
    public func diskBytes() -> Int64 {
        FileSystem.size(path) + FileSystem.size(path + "-wal") + FileSystem.size(path + "-shm")
    }

    /// Checkpoints the WAL into the database and closes every connection.
    public func close() {
        writer.withLock { connection in
            if let connection { try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
            connection = nil
        }
        readers.withLock { $0.removeAll() }
    }
}
