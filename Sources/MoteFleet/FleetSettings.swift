public import MoteCore

/// `[fleet]`: centrally approved models pulled from the MLflow Model Registry that `[sync]`
/// names (its url, credentials and TLS). Live on reload: the next poll uses the new values.
public struct FleetSettings: SettingsSection {
    public static let section = "fleet"

    public var enabled = false
    /// How often the central aliases are resolved (also on `POST /v1/fleet/poll`).
    public var intervalNanos: Int64 = 300_000_000_000
    /// The central alias this box follows; a canary group follows another (`fleet-canary`).
    public var alias = "fleet"
    /// The central registered models to follow; empty: every central model carrying `alias`
    /// (this box's own mirrored models, named by `sync.model_name_template`, never).
    public var models: [String] = []
    /// Deploy what the centre approves without gating it on this box's labelled data.
    public var trustCentral = false
    /// A model's files larger than this are refused (they are held in memory to import).
    public var maxModelBytes = 256 << 20

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.bool("enabled") { enabled = v }
        if let v = try t.duration("interval", positive: true) { intervalNanos = v }
        if let v = try t.string("alias", nonEmpty: true) {
            guard v.utf8.count <= 255, v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                throw t.failure("alias", "letters, digits, '-' and '_', at most 255")
            }
            alias = v
        }
        if let v = try t.stringArray("models") {
            for name in v where name.isEmpty || name.utf8.count > 255 {
                throw t.failure("models", "model names are 1 to 255 bytes ('\(name.prefix(40))')")
            }
            models = v
        }
        if let v = try t.bool("trust_central") { trustCentral = v }
        if let v = try t.int("max_model_mib", 1...65_536) { maxModelBytes = v << 20 }
    }
}
