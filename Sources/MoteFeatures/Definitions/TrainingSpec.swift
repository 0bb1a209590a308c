public import MoteCore

/// When a candidate replaces the champion: its holdout metric must beat the champion's, on
/// the same holdout, by at least `minImprovement`, and no guard metric may get worse.
public struct PromotionPolicy: Sendable, Equatable {
    public enum Direction: String, Sendable, Equatable, CaseIterable {
        case maximize
        case minimize
    }
    public var metric: String
    public var direction: Direction
    public var minImprovement: Double
    /// Metrics that must not get worse than the champion's (each in its natural direction).
    public var guards: [String]

    public init(metric: String, direction: Direction, minImprovement: Double = 0, guards: [String] = []) {
        self.metric = metric
        self.direction = direction
        self.minImprovement = minImprovement
        self.guards = guards
    }

    /// Metrics that are better when smaller.
    public static let smallerIsBetter: Set<String> = ["logloss", "rmse", "mae"]
    /// Metrics a training job computes, per task.
    public static let metrics: [String: [String]] = [
        "binary": ["auc", "logloss", "accuracy", "precision", "recall", "f1"],
        "multiclass": ["accuracy", "logloss"],
        "regression": ["rmse", "mae", "r2"],
        "anomaly": [],
    ]
    public static func defaultMetric(task: String) -> String? {
        switch task {
        case "binary": "auc"
        case "multiclass": "logloss"
        case "regression": "rmse"
        default: nil
        }
    }
}

/// A training spec from the definitions file (`[[training_spec]]`, DESIGN.md's shape): what to learn from which
/// features, how to split, when to run, and when to promote.
public struct TrainingSpec: Sendable, Equatable {
    public var name: String
    /// The registered model the job adds versions to.
    public var model: String
    /// gbdt | logistic | linear | isolation_forest
    public var algorithm: String
    /// binary | multiclass | regression | anomaly (from the algorithm and the label's type when not given).
    public var task: String
    /// Hyperparameters by name (numbers).
    public var parameters: [String: Double]
    /// The label as `view:field`; nil for isolation forest.
    public var label: String?
    /// Inputs as `view:field`, in the model's order.
    public var features: [String]
    /// Train on label rows of this long before now (0: all history).
    public var windowNanos: Int64
    /// The newest share of label rows by event time that forms the holdout.
    public var holdout: Double
    /// Run every so long (0: only when asked).
    public var everyNanos: Int64
    /// Run only when at least this many label rows arrived since the last run (0: no check).
    public var minNewLabels: Int
    /// Drift of the served model starts a job (gated promotion as any other job).
    public var retrainOnDrift: Bool
    /// At least this long between two drift-triggered jobs (nil: `monitoring.retrain_min_interval`).
    public var retrainMinIntervalNanos: Int64?
    public var promotion: PromotionPolicy?

    public static let algorithms = ["gbdt", "logistic", "linear", "isolation_forest"]
    /// Hyperparameters each algorithm takes.
    public static let parameterNames: [String: Set<String>] = [
        "gbdt": [
            "trees", "num_leaves", "max_depth", "learning_rate", "min_data_in_leaf", "min_sum_hessian", "lambda_l2",
            "feature_fraction", "bagging_fraction", "max_bins", "early_stopping_rounds", "seed", "threads",
        ],
        "logistic": ["lambda", "max_iterations"],
        "linear": ["lambda"],
        "isolation_forest": ["trees", "sample_size", "seed"],
    ]

    public init(
        name: String, model: String, algorithm: String, task: String, parameters: [String: Double] = [:], label: String?,
        features: [String], windowNanos: Int64 = 0, holdout: Double = 0.2, everyNanos: Int64 = 0, minNewLabels: Int = 0,
        retrainOnDrift: Bool = false, retrainMinIntervalNanos: Int64? = nil, promotion: PromotionPolicy?
    ) {
        self.name = name
        self.model = model
        self.algorithm = algorithm
        self.task = task
        self.parameters = parameters
        self.label = label
        self.features = features
        self.windowNanos = windowNanos
        self.holdout = holdout
        self.everyNanos = everyNanos
        self.minNewLabels = minNewLabels
        self.retrainOnDrift = retrainOnDrift
        self.retrainMinIntervalNanos = retrainMinIntervalNanos
        self.promotion = promotion
    }
}

