public import MoteCore

/// `[registry]`: how long the audit trail is kept. Live on reload.
public struct RegistrySettings: SettingsSection {
    public static let section = "registry"

    /// Audit entries older than this are deleted (0: kept by age forever).
    public var auditMaxAgeNanos: Int64 = 400 * 86_400_000_000_000
    /// At most this many audit entries are kept (the oldest go first).
    public var auditMaxRows = 1_000_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.duration("audit_max_age") { auditMaxAgeNanos = v }
        if let v = try t.int("audit_max_rows", 1000...1_000_000_000) { auditMaxRows = v }
    }
}
