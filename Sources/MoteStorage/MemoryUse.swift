import CSQLite
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// What the process holds in memory, for status and the soak benchmark.
public enum MemoryUse {
    /// Resident set size of this process (`/proc/self/statm`), bytes; 0 when unreadable.
    public static func residentBytes() -> Int64 {
        guard let text = try? FileSystem.readText("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Bytes SQLite has allocated now (page caches, statements, schema) across every connection.
    public static func sqliteBytes() -> Int64 { sqlite3_memory_used() }

    /// The most SQLite has held at once since start.
    public static func sqlitePeakBytes() -> Int64 { sqlite3_memory_highwater(0) }
}
