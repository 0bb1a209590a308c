public import MoteCore

/// `[features]`: limits of the feature store's API and its retention pass. Live on reload.
public struct FeatureSettings: SettingsSection {
    public static let section = "features"

    /// Rows one push may carry; more is 413 `too_many_rows`.
    public var maxPushRows = 100_000
    /// Entity rows one online read may ask for.
    public var maxReadEntities = 10_000
    /// Entity rows one historical (point-in-time) request may carry.
    public var maxHistoricalRows = 5_000_000
    /// How far in the future an event timestamp may be (clock skew between writers).
    public var futureSkewNanos: Int64 = 300_000_000_000
    /// How often retention runs.
    public var retentionIntervalNanos: Int64 = 60_000_000_000
    /// Pushed rows that may wait unmerged in the inbox; beyond it every push first waits for a
    /// chunk to be merged (a stream faster than merges slows to their pace).
    public var maxUnmergedRows = 1_000_000
    /// How long pushed rows may wait unmerged while pushes keep coming (when pushes pause they
    /// are merged at once).
    public var mergeDelayNanos: Int64 = 30_000_000_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("max_push_rows", 1...10_000_000) { maxPushRows = v }
        if let v = try t.int("max_read_entities", 1...1_000_000) { maxReadEntities = v }
        if let v = try t.int("max_historical_rows", 1...100_000_000) { maxHistoricalRows = v }
        if let v = try t.duration("future_skew") { futureSkewNanos = v }
        if let v = try t.duration("retention_interval", positive: true) { retentionIntervalNanos = v }
        if let v = try t.int("max_unmerged_rows", 10_000...100_000_000) { maxUnmergedRows = v }
        if let v = try t.duration("merge_delay", positive: true) { mergeDelayNanos = v }
    }
}
