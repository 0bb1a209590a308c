public import MoteCore
import MoteML
import MoteModels

extension TrainingSpec {
    /// The spec as a JSON object (stored with the definitions and answered by the API).
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("model"); w.string(model)
        w.key("algorithm"); w.string(algorithm.rawValue)
        w.key("task"); w.string(task.rawValue)
        w.key("params")
        w.beginObject()
        for (k, v) in parameters.sorted(by: { $0.key < $1.key }) { w.key(k); w.double(v) }
        w.endObject()
        w.key("label"); if let label { w.string(label) } else { w.null() }
        w.key("features"); w.beginArray(); for f in features { w.string(f) }; w.endArray()
        w.key("window_ns"); w.int(windowNanos)
        w.key("holdout"); w.double(holdout)
        w.key("every_ns"); w.int(everyNanos)
        w.key("min_new_labels"); w.int(minNewLabels)
        w.key("retrain_on_drift"); w.bool(retrainOnDrift)
        if let retrainMinIntervalNanos { w.key("retrain_min_interval_ns"); w.int(retrainMinIntervalNanos) }
        w.key("promotion")
        if let p = promotion {
            w.beginObject()
            w.key("metric"); w.string(p.metric.rawValue)
            w.key("direction"); w.string(p.direction.rawValue)
            w.key("min_improvement"); w.double(p.minImprovement)
            w.key("guards"); w.beginArray(); for g in p.guards { w.string(g.rawValue) }; w.endArray()
            w.endObject()
        } else {
            w.null()
        }
        w.key("rollout"); if let rollout { rollout.write(into: &w) } else { w.null() }
        w.endObject()
    }

    /// Reads `write(into:)`'s form back.
    public static func parse(json v: JSONValue) -> TrainingSpec? {
        guard let name = v["name"]?.stringValue, let model = v["model"]?.stringValue,
            let algorithm = v["algorithm"]?.stringValue.flatMap(Algorithm.init(rawValue:)),
            let task = v["task"]?.stringValue.flatMap(ModelTask.init(rawValue:))
        else { return nil }
        var parameters: [String: Double] = [:]
        for m in v["params"]?.objectValue?.members ?? [] { parameters[m.key] = m.value.doubleValue }
        var promotion: PromotionPolicy?
        if let p = v["promotion"], let metric = p["metric"]?.stringValue.flatMap(Metric.init(rawValue:)),
            let direction = p["direction"]?.stringValue.flatMap(MetricDirection.init(rawValue:))
        {
            var guards: [Metric] = []
            for g in p["guards"]?.arrayValue ?? [] {
                guard let m = g.stringValue.flatMap(Metric.init(rawValue:)) else { return nil }
                guards.append(m)
            }
            promotion = PromotionPolicy(metric: metric, direction: direction, minImprovement: p["min_improvement"]?.doubleValue ?? 0, guards: guards)
        }
        return TrainingSpec(
            name: name, model: model, algorithm: algorithm, task: task, parameters: parameters, label: v["label"]?.stringValue,
            features: (v["features"]?.arrayValue ?? []).compactMap(\.stringValue), windowNanos: v["window_ns"]?.int64Value ?? 0,
            holdout: v["holdout"]?.doubleValue ?? 0.2, everyNanos: v["every_ns"]?.int64Value ?? 0,
            minNewLabels: Int(v["min_new_labels"]?.int64Value ?? 0), retrainOnDrift: v["retrain_on_drift"] == .bool(true),
            retrainMinIntervalNanos: v["retrain_min_interval_ns"]?.int64Value,
            promotion: promotion, rollout: v["rollout"].flatMap(RolloutPlan.parse(json:)))
    }
}
