import MoteCore
import MoteStorage

/// Who asked for a change: the peer credentials of the socket caller (or moted itself).
public struct ChangeAuthor: Sendable, Equatable {
    public var uid: UInt32
    public var pid: Int32
    public init(uid: UInt32, pid: Int32) {
        self.uid = uid
        self.pid = pid
    }
    /// moted acting on its own (training, rollbacks it decides).
    public static let daemon = ChangeAuthor(uid: 0, pid: 0)
}

/// What one registry change records besides itself: audit rows (who, when, what, before,
/// after) and outbox rows for the central host. Both are written in the change's own
/// transaction, so a change that fails leaves neither.
public struct ChangeLog {
    struct AuditRow {
        var action: String
        var subject: String
        var before: String?
        var after: String?
    }
    struct OutboxRow {
        var kind: String
        var subject: String
        var payload: String
    }
    var audits: [AuditRow] = []
    var outbox: [OutboxRow] = []
    var events: [RegistryEvent] = []

    /// Records an audited change; `before`/`after` are JSON documents (nil: did not exist).
    mutating func audit(_ action: String, _ subject: String, before: JSONWriter? = nil, after: JSONWriter? = nil) {
        audits.append(AuditRow(
            action: action, subject: subject, before: before.map { String(decoding: $0.bytes, as: UTF8.self) },
            after: after.map { String(decoding: $0.bytes, as: UTF8.self) }))
    }

    /// Queues a message for the central host.
    mutating func send(_ kind: OutboxKind, _ subject: String, _ payload: JSONWriter) {
        outbox.append(OutboxRow(kind: kind.rawValue, subject: subject, payload: String(decoding: payload.bytes, as: UTF8.self)))
    }

    /// Publishes an in-process event once the change has committed.
    mutating func publish(_ event: RegistryEvent) { events.append(event) }

    func write(_ conn: SQLiteConnection, actor: ChangeAuthor, at nanos: Int64) throws {
        let audit = try conn.cached("INSERT INTO audit (at_ns, uid, pid, action, subject, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)")
        for row in audits {
            try audit.run([
                .integer(nanos), .integer(Int64(actor.uid)), .integer(Int64(actor.pid)), .text(row.action), .text(row.subject),
                row.before.map { .text($0) } ?? .null, row.after.map { .text($0) } ?? .null,
            ])
        }
        let outbox = try conn.cached("INSERT INTO outbox (at_ns, kind, subject, payload) VALUES (?, ?, ?, ?)")
        for row in self.outbox {
            try outbox.run([.integer(nanos), .text(row.kind), .text(row.subject), .text(row.payload)])
        }
    }
}

/// A registry change that serving cares about, published in-process after it committed.
public enum RegistryEvent: Sendable, Equatable {
    /// `alias` of `model` now points at `version` (nil: removed).
    case aliasMoved(model: String, alias: String, version: Int?)
    case versionRegistered(model: String, version: Int)
}

/// Listeners of registry events (the inference module hot-swaps on `aliasMoved`).
public final class RegistryEvents: Sendable {
    private let listeners = LockedValue<[@Sendable (RegistryEvent) -> Void]>([])

    public init() {}

    /// Calls `listener` for every later event, on the thread that made the change.
    public func subscribe(_ listener: @escaping @Sendable (RegistryEvent) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    func publish(_ events: [RegistryEvent]) {
        guard !events.isEmpty else { return }
        let all = listeners.withLock { $0 }
        for event in events { for listener in all { listener(event) } }
    }
}
