public import MoteCore
public import MoteStorage

/// Experiments, runs, registered models, versions and aliases in `registry.sqlite`. Every
/// change is one transaction that also writes its audit and outbox rows; events go out after
/// the commit.
public final class RegistryStore: Sendable {
    let database: Database
    /// In-process events (alias moves, new versions).
    public let events = RegistryEvents()

    public init(storage: Storage) {
        database = storage.registry
    }

    /// Runs `body` as one audited change. A change that adds data (`adding`, the default) is
    /// refused while the disk is low on space; removals are not.
    func change<T>(_ actor: ChangeAuthor, adding: Bool = true, _ body: (SQLiteConnection, inout ChangeLog) throws -> T) throws -> T {
        var log = ChangeLog()
        let result = try database.write(addingData: adding) { conn -> T in
            let result = try body(conn, &log)
            try log.write(conn, actor: actor, at: SystemClock.nowNanos())
            return result
        }
        events.publish(log.events)
        return result
    }

    /// Runs `body` on a read snapshot.
    func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try database.read(body)
    }

    // MARK: - Audit and outbox

    /// One audited change.
    public struct AuditEntry: Sendable {
        public var id: Int64
        public var atNanos: Int64
        public var actor: ChangeAuthor
        public var action: String
        public var subject: String
        public var before: String?
        public var after: String?
    }

    /// The newest audit entries first, optionally for one subject prefix (`model:NAME`).
    public func audit(limit: Int, subjectPrefix: String? = nil) throws -> [AuditEntry] {
        try read { conn in
            let statement = try conn.prepare(
                """
                SELECT id, at_ns, uid, pid, action, subject, before, after FROM audit
                WHERE ? IS NULL OR substr(subject, 1, length(?)) = ? ORDER BY id DESC LIMIT ?
                """)
            let prefix: SQLiteValue = subjectPrefix.map { .text($0) } ?? .null
            statement.bind([prefix, prefix, prefix, .integer(Int64(limit))])
            var out: [AuditEntry] = []
            while try statement.step() {
                out.append(AuditEntry(
                    id: statement.int64(0), atNanos: statement.int64(1),
                    actor: ChangeAuthor(uid: UInt32(truncatingIfNeeded: statement.int64(2)), pid: Int32(truncatingIfNeeded: statement.int64(3))),
                    action: statement.text(4) ?? "", subject: statement.text(5) ?? "",
                    before: statement.isNull(6) ? nil : statement.text(6), after: statement.isNull(7) ? nil : statement.text(7)))
            }
            return out
        }
    }

    /// Trims the audit trail to `[registry]`'s age and row bounds in short transactions of
    /// `batch` rows (at most `maxPasses` of them); returns how many entries went.
    public func trimAudit(now: Int64, settings: RegistrySettings, batch: Int = 5000, maxPasses: Int = 1000) throws -> Int {
        try database.trimOldest(
            Database.TrimmedTable(name: "audit", key: "id", time: "at_ns", order: "id"), now: now,
            maxAgeNanos: settings.auditMaxAgeNanos, maxRows: settings.auditMaxRows, batch: batch, maxPasses: maxPasses)
    }

    /// Runs `body` on the registry database with one audit row (`before`/`after` JSON text), in
    /// one transaction: for other modules' audited changes to their own tables (fleet pins).
    public func audited<T>(
        _ actor: ChangeAuthor, action: String, subject: String, before: String?, after: String?, _ body: (SQLiteConnection) throws -> T
    ) throws -> T {
        try change(actor, adding: false) { conn, log in
            let result = try body(conn)
            log.audits.append(ChangeLog.AuditRow(action: action, subject: subject, before: before, after: after))
            return result
        }
    }

    /// Adds a message for the central host that reports no registry change (monitoring
    /// summaries): written the way every change writes its outbox rows.
    public func enqueueOutbox(kind: OutboxKind, subject: String, payload: JSONWriter) throws {
        try change(.daemon) { _, log in log.send(kind, subject, payload) }
    }

    /// A message waiting for the central host.
    public struct OutboxEntry: Sendable {
        public var seq: Int64
        public var atNanos: Int64
        public var kind: String
        public var subject: String
        public var payload: String
        public var attempts: Int
        public var lastError: String?

        public init(seq: Int64, atNanos: Int64, kind: String, subject: String, payload: String, attempts: Int, lastError: String?) {
            self.seq = seq
            self.atNanos = atNanos
            self.kind = kind
            self.subject = subject
            self.payload = payload
            self.attempts = attempts
            self.lastError = lastError
        }
    }

    /// Pending outbox rows in order (parked ones are not pending), and how many are pending.
    public func outbox(limit: Int) throws -> (entries: [OutboxEntry], total: Int) {
        try read { conn in
            let statement = try conn.cached(
                "SELECT seq, at_ns, kind, subject, payload, attempts, last_error FROM outbox WHERE parked_ns IS NULL ORDER BY seq LIMIT ?")
            statement.bind([.integer(Int64(limit))])
            var out: [OutboxEntry] = []
            while try statement.step() {
                out.append(OutboxEntry(
                    seq: statement.int64(0), atNanos: statement.int64(1), kind: statement.text(2) ?? "",
                    subject: statement.text(3) ?? "", payload: statement.text(4) ?? "", attempts: Int(statement.int64(5)),
                    lastError: statement.isNull(6) ? nil : statement.text(6)))
            }
            let total = Int(try conn.scalarInt("SELECT count(*) FROM outbox WHERE parked_ns IS NULL") ?? 0)
            return (out, total)
        }
    }
}

extension SQLiteConnection {
    /// The integer a one-row query with bound values returns (0 when none).
    func count(_ sql: String, _ values: [SQLiteValue]) throws -> Int {
        let statement = try cached(sql)
        statement.bind(values)
        defer { statement.reset() }
        guard try statement.step() else { return 0 }
        return Int(statement.int64(0))
    }

    /// Key/value pairs of a tag or param table for one owner.
    func pairs(_ sql: String, _ owner: [SQLiteValue]) throws -> [(String, String)] {
        let statement = try cached(sql)
        statement.bind(owner)
        var out: [(String, String)] = []
        while try statement.step() { out.append((statement.text(0) ?? "", statement.text(1) ?? "")) }
        statement.reset()
        return out
    }
}
