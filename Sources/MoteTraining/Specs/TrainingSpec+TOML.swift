public import MoteCore
public import MoteFeatures
import MoteML
import MoteModels

extension TrainingSpec {
    /// Reads one `[[training_spec]]` table, checking names against the views of `set`.
    public static func read(_ t: TableReader, in set: DefinitionSet) throws(ConfigFailure) -> TrainingSpec {
        let algorithms = Algorithm.allCases.map(\.rawValue).joined(separator: ", ")
        guard let name = try t.string("name", nonEmpty: true), DefinitionNames.isValid(name) else {
            throw t.failure("name", "a training spec needs a valid name (letters, digits, _ and -)")
        }
        let model = try t.string("model", nonEmpty: true) ?? name
        guard DefinitionNames.isValid(model) else { throw t.failure("model", "'\(model)' is not a valid model name") }
        guard let algorithmName = try t.string("algorithm", nonEmpty: true), let algorithm = Algorithm(rawValue: algorithmName) else {
            throw t.failure("algorithm", "expected one of \(algorithms)")
        }
        let parameters = try readParameters(t, algorithm)
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
        let objective = try t.string("objective", nonEmpty: true)
        var task = algorithm.tasks[0]
        if !algorithm.needsLabel {
            guard labelText == nil else { throw t.failure("label", "\(algorithm.rawValue) learns without labels; remove 'label'") }
            guard objective == nil else { throw t.failure("objective", "\(algorithm.rawValue) has no objective") }
        } else {
            guard let labelText else { throw t.failure("label", "'\(algorithm.rawValue)' needs a label as \"view:field\"") }
            let (view, field) = try reference(labelText, "label")
            guard set.joinKeys(of: view) == keys else { throw t.failure("label", "the label's view must share the features' entity keys") }
            guard !features.contains(labelText) else { throw t.failure("label", "the label cannot also be a feature") }
            // A float label is regressed by a learner that can; any other is classified.
            if algorithm.tasks.contains(.regression), field.type == .float64 { task = .regression }
            if let objective {
                guard let given = ModelTask(rawValue: objective), given != .anomaly else {
                    throw t.failure("objective", "expected binary, multiclass or regression")
                }
                guard algorithm.tasks.contains(given) else { throw t.failure("objective", "'\(algorithm.rawValue)' does \(task.rawValue)") }
                task = given
            }
            if field.type == .string, task == .regression { throw t.failure("label", "a string label cannot be regressed") }
        }
        let holdout: Double
        switch t.value("holdout") {
        case nil: holdout = 0.2
        case .float(let d)? where d > 0 && d <= 0.5: holdout = d
        default: throw t.failure("holdout", "expected a share of rows above 0 and at most 0.5, such as 0.2")
        }
        // Schedule keys in `schedule = { ... }` or at the top of the table.
        let nested = try t.table("schedule")
        let schedule = nested ?? t
        let retrainOnDrift = try schedule.bool("retrain_on_drift") ?? false
        let retrainMinInterval = try schedule.duration("retrain_min_interval")
        let every = try schedule.duration("every") ?? 0
        let minNewLabels = try schedule.int("min_new_labels", 0...Int(Int32.max)) ?? 0
        try nested?.finish()
        let promotion = try readPromotion(t, task: task)
        let rollout = try RolloutPlan.read(t, task: task)
        let window = try t.duration("window") ?? 0
        try t.finish()
        return TrainingSpec(
            name: name, model: model, algorithm: algorithm, task: task, parameters: parameters, label: labelText, features: features,
            windowNanos: window, holdout: holdout, everyNanos: every, minNewLabels: minNewLabels,
            retrainOnDrift: retrainOnDrift, retrainMinIntervalNanos: retrainMinInterval, promotion: promotion,
            rollout: rollout)
    }

    /// `params = { ... }`: numbers, each a parameter the algorithm takes.
    static func readParameters(_ t: TableReader, _ algorithm: Algorithm) throws(ConfigFailure) -> [String: Double] {
        var parameters: [String: Double] = [:]
        guard let p = try t.table("params") else { return parameters }
        let known = algorithm.parameterNames
        for entry in p.table.entries {
            // `num_trees` (LightGBM's name) and `trees` are the same parameter.
            let key = entry.key == "num_trees" ? "trees" : entry.key
            guard known.contains(key) else {
                throw p.failure(entry.key, "'\(algorithm.rawValue)' takes \(known.sorted().map { $0 == "trees" ? "num_trees" : $0 }.joined(separator: ", "))")
            }
            guard parameters[key] == nil else { throw p.failure(entry.key, "given twice (num_trees and trees are one parameter)") }
            switch entry.value {
            case .integer(let i): parameters[key] = Double(i)
            case .float(let d) where d.isFinite: parameters[key] = d
            default: throw p.failure(entry.key, "expected a number")
            }
        }
        return parameters
    }

    /// `promote = { metric, direction, min_improvement, guards }`, or the task's default.
    static func readPromotion(_ t: TableReader, task: ModelTask) throws(ConfigFailure) -> PromotionPolicy? {
        let available = task.metrics
        let names = available.map(\.rawValue).joined(separator: ", ")
        guard let p = try t.table("promote") else { return task.defaultMetric.map { PromotionPolicy(metric: $0) } }
        guard task != .anomaly else { throw p.failure("metric", "an anomaly model has no holdout metric; every version is promoted") }
        var metric = task.defaultMetric ?? .auc
        if let text = try p.string("metric", nonEmpty: true) {
            guard let m = Metric(rawValue: text), available.contains(m) else { throw p.failure("metric", "expected one of \(names)") }
            metric = m
        }
        let direction = try p.enumeration("direction", MetricDirection.self)
        let minImprovement = try p.number("min_improvement", 0...Double.greatestFiniteMagnitude, "expected a number >= 0") ?? 0
        var guards: [Metric] = []
        for g in try p.stringArray("guards") ?? [] {
            guard let m = Metric(rawValue: g), available.contains(m) else { throw p.failure("guards", "'\(g)' is not a metric of a \(task.rawValue) model") }
            guards.append(m)
        }
        try p.finish()
        return PromotionPolicy(metric: metric, direction: direction, minImprovement: minImprovement, guards: guards)
    }
}