extension TrainingSpec {
    /// Reads one `[[training_spec]]` table, checking names against the views of `set`.
    static func parse(_ t: TableReader, in set: DefinitionSet) throws(ConfigFailure) -> TrainingSpec {
        try t.onlyKeys([
            "name", "model", "algorithm", "objective", "params", "label", "features", "window", "holdout", "schedule",
            "every", "min_new_labels", "retrain_on_drift", "retrain_min_interval", "promote",
        ])
        guard let name = try t.string("name", nonEmpty: true), DefinitionNames.isValid(name) else {
            throw t.failure("name", "a training spec needs a valid name (letters, digits, _ and -)")
        }
        let model = try t.string("model", nonEmpty: true) ?? name
        guard DefinitionNames.isValid(model) else { throw t.failure("model", "'\(model)' is not a valid model name") }
        guard let algorithm = try t.string("algorithm", nonEmpty: true) else {
            throw t.failure("algorithm", "expected one of \(algorithms.joined(separator: ", "))")
        }
        guard let known = parameterNames[algorithm] else {
            throw t.failure("algorithm", "expected one of \(algorithms.joined(separator: ", "))")
        }
        var parameters: [String: Double] = [:]
        if let p = try t.table("params") {
            for entry in p.table.entries {
                // DESIGN.md writes `num_trees`; `trees` is the same.
                let key = entry.key == "num_trees" ? "trees" : entry.key
                guard known.contains(key) else {
                    throw p.failure(entry.key, "'\(algorithm)' takes \(known.sorted().map { $0 == "trees" ? "num_trees" : $0 }.joined(separator: ", "))")
                }
                guard parameters[key] == nil else { throw p.failure(entry.key, "given twice (num_trees and trees are one parameter)") }
                switch entry.value {
                case .integer(let i): parameters[key] = Double(i)
                case .float(let d) where d.isFinite: parameters[key] = d
                default: throw p.failure(entry.key, "expected a number")
                }
            }
        }
        func reference(_ text: String, _ key: String) throws(ConfigFailure) -> (FeatureViewDefinition, FieldDefinition) {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let view = set.view(parts[0]) else {
                throw t.failure(key, "'\(text)' must name a feature view of this file as view:field")
            }
            guard let index = view.fieldIndex(parts[1]) else { throw t.failure(key, "feature view '\(view.name)' has no field '\(parts[1])'") }
            return (view, view.fields[index])
        }
        let features = try t.stringArray("features") ?? []
        guard !features.isEmpty else { throw t.failure("features", "list the model's inputs as [\"view:field\", ...]") }
        guard Set(features).count == features.count else { throw t.failure("features", "features repeat") }
        var keys: [String]?
        for f in features {
            let (view, _) = try reference(f, "features")
            let k = set.joinKeys(of: view)
            if let keys, keys != k { throw t.failure("features", "all features must share their entity keys (\(keys.joined(separator: ",")))") }
            keys = k
        }
        let labelText = try t.string("label", nonEmpty: true)
        var task: String
        if algorithm == "isolation_forest" {
            guard labelText == nil else { throw t.failure("label", "isolation_forest learns without labels; remove 'label'") }
            task = "anomaly"
        } else {
            guard let labelText else { throw t.failure("label", "'\(algorithm)' needs a label as \"view:field\"") }
            let (view, field) = try reference(labelText, "label")
            guard set.joinKeys(of: view) == keys else { throw t.failure("label", "the label's view must share the features' entity keys") }
            guard !features.contains(labelText) else { throw t.failure("label", "the label cannot also be a feature") }
            switch algorithm {
            case "linear": task = "regression"
            case "logistic": task = "binary"
            default: task = field.type == .float64 ? "regression" : "binary"
            }
            let objectiveKey = "objective"
            if let given = try t.string(objectiveKey, nonEmpty: true) {
                guard ["binary", "multiclass", "regression"].contains(given) else {
                    throw t.failure(objectiveKey, "expected binary, multiclass or regression")
                }
                guard algorithm == "gbdt" || given == task else { throw t.failure(objectiveKey, "'\(algorithm)' does \(task)") }
                task = given
            }
            if field.type == .string, task == "regression" { throw t.failure("label", "a string label cannot be regressed") }
        }
        let holdout: Double
        switch t.table["holdout"] {
        case nil: holdout = 0.2
        case .float(let d)? where d > 0 && d <= 0.5: holdout = d
        default: throw t.failure("holdout", "expected a share of rows above 0 and at most 0.5, such as 0.2")
        }
        // Schedule keys in `schedule = { ... }` (DESIGN.md) or at the top of the table.
        let schedule = try t.table("schedule") ?? t
        if schedule.path != t.path { try schedule.onlyKeys(["every", "min_new_labels", "retrain_on_drift", "retrain_min_interval"]) }
        var retrainOnDrift = false
        if let v = schedule.table["retrain_on_drift"] {
            guard case .bool(let b) = v else { throw schedule.failure("retrain_on_drift", "expected true or false") }
            retrainOnDrift = b
        }
        let retrainMinInterval = try schedule.duration("retrain_min_interval")
        let every = try schedule.duration("every") ?? 0
        let minNewLabels = try schedule.int("min_new_labels", 0...Int(Int32.max)) ?? 0
        var promotion: PromotionPolicy?
        let available = PromotionPolicy.metrics[task] ?? []
        if let p = try t.table("promote") {
            try p.onlyKeys(["metric", "direction", "min_improvement", "guards"])
            guard task != "anomaly" else { throw p.failure("metric", "an anomaly model has no holdout metric; every version is promoted") }
            let metric = try p.string("metric", nonEmpty: true) ?? PromotionPolicy.defaultMetric(task: task) ?? ""
            guard available.contains(metric) else { throw p.failure("metric", "expected one of \(available.joined(separator: ", "))") }
            let direction =
                try p.enumeration("direction", PromotionPolicy.Direction.self)
                ?? (PromotionPolicy.smallerIsBetter.contains(metric) ? .minimize : .maximize)
            var minImprovement = 0.0
            switch p.table["min_improvement"] {
            case nil: break
            case .float(let d)? where d >= 0: minImprovement = d
            case .integer(let i)? where i >= 0: minImprovement = Double(i)
            default: throw p.failure("min_improvement", "expected a number >= 0")
            }
            let guards = try p.stringArray("guards") ?? []
            for g in guards where !available.contains(g) { throw p.failure("guards", "'\(g)' is not a metric of a \(task) model") }
            promotion = PromotionPolicy(metric: metric, direction: direction, minImprovement: minImprovement, guards: guards)
        } else if let metric = PromotionPolicy.defaultMetric(task: task) {
            promotion = PromotionPolicy(metric: metric, direction: PromotionPolicy.smallerIsBetter.contains(metric) ? .minimize : .maximize)
        }
        return TrainingSpec(
            name: name, model: model, algorithm: algorithm, task: task, parameters: parameters, label: labelText, features: features,
            windowNanos: try t.duration("window") ?? 0, holdout: holdout, everyNanos: every, minNewLabels: minNewLabels,
            retrainOnDrift: retrainOnDrift, retrainMinIntervalNanos: retrainMinInterval, promotion: promotion)
    }

