import MoteCore
public import MoteInference
import MoteML
public import MoteStorage

/// A version rolling out beside a model's champion, as stored.
public struct Rollout: Sendable, Equatable {
    public var model: String
    public var mode: Challenger.Mode
    public var version: Int
    /// The champion it is compared with (the one serving when it started).
    public var champion: Int
    /// A canary's share of routing keys (0 for a shadow).
    public var share: Double
    public var policy: RolloutPolicy
    public var startedNanos: Int64
}

/// What happened to a rollout: started, promoted, rolled back, stopped by hand.
public struct RolloutDecision: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case started, promoted
        case rolledBack = "rolled_back"
        case stopped
    }
    public var model: String
    public var mode: Challenger.Mode
    public var version: Int
    public var champion: Int
    public var kind: Kind
    public var reason: String
    /// The live evidence it was decided on (`challenger.<metric>`, `champion.<metric>`, `labels`...).
    public var metrics: [String: Double]
    public var decidedNanos: Int64
}

/// Rollouts in `registry.sqlite`: the active one per model (its policy and share survive a
/// restart) and every decision made about one, newest first on read.
public final class RolloutStore: Sendable {
    private let database: Database

    public init(storage: Storage) {
        database = storage.registry
    }

    /// The tables of this module, as a schema migration of `registry.sqlite`.
    public static let schema = SchemaPart(
        database: .registry,
        migrations: [
            Migrator.Migration(
                "0011_rollouts",
                sql: """
                    CREATE TABLE rollouts (
                        model TEXT PRIMARY KEY NOT NULL,
                        mode TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        champion INTEGER NOT NULL,
                        share REAL NOT NULL,
                        metric TEXT NOT NULL,
                        min_labels INTEGER NOT NULL,
                        max_labels INTEGER NOT NULL,
                        margin REAL NOT NULL,
                        automatic INTEGER NOT NULL,
                        started_ns INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE rollout_decisions (
                        id INTEGER PRIMARY KEY,
                        model TEXT NOT NULL,
                        mode TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        champion INTEGER NOT NULL,
                        decision TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        metrics TEXT NOT NULL,
                        decided_ns INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX rollout_decisions_by_model ON rollout_decisions (model, id);
                    """),
        ])

    /// Stores `rollout` as the model's active one (replacing any).
    public func save(_ r: Rollout) throws {
        try database.write { conn in
            try conn.cached(
                """
                INSERT OR REPLACE INTO rollouts (model, mode, version, champion, share, metric, min_labels, max_labels, margin, automatic, started_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            ).run([
                .text(r.model), .text(r.mode.rawValue), .integer(Int64(r.version)), .integer(Int64(r.champion)), .double(r.share),
                .text(r.policy.metric.rawValue), .integer(Int64(r.policy.minLabels)), .integer(Int64(r.policy.maxLabels)), .double(r.policy.margin),
                .integer(r.policy.automatic ? 1 : 0), .integer(r.startedNanos),
            ])
        }
    }

    /// Ends the model's active rollout (no-op when none) and records why, in one transaction.
    public func end(model: String, decision: RolloutDecision) throws {
        try database.write { conn in
            try conn.cached("DELETE FROM rollouts WHERE model = ?").run([.text(model)])
            try Self.insert(decision, conn)
        }
    }

    /// Records a decision that leaves the rollout active (it started).
    public func record(_ decision: RolloutDecision) throws {
        try database.write { conn in try Self.insert(decision, conn) }
    }

    private static func insert(_ d: RolloutDecision, _ conn: SQLiteConnection) throws {
        var w = JSONWriter()
        w.beginObject()
        for (k, v) in d.metrics.sorted(by: { $0.key < $1.key }) where v.isFinite { w.key(k); w.double(v) }
        w.endObject()
        try conn.cached(
            "INSERT INTO rollout_decisions (model, mode, version, champion, decision, reason, metrics, decided_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ).run([
            .text(d.model), .text(d.mode.rawValue), .integer(Int64(d.version)), .integer(Int64(d.champion)), .text(d.kind.rawValue), .text(d.reason),
            .text(String(decoding: w.bytes, as: UTF8.self)), .integer(d.decidedNanos),
        ])
    }

    /// The active rollouts.
    public func active() throws -> [Rollout] {
        try database.read { conn in
            let s = try conn.prepare(
                "SELECT model, mode, version, champion, share, metric, min_labels, max_labels, margin, automatic, started_ns FROM rollouts ORDER BY model")
            var out: [Rollout] = []
            while try s.step() {
                guard let mode = Challenger.Mode(rawValue: s.text(1) ?? ""), let metric = Metric(rawValue: s.text(5) ?? "") else { continue }
                out.append(
                    Rollout(
                        model: s.text(0) ?? "", mode: mode, version: Int(s.int64(2)), champion: Int(s.int64(3)), share: s.double(4),
                        policy: RolloutPolicy(
                            metric: metric, minLabels: Int(s.int64(6)), maxLabels: Int(s.int64(7)), margin: s.double(8), automatic: s.int64(9) != 0),
                        startedNanos: s.int64(10)))
            }
            return out
        }
    }

    /// The model's newest decisions, newest first.
    public func decisions(model: String, limit: Int) throws -> [RolloutDecision] {
        try database.read { conn in
            let s = try conn.prepare(
                "SELECT model, mode, version, champion, decision, reason, metrics, decided_ns FROM rollout_decisions WHERE model = ? ORDER BY id DESC LIMIT ?")
            s.bind([.text(model), .integer(Int64(limit))])
            var out: [RolloutDecision] = []
            while try s.step() {
                guard let mode = Challenger.Mode(rawValue: s.text(1) ?? ""), let kind = RolloutDecision.Kind(rawValue: s.text(4) ?? "") else { continue }
                var metrics: [String: Double] = [:]
                if case .object(let o)? = try? JSONParser.parse(s.text(6) ?? "{}") {
                    for m in o.members { if let d = m.value.doubleValue { metrics[m.key] = d } }
                }
                out.append(
                    RolloutDecision(
                        model: s.text(0) ?? "", mode: mode, version: Int(s.int64(2)), champion: Int(s.int64(3)), kind: kind, reason: s.text(5) ?? "",
                        metrics: metrics, decidedNanos: s.int64(7)))
            }
            return out
        }
    }
}
