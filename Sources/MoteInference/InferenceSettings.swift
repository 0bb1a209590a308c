public import MoteCore

/// `[inference]`: batch limits and the prediction log. Live on reload except `preload`,
/// which is read at start.
public struct InferenceSettings: SettingsSection {
    public static let section = "inference"

    /// Rows one infer or predict request may carry (beyond: 413).
    public var maxBatchRows = 10_000
    /// Models whose default version (champion, else newest) is loaded at start; others load on first use.
    public var preload: [String] = []
    /// Share of predicted rows whose input values go into the prediction log (all rows log ids and outputs).
    public var logSampleRate = 1.0
    /// Rows waiting for the log writer beyond which new rows are dropped (and counted).
    public var logMaxPending = 100_000
    /// The prediction log is trimmed to this age and row count by the retention pass.
    public var logMaxAgeNanos: Int64 = 30 * 86_400_000_000_000
    public var logMaxRows = 5_000_000
    /// A loaded version with no traffic for this long is unloaded (0: never); `preload` models stay.
    public var idleUnloadNanos: Int64 = 30 * 60_000_000_000
    /// Loaded versions are held within this many bytes (estimated), the least recently used
    /// unloaded first (0: no bound).
    public var maxLoadedBytes = 512 << 20
    /// Threads one explained batch may use (1: the request's own; more speed a large batch up at
    /// the cost of other requests' share of the cores).
    public var explainThreads = 1
    /// Rows waiting for a shadow version to score them beyond which new rows are dropped (and counted).
    public var shadowMaxPending = 10_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("max_batch_rows", 1...1_000_000) { maxBatchRows = v }
        if let v = try t.stringArray("preload") { preload = v }
        if let v = try t.number("log_sample_rate", 0...1, "expected a share of rows from 0 to 1, such as 0.1") { logSampleRate = v }
        if let v = try t.int("log_max_pending", 100...100_000_000) { logMaxPending = v }
        if let v = try t.duration("log_max_age") { logMaxAgeNanos = v }
        if let v = try t.int("log_max_rows", 1000...1_000_000_000) { logMaxRows = v }
        if let v = try t.int("shadow_max_pending", 1...10_000_000) { shadowMaxPending = v }
        if let v = try t.duration("idle_unload") { idleUnloadNanos = v }
        if let v = try t.int("explain_threads", 1...256) { explainThreads = v }
        if let v = try t.number("max_loaded_mib", 0...1_048_576, "expected a size in MiB (0: no bound), such as 512") { maxLoadedBytes = Int(v * 1_048_576) }
    }
}
