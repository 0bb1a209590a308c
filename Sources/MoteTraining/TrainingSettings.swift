public import MoteCore

/// `[training]`: the training queue and what one job may use. Live on reload.
public struct TrainingSettings: SettingsSection {
    public static let section = "training"

    /// Jobs waiting beyond the running one; more are refused with 429.
    public var maxQueued = 16
    /// Threads one job may use (the GBDT `threads` parameter is capped to it).
    public var threads = 1
    /// Niceness of training threads (0-19): serving keeps the CPU when both want it.
    public var nice = 10
    /// A job whose training set would need more memory than this is refused before loading.
    public var memoryBudgetMiB = 512
    /// How often schedules (`every`, `min_new_labels`) are checked.
    public var scheduleIntervalNanos: Int64 = 30_000_000_000
    /// Labelled rows below which a job fails instead of training on too little.
    public var minRows = 20
    /// An imported model with bound inputs and no reference file profiles its inputs from the
    /// feature history of this recent window...
    public var importReferenceWindowNanos: Int64 = 7 * 86_400_000_000_000
    /// ...reading at most this many rows.
    public var importReferenceRows = 10_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("max_queued", 0...10_000) { maxQueued = v }
        if let v = try t.int("threads", 1...256) { threads = v }
        if let v = try t.int("nice", 0...19) { nice = v }
        if let v = try t.int("memory_budget_mib", 16...1_048_576) { memoryBudgetMiB = v }
        if let v = try t.duration("schedule_interval", positive: true) { scheduleIntervalNanos = v }
        if let v = try t.int("min_rows", 2...1_000_000_000) { minRows = v }
        if let v = try t.duration("import_reference_window", positive: true) { importReferenceWindowNanos = v }
        if let v = try t.int("import_reference_rows", 10...10_000_000) { importReferenceRows = v }
    }
}
