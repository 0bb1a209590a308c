public import MoteCore
public import MoteML
import MoteModels

/// A training spec's `rollout = { mode, share, metric, min_labels, max_labels, margin }`: a
/// candidate that passes the holdout gate while a champion serves is not made champion at
/// once; it rolls out beside it as a shadow (scoring every answered row) or a canary (answering
/// `share` of the entities) and is promoted or rolled back on live evidence. Members left out
/// take `[rollout]`'s defaults when the rollout starts.
public struct RolloutPlan: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case shadow, canary
    }
    public var mode: Mode
    public var share: Double?
    public var metric: Metric?
    public var minLabels: Int?
    public var maxLabels: Int?
    public var margin: Double?

    public init(mode: Mode, share: Double? = nil, metric: Metric? = nil, minLabels: Int? = nil, maxLabels: Int? = nil, margin: Double? = nil) {
        self.mode = mode
        self.share = share
        self.metric = metric
        self.minLabels = minLabels
        self.maxLabels = maxLabels
        self.margin = margin
    }

    /// The `policy` object of a rollout request: the members the plan gives.
    public var policy: JSONValue {
        var o = JSONObject()
        if let metric { o["metric"] = .string(metric.rawValue) }
        if let minLabels { o["min_labels"] = .integer(Int64(minLabels)) }
        if let maxLabels { o["max_labels"] = .integer(Int64(maxLabels)) }
        if let margin { o["margin"] = .double(margin) }
        return .object(o)
    }

    /// Reads `rollout = { ... }` of a spec of `task`.
    static func read(_ t: TableReader, task: ModelTask) throws(ConfigFailure) -> RolloutPlan? {
        guard let r = try t.table("rollout") else { return nil }
        guard task != .anomaly else { throw r.failure("mode", "an anomaly model has no live metric to judge a rollout by") }
        guard let mode = try r.enumeration("mode", Mode.self) else { throw r.failure("mode", "expected \"shadow\" or \"canary\"") }
        var plan = RolloutPlan(mode: mode)
        plan.share = try r.number("share", 0.0001...1, "expected a share of entities above 0 and at most 1, such as 0.1")
        if plan.share != nil, mode == .shadow { throw r.failure("share", "a shadow scores every answered row; 'share' is for a canary") }
        if let text = try r.string("metric", nonEmpty: true) {
            guard let m = Metric(rawValue: text), task.metrics.contains(m) else {
                throw r.failure("metric", "expected one of \(task.metrics.map(\.rawValue).joined(separator: ", "))")
            }
            plan.metric = m
        }
        plan.minLabels = try r.int("min_labels", 1...100_000_000)
        plan.maxLabels = try r.int("max_labels", 1...100_000_000)
        if let lo = plan.minLabels, let hi = plan.maxLabels, hi < lo { throw r.failure("max_labels", "must be at least min_labels (\(lo))") }
        plan.margin = try r.number("margin", 0...Double.greatestFiniteMagnitude, "expected a number >= 0")
        try r.finish()
        return plan
    }

    /// `{mode, share, metric, min_labels, max_labels, margin}` (absent members null).
    func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("mode"); w.string(mode.rawValue)
        w.key("share"); if let share { w.double(share) } else { w.null() }
        w.key("metric"); if let metric { w.string(metric.rawValue) } else { w.null() }
        w.key("min_labels"); if let minLabels { w.int(minLabels) } else { w.null() }
        w.key("max_labels"); if let maxLabels { w.int(maxLabels) } else { w.null() }
        w.key("margin"); if let margin { w.double(margin) } else { w.null() }
        w.endObject()
    }

    /// Reads `write(into:)`'s form back.
    static func parse(json v: JSONValue) -> RolloutPlan? {
        guard let mode = v["mode"]?.stringValue.flatMap(Mode.init(rawValue:)) else { return nil }
        return RolloutPlan(
            mode: mode, share: v["share"]?.doubleValue, metric: v["metric"]?.stringValue.flatMap(Metric.init(rawValue:)),
            minLabels: v["min_labels"]?.int64Value.map(Int.init), maxLabels: v["max_labels"]?.int64Value.map(Int.init), margin: v["margin"]?.doubleValue)
    }
}