    /// The spec as a JSON object (stored with the definitions and answered by the API).
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("model"); w.string(model)
        w.key("algorithm"); w.string(algorithm)
        w.key("task"); w.string(task)
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
            w.key("metric"); w.string(p.metric)
            w.key("direction"); w.string(p.direction.rawValue)
            w.key("min_improvement"); w.double(p.minImprovement)
            w.key("guards"); w.beginArray(); for g in p.guards { w.string(g) }; w.endArray()
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
    }

    /// Reads `write(into:)`'s form back.
    public static func parse(json v: JSONValue) -> TrainingSpec? {
        guard let name = v["name"]?.stringValue, let model = v["model"]?.stringValue, let algorithm = v["algorithm"]?.stringValue,
            let task = v["task"]?.stringValue
        else { return nil }
        var parameters: [String: Double] = [:]
        for m in v["params"]?.objectValue?.members ?? [] { parameters[m.key] = m.value.doubleValue }
        var promotion: PromotionPolicy?
        if let p = v["promotion"], let metric = p["metric"]?.stringValue,
            let direction = p["direction"]?.stringValue.flatMap(PromotionPolicy.Direction.init(rawValue:))
        {
            promotion = PromotionPolicy(
                metric: metric, direction: direction, minImprovement: p["min_improvement"]?.doubleValue ?? 0,
                guards: (p["guards"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        return TrainingSpec(
            name: name, model: model, algorithm: algorithm, task: task, parameters: parameters, label: v["label"]?.stringValue,
            features: (v["features"]?.arrayValue ?? []).compactMap(\.stringValue), windowNanos: v["window_ns"]?.int64Value ?? 0,
            holdout: v["holdout"]?.doubleValue ?? 0.2, everyNanos: v["every_ns"]?.int64Value ?? 0,
            minNewLabels: Int(v["min_new_labels"]?.int64Value ?? 0), retrainOnDrift: v["retrain_on_drift"] == .bool(true),
            retrainMinIntervalNanos: v["retrain_min_interval_ns"]?.int64Value,
            promotion: promotion)
    }
}
