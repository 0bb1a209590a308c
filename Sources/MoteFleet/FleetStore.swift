public import MoteRegistry
public import MoteStorage

/// The fleet's durable state in `registry.sqlite`: per followed model what the central alias
/// pointed at when last polled, an operator's pin, and per central version what this box
/// decided (so a version is imported, gated and reported once, and an alias moved back finds
/// the local version it became).
public final class FleetStore: Sendable {
    private let database: Database
    private let registry: RegistryStore

    public init(storage: Storage, registry: RegistryStore) {
        database = storage.registry
        self.registry = registry
    }

    /// The tables of this module, as a schema migration of `registry.sqlite`.
    public static let schema = SchemaPart(
        database: .registry,
        migrations: [
            Migrator.Migration(
                "0009_fleet",
                sql: """
                    CREATE TABLE fleet_models (
                        model TEXT PRIMARY KEY NOT NULL,
                        alias TEXT NOT NULL,
                        central_version TEXT,
                        polled_ns INTEGER,
                        pinned_version INTEGER
                    ) STRICT;
                    CREATE TABLE fleet_versions (
                        model TEXT NOT NULL,
                        central_version TEXT NOT NULL,
                        local_version INTEGER,
                        decision TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        final INTEGER NOT NULL,
                        decided_ns INTEGER NOT NULL,
                        PRIMARY KEY (model, central_version)
                    ) STRICT, WITHOUT ROWID;
                    """),
        ])

    /// What this box decided about one central version.
    public struct Decision: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// Imported and serving as `champion` (or served earlier and brought back).
            case deployed
            /// Imported, but the gate kept the local champion.
            case rejected
            /// Could not be imported or gated; `final` says whether a later poll tries again.
            case failed
        }
        public var model: String
        public var centralVersion: String
        public var localVersion: Int?
        public var kind: Kind
        public var reason: String
        public var final: Bool
        public var decidedNanos: Int64

        /// The value reported to the centre: `deployed`, `rejected: why`, `failed: why`.
        public var reported: String { kind == .deployed ? "deployed" : "\(kind.rawValue): \(reason)" }
    }

    /// A followed model's row.
    public struct Followed: Sendable, Equatable {
        public var model: String
        public var alias: String
        public var centralVersion: String?
        public var polledNanos: Int64?
        public var pinnedVersion: Int?
    }

    public func decision(model: String, centralVersion: String) throws -> Decision? {
        try database.read { conn in
            let s = try conn.cached(
                "SELECT local_version, decision, reason, final, decided_ns FROM fleet_versions WHERE model = ? AND central_version = ?")
            s.bind([.text(model), .text(centralVersion)])
            defer { s.reset() }
            guard try s.step() else { return nil }
            return Decision(
                model: model, centralVersion: centralVersion, localVersion: s.isNull(0) ? nil : Int(s.int64(0)),
                kind: Decision.Kind(rawValue: s.text(1) ?? "") ?? .failed, reason: s.text(2) ?? "", final: s.int64(3) != 0,
                decidedNanos: s.int64(4))
        }
    }

    /// The newest decision about any version of `model`.
    public func lastDecision(model: String) throws -> Decision? {
        try database.read { conn in
            let s = try conn.cached(
                "SELECT central_version, local_version, decision, reason, final, decided_ns FROM fleet_versions WHERE model = ? ORDER BY decided_ns DESC LIMIT 1")
            s.bind([.text(model)])
            defer { s.reset() }
            guard try s.step() else { return nil }
            return Decision(
                model: model, centralVersion: s.text(0) ?? "", localVersion: s.isNull(1) ? nil : Int(s.int64(1)),
                kind: Decision.Kind(rawValue: s.text(2) ?? "") ?? .failed, reason: s.text(3) ?? "", final: s.int64(4) != 0,
                decidedNanos: s.int64(5))
        }
    }

    /// Records a decision (replacing an earlier one about the same version).
    public func record(_ d: Decision) throws {
        try database.write { conn in
            try conn.cached(
                """
                INSERT OR REPLACE INTO fleet_versions (model, central_version, local_version, decision, reason, final, decided_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
            ).run([
                .text(d.model), .text(d.centralVersion), d.localVersion.map { .integer(Int64($0)) } ?? .null, .text(d.kind.rawValue),
                .text(String(d.reason.prefix(2000))), .integer(d.final ? 1 : 0), .integer(d.decidedNanos),
            ])
        }
    }

    /// Notes a poll of `model`: the alias and the version it pointed at (nil: not set centrally).
    public func polled(model: String, alias: String, centralVersion: String?, now: Int64) throws {
        try database.write { conn in
            try conn.cached(
                """
                INSERT INTO fleet_models (model, alias, central_version, polled_ns) VALUES (?, ?, ?, ?)
                ON CONFLICT (model) DO UPDATE SET alias = excluded.alias, central_version = excluded.central_version, polled_ns = excluded.polled_ns
                """
            ).run([.text(model), .text(alias), centralVersion.map { .text($0) } ?? .null, .integer(now)])
        }
    }

    /// Every model polled or pinned so far.
    public func followed() throws -> [Followed] {
        try database.read { conn in
            let s = try conn.prepare("SELECT model, alias, central_version, polled_ns, pinned_version FROM fleet_models ORDER BY model")
            var out: [Followed] = []
            while try s.step() {
                out.append(Followed(
                    model: s.text(0) ?? "", alias: s.text(1) ?? "", centralVersion: s.text(2), polledNanos: s.isNull(3) ? nil : s.int64(3),
                    pinnedVersion: s.isNull(4) ? nil : Int(s.int64(4))))
            }
            return out
        }
    }

    public func pinned(model: String) throws -> Int? {
        try database.read { conn in
            let s = try conn.cached("SELECT pinned_version FROM fleet_models WHERE model = ?")
            s.bind([.text(model)])
            defer { s.reset() }
            guard try s.step(), !s.isNull(0) else { return nil }
            return Int(s.int64(0))
        }
    }

    /// Holds `model` on `version` (nil: lets it follow the centre again), audited as
    /// `fleet.pin` / `fleet.unpin` in the same transaction.
    public func pin(model: String, version: Int?, alias: String, actor: ChangeAuthor) throws {
        let before = try pinned(model: model)
        try registry.audited(
            actor, action: version == nil ? "fleet.unpin" : "fleet.pin", subject: "fleet:\(model)",
            before: before.map { "{\"pinned_version\":\($0)}" }, after: version.map { "{\"pinned_version\":\($0)}" }
        ) { conn in
            try conn.cached(
                """
                INSERT INTO fleet_models (model, alias, pinned_version) VALUES (?, ?, ?)
                ON CONFLICT (model) DO UPDATE SET pinned_version = excluded.pinned_version
                """
            ).run([.text(model), .text(alias), version.map { .integer(Int64($0)) } ?? .null])
        }
    }
}
