public import MoteCore

/// `[storage]`: how the SQLite databases are opened. Changes need a restart.
public struct StorageSettings: SettingsSection {
    public static let section = "storage"

    /// SQLite `synchronous`: `normal` (default; WAL keeps the database consistent, a power
    /// loss may drop the last transactions) or `full` (every commit survives power loss).
    public var synchronous = Synchronous.normal
    /// How long a writer waits for a lock before failing.
    public var busyTimeoutNanos: Int64 = 5_000_000_000
    /// Read connections per database.
    public var readers = 4
    /// SQLite page cache of the writer connection, MiB (history inserts land all over the
    /// B-tree: a small cache re-reads pages from the OS for each row).
    public var cacheMiB = 32
    /// Bytes of each database file SQLite maps into memory (reads without a copy), MiB; 0 off.
    public var mmapMiB = 0
    /// Free space kept on the state directory's filesystem, MiB: below it new data (pushes,
    /// feedback, registry changes, imports, prediction log rows) is refused with 507
    /// `disk_space_low`, so that retention, deletes and trimming can still run. 0: off.
    public var minFreeMiB = 64

    public init() {}

    /// SQLite durability level.
    public enum Synchronous: String, Sendable, Equatable, CaseIterable {
        case normal, full
    }

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.enumeration("synchronous", Synchronous.self) { synchronous = v }
        if let v = try t.duration("busy_timeout") { busyTimeoutNanos = v }
        if let v = try t.int("readers", 1...64) { readers = v }
        if let v = try t.int("cache_mib", 1...65536) { cacheMiB = v }
        if let v = try t.int("mmap_mib", 0...1_048_576) { mmapMiB = v }
        if let v = try t.int("min_free_mib", 0...1_048_576) { minFreeMiB = v }
    }
}
