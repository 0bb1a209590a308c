public import MoteCore

/// `[rollout]`: how shadow and canary versions are judged on live evidence, and the defaults a
/// rollout takes when its request names none. Live on reload (the next check uses them).
public struct RolloutSettings: SettingsSection {
    public static let section = "rollout"

    /// How often active rollouts are compared and judged (also on `POST /v1/models/{m}/rollout/check`).
    public var checkIntervalNanos: Int64 = 30_000_000_000
    /// A canary's share of routing keys when its request names none.
    public var canaryShare = 0.1
    /// Labelled live predictions each side needs before a rollout is judged.
    public var minLabels = 200
    /// Labelled predictions after which a challenger not yet better by the margin is rolled back.
    public var maxLabels = 2000
    /// How much better (in the metric's own units) the challenger must be to be promoted, and
    /// how much worse to be rolled back before `max_labels`.
    public var margin = 0.0

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.duration("check_interval", positive: true) { checkIntervalNanos = v }
        if let v = try t.number("canary_share", 0.0001...1, "expected a share of traffic above 0 and at most 1, such as 0.1") { canaryShare = v }
        if let v = try t.int("min_labels", 1...100_000_000) { minLabels = v }
        if let v = try t.int("max_labels", 1...100_000_000) { maxLabels = v }
        if let v = try t.number("margin", 0...Double.greatestFiniteMagnitude, "expected a number >= 0") { margin = v }
        guard maxLabels >= minLabels else { throw t.failure("max_labels", "must be at least min_labels (\(minLabels))") }
    }
}
