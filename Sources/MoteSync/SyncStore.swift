public import MoteRegistry
public import MoteStorage

/// The sync worker's durable state in `registry.sqlite`: the outbox rows it drains (pending
/// ones in order; parked ones kept with their reason), the local -> remote id map that makes
/// retries idempotent, and the last success, error and attempt times.
public final class SyncStore: Sendable {
    private let database: Database
    private let registry: RegistryStore

    public init(storage: Storage, registry: RegistryStore) {
        self.database = storage.registry
        self.registry = registry
    }

    public typealias Item = RegistryStore.OutboxEntry

    /// The oldest pending (not parked) rows.
    public func pending(limit: Int) throws -> [Item] {
        try registry.outbox(limit: limit).entries
    }

    /// Pending and parked row counts.
    public func depth() throws -> (pending: Int, parked: Int) {
        try database.read { conn in
            let pending = Int(try conn.scalarInt("SELECT count(*) FROM outbox WHERE parked_ns IS NULL") ?? 0)
            let parked = Int(try conn.scalarInt("SELECT count(*) FROM outbox WHERE parked_ns IS NOT NULL") ?? 0)
            return (pending, parked)
        }
    }

    /// Parked rows, oldest first, with why.
    public func parked(limit: Int) throws -> [(item: Item, parkedNanos: Int64, reason: String)] {
        try database.read { conn in
            let s = try conn.prepare(
                "SELECT seq, at_ns, kind, subject, payload, attempts, parked_ns, parked_reason FROM outbox WHERE parked_ns IS NOT NULL ORDER BY seq LIMIT ?")
            s.bind([.integer(Int64(limit))])
            var out: [(Item, Int64, String)] = []
            while try s.step() {
                out.append(
                    (Item(seq: s.int64(0), atNanos: s.int64(1), kind: s.text(2) ?? "", subject: s.text(3) ?? "", payload: s.text(4) ?? "",
                          attempts: Int(s.int64(5)), lastError: s.text(7)),
                     s.int64(6), s.text(7) ?? ""))
            }
            return out
        }
    }

    /// A row that reached the server goes.
    public func done(_ seq: Int64) throws {
        try database.write { conn in try conn.cached("DELETE FROM outbox WHERE seq = ?").run([.integer(seq)]) }
    }

    /// A failed attempt: counted, with the error (the row stays first in line).
    public func failed(_ seq: Int64, error: String) throws {
        try database.write { conn in
            try conn.cached("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?").run([.text(String(error.prefix(2000))), .integer(seq)])
        }
    }

    /// A row the server refuses as it is: kept aside with the reason; the rest flows on.
    public func park(_ seq: Int64, reason: String, now: Int64) throws {
        try database.write { conn in
            try conn.cached("UPDATE outbox SET attempts = attempts + 1, parked_ns = ?, parked_reason = ?, last_error = ? WHERE seq = ?")
                .run([.integer(now), .text(String(reason.prefix(2000))), .text(String(reason.prefix(2000))), .integer(seq)])
        }
    }

    /// Puts parked rows back in line (all, or one).
    public func unpark(seq: Int64? = nil) throws -> Int {
        try database.write { conn in
            if let seq {
                try conn.cached("UPDATE outbox SET parked_ns = NULL, parked_reason = NULL WHERE seq = ? AND parked_ns IS NOT NULL").run([.integer(seq)])
            } else {
                try conn.cached("UPDATE outbox SET parked_ns = NULL, parked_reason = NULL WHERE parked_ns IS NOT NULL").run()
            }
            return Int(try conn.scalarInt("SELECT changes()") ?? 0)
        }
    }

    /// Drops the oldest pending rows beyond `maxRows`; returns how many per kind.
    public func trim(maxRows: Int) throws -> [String: Int] {
        try database.write { conn in
            let total = Int(try conn.scalarInt("SELECT count(*) FROM outbox") ?? 0)
            guard total > maxRows else { return [:] }
            let s = try conn.prepare("SELECT kind, count(*) FROM (SELECT kind FROM outbox ORDER BY seq LIMIT ?) GROUP BY kind")
            s.bind([.integer(Int64(total - maxRows))])
            var dropped: [String: Int] = [:]
            while try s.step() { dropped[s.text(0) ?? ""] = Int(s.int64(1)) }
            try conn.cached("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)").run([.integer(Int64(total - maxRows))])
            return dropped
        }
    }

    /// The remote id of a local object (`run:ID`, `experiment:NAME`, `version:MODEL/N`).
    public func remote(_ local: String) throws -> String? {
        try database.read { conn in
            let s = try conn.cached("SELECT remote FROM sync_map WHERE local = ?")
            s.bind([.text(local)])
            return try s.step() ? s.text(0) : nil
        }
    }

    public func map(_ local: String, to remote: String, now: Int64) throws {
        try database.write { conn in
            try conn.cached("INSERT INTO sync_map (local, remote, at_ns) VALUES (?, ?, ?) ON CONFLICT (local) DO UPDATE SET remote = excluded.remote, at_ns = excluded.at_ns")
                .run([.text(local), .text(remote), .integer(now)])
        }
    }

    public func state(_ key: String) throws -> String? {
        try database.read { conn in
            let s = try conn.cached("SELECT value FROM sync_state WHERE key = ?")
            s.bind([.text(key)])
            return try s.step() ? s.text(0) : nil
        }
    }

    public func setState(_ values: [String: String?]) throws {
        try database.write { conn in
            for (key, value) in values {
                if let value {
                    try conn.cached("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                        .run([.text(key), .text(value)])
                } else {
                    try conn.cached("DELETE FROM sync_state WHERE key = ?").run([.text(key)])
                }
            }
        }
    }
}
