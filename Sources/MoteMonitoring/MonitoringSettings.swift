public import MoteCore

/// `[monitoring]`: live profiles, drift tests, feedback metrics and alerts. Live on reload.
public struct MonitoringSettings: SettingsSection {
    public static let section = "monitoring"

    /// Drift tests. `auto` is Evidently's default choice by feature kind and reference size.
    public enum DriftMethod: String, Sendable, Equatable, CaseIterable {
        case auto, ks, wasserstein, chisquare, z, jensenshannon, psi
    }
    /// A method and threshold for a model or one of its features (nil: inherit).
    public struct DriftRule: Sendable, Equatable {
        public var method: DriftMethod?
        public var threshold: Double?
        public init(method: DriftMethod? = nil, threshold: Double? = nil) {
            self.method = method
            self.threshold = threshold
        }
    }
    /// Per-model overrides (`[monitoring.models.NAME]`).
    public struct ModelRules: Sendable, Equatable {
        public var rule = DriftRule()
        public var datasetShare: Double?
        /// By feature name as the model names its input (`view:field`).
        public var features: [String: DriftRule] = [:]
        public init() {}
    }

    /// Off: no live profiles, no checks (the prediction log still records).
    public var enabled = true
    /// Live rows a check looks at, newest first (older buckets are dropped).
    public var windowRows = 10_000
    /// Live rows older than this are out of the window.
    public var windowNanos: Int64 = 3_600_000_000_000
    /// Span of one live-profile bucket: a window is the merge of its buckets.
    public var bucketNanos: Int64 = 60_000_000_000
    /// Values per feature kept per bucket (a uniform sample) and at most used by a test.
    public var liveSample = 1000
    /// Below this many live rows a model is not judged ("not enough data"): a normed
    /// Wasserstein distance of stationary data passes 0.1 for 23 % of 300-row windows and
    /// 4-5 % of 1000-row ones (docs/decisions.md).
    public var minRows = 1000
    /// The dataset drifts when this share of its inputs drifts.
    public var datasetShare = 0.5
    /// How often the served models are checked.
    public var intervalNanos: Int64 = 60_000_000_000
    /// The default rule for every model and feature.
    public var rule = DriftRule()
    public var models: [String: ModelRules] = [:]
    /// Feedback rows a live metric needs before it is judged.
    public var minFeedback = 30
    /// A live metric worse than the holdout's by more than this share of it is a degradation.
    public var maxMetricDrop = 0.1
    /// At least this long between two drift-triggered training jobs of a spec.
    public var retrainMinIntervalNanos: Int64 = 21_600_000_000_000
    /// A monitoring summary per served model goes to the outbox this often (0: never).
    public var summaryIntervalNanos: Int64 = 3_600_000_000_000

    /// How often the data of views with expectations is checked (quality states, stale entities).
    public var dataIntervalNanos: Int64 = 30_000_000_000
    /// Entities named one journal entry each per check when they go stale or recover; more are
    /// one entry with the count.
    public var staleLogMax = 20

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.bool("enabled") { enabled = v }
        if let v = try t.int("window_rows", 10...10_000_000) { windowRows = v }
        if let v = try t.duration("window", positive: true) { windowNanos = v }
        if let v = try t.duration("bucket", positive: true) { bucketNanos = v }
        guard bucketNanos <= windowNanos else { throw t.failure("bucket", "a bucket cannot be longer than the window") }
        guard windowNanos / bucketNanos <= 10_000 else {
            throw t.failure("bucket", "at most 10000 buckets per window; choose a longer bucket")
        }
        if let v = try t.int("live_sample", 50...1_000_000) { liveSample = v }
        if let v = try t.int("min_rows", 1...1_000_000) { minRows = v }
        if let v = try t.share("drift_share") { datasetShare = v }
        if let v = try t.duration("interval", positive: true) { intervalNanos = v }
        rule = try Self.driftRule(t)
        if let table = try t.table("models") {
            for entry in table.table.entries {
                guard let m = try table.table(entry.key) else { continue }
                var rules = ModelRules()
                rules.rule = try Self.driftRule(m)
                rules.datasetShare = try m.share("drift_share")
                if let features = try m.table("features") {
                    for f in features.table.entries {
                        guard let ft = try features.table(f.key) else { continue }
                        rules.features[f.key] = try Self.driftRule(ft)
                        try ft.finish()
                    }
                }
                try m.finish()
                models[entry.key] = rules
            }
        }
        if let v = try t.int("min_feedback", 1...10_000_000) { minFeedback = v }
        if let v = try t.share("max_metric_drop") { maxMetricDrop = v }
        if let v = try t.duration("retrain_min_interval") { retrainMinIntervalNanos = v }
        if let v = try t.duration("summary_interval") { summaryIntervalNanos = v }
        if let v = try t.duration("data_interval", positive: true) { dataIntervalNanos = v }
        if let v = try t.int("stale_log_max", 0...100_000) { staleLogMax = v }
    }

    /// `method` and `threshold` of a monitoring table (a p-value for ks, chisquare and z; a
    /// distance or index for wasserstein, jensenshannon and psi).
    static func driftRule(_ t: TableReader) throws(ConfigFailure) -> DriftRule {
        var rule = DriftRule()
        rule.method = try t.enumeration("method", DriftMethod.self)
        let expected = "expected a number above 0 (a p-value such as 0.05, or a distance such as 0.1)"
        if let d = try t.number("threshold", 0...Double.greatestFiniteMagnitude, expected) {
            guard d > 0 else { throw t.failure("threshold", expected) }
            rule.threshold = d
        }
        if rule.threshold != nil, rule.method == nil || rule.method == .auto {
            throw t.failure("threshold", "a threshold needs a method (a p-value for ks, chisquare and z; a distance for the others)")
        }
        return rule
    }
}
