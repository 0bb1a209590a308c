public import MoteCore

/// `[scoring]`: how batch scoring jobs read, score and write. Live on reload.
public struct ScoringSettings: SettingsSection {
    public static let section = "scoring"

    /// Entities read, scored and written per step: a job's memory is bounded by one chunk's
    /// rows, whatever the number of entities.
    public var chunkRows = 10_000
    /// Skipped entities listed by key in a run's `skipped.csv`; more are only counted.
    public var skippedListed = 100_000
    /// The share of scored rows whose inputs the prediction log keeps (every row's id, entity
    /// key and outputs are kept): drift monitoring needs a sample, not a million rows.
    public var logSampleRate = 0.01
    /// How often `every` schedules of scoring jobs are checked.
    public var scheduleIntervalNanos: Int64 = 30_000_000_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("chunk_rows", 100...1_000_000) { chunkRows = v }
        if let v = try t.int("skipped_listed", 0...10_000_000) { skippedListed = v }
        if let v = try t.number("log_sample_rate", 0...1, "expected a share of rows from 0 to 1, such as 0.01") { logSampleRate = v }
        if let v = try t.duration("schedule_interval", positive: true) { scheduleIntervalNanos = v }
    }
}
