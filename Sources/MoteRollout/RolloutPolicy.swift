public import MoteCore
public import MoteML
public import MoteModels

/// When a rolling-out version is promoted or rolled back: once it and the champion each have
/// at least `minLabels` labelled live predictions, it is promoted when its live `metric` beats
/// the champion's by more than `margin`, rolled back when it is worse by more than `margin`,
/// and otherwise watched until `maxLabels`, then rolled back (not shown better). With
/// `automatic` false the rollout is compared and reported, never acted on.
public struct RolloutPolicy: Sendable, Equatable {
    public var metric: Metric
    public var minLabels: Int
    public var maxLabels: Int
    public var margin: Double
    public var automatic: Bool

    public init(metric: Metric, minLabels: Int, maxLabels: Int, margin: Double, automatic: Bool = true) {
        self.metric = metric
        self.minLabels = minLabels
        self.maxLabels = maxLabels
        self.margin = margin
        self.automatic = automatic
    }

    /// The policy of a request body's `policy` object (each member optional, the rest from
    /// `[rollout]` and the task's default metric); bad members are 422 `invalid_shape`.
    public static func parse(_ value: JSONValue?, task: ModelTask, defaults: RolloutSettings) throws(DomainError) -> RolloutPolicy {
        guard let fallback = task.defaultMetric else {
            throw DomainError(.conflict, .rolloutIncompatible, "an anomaly model has no live metric to judge a rollout by")
        }
        var policy = RolloutPolicy(metric: fallback, minLabels: defaults.minLabels, maxLabels: defaults.maxLabels, margin: defaults.margin)
        guard let value, value != .null else { return policy }
        guard case .object(let o) = value else { throw .invalidShape("'policy' must be an object {metric, min_labels, max_labels, margin, automatic}") }
        try o.refuseUnknownKeys(["metric", "min_labels", "max_labels", "margin", "automatic"], at: "policy")
        if let m = o["metric"] {
            guard let name = m.stringValue, let metric = Metric(rawValue: name), task.metrics.contains(metric) else {
                throw .invalidShape("'policy.metric' must be one of \(task.metrics.map(\.rawValue).joined(separator: ", ")) for a \(task.rawValue) model")
            }
            policy.metric = metric
        }
        func count(_ key: String) throws(DomainError) -> Int? {
            guard let v = o[key] else { return nil }
            guard let n = v.int64Value, n >= 1, n <= 100_000_000 else { throw .invalidShape("'policy.\(key)' must be a whole number from 1 to 100000000") }
            return Int(n)
        }
        if let n = try count("min_labels") {
            policy.minLabels = n
            policy.maxLabels = max(policy.maxLabels, n)
        }
        if let n = try count("max_labels") { policy.maxLabels = n }
        guard policy.maxLabels >= policy.minLabels else { throw .invalidShape("'policy.max_labels' must be at least min_labels (\(policy.minLabels))") }
        if let m = o["margin"] {
            guard let d = m.doubleValue, d.isFinite, d >= 0 else { throw .invalidShape("'policy.margin' must be a number >= 0") }
            policy.margin = d
        }
        if let a = o["automatic"] {
            guard case .bool(let b) = a else { throw .invalidShape("'policy.automatic' must be true or false") }
            policy.automatic = b
        }
        return policy
    }

    /// `{metric, min_labels, max_labels, margin, automatic}`.
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("metric"); w.string(metric.rawValue)
        w.key("min_labels"); w.int(minLabels)
        w.key("max_labels"); w.int(maxLabels)
        w.key("margin"); w.double(margin)
        w.key("automatic"); w.bool(automatic)
        w.endObject()
    }
}

extension ErrorCode {
    /// The version cannot roll out beside this champion (another task, classes or inputs, or an
    /// anomaly model), or the model has no champion to roll out beside (409).
    public static let rolloutIncompatible: ErrorCode = "rollout_incompatible"
    /// The model has no rollout (404).
    public static let rolloutNotFound: ErrorCode = "rollout_not_found"
}
