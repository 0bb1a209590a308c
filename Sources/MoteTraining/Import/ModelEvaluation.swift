public import MoteCore
import Logging
import MoteFeatures
import MoteModels
public import MoteRegistry

extension ErrorCode {
    /// No training spec gives the labels and holdout rules to evaluate a model by.
    public static let noTrainingSpec: ErrorCode = "no_training_spec"
    /// The box's labelled data cannot evaluate the version (too few rows, other classes).
    public static let evaluationUnavailable: ErrorCode = "evaluation_unavailable"
}

/// The outcome of `evaluate`: both versions' metrics on the same labelled recent rows and what
/// the spec's promotion policy decided.
public struct EvaluationResult: Sendable {
    public var model: String
    public var version: Int
    public var spec: String
    public var against: String
    public var againstVersion: Int?
    public var metrics: [String: Double]
    public var againstMetrics: [String: Double]?
    public var holdoutRows: Int
    public var promoted: Bool
    public var reason: String

    public func json() -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("version"); w.int(version)
        w.key("spec"); w.string(spec)
        w.key("against"); w.string(against)
        w.key("against_version"); if let v = againstVersion { w.int(v) } else { w.null() }
        w.key("holdout_rows"); w.int(holdoutRows)
        w.key("metrics"); TrainingJobRunner.writeMetricsObject(metrics, &w)
        w.key("against_metrics"); if let m = againstMetrics { TrainingJobRunner.writeMetricsObject(m, &w) } else { w.null() }
        w.key("promoted"); w.bool(promoted)
        w.key("reason"); w.string(reason)
        w.endObject()
        return w
    }
}

/// Scores a version (typically an imported challenger) and the version `against` names on the
/// box's own labelled recent data — the label, window and holdout of a training spec — and
/// promotes it to `champion` when the spec's policy says so (audited like any alias move).
public enum ModelEvaluation {
    public static func run(
        model: String, version reference: String, against: String = "champion", specName: String? = nil, promote: Bool = true,
        context: TrainingContext, actor: ChangeAuthor, now: Int64
    ) throws -> EvaluationResult {
        let version = try context.registry.resolve(model: model, reference)
        let specs = context.store.definitions.set.trainings
        let spec: TrainingSpec
        if let specName {
            guard let s = specs.first(where: { $0.name == specName }) else { throw DomainError.notFound("no training spec '\(specName)'") }
            spec = s
        } else {
            guard let s = specs.first(where: { $0.model == model }) else {
                throw DomainError(
                    .conflict, .noTrainingSpec,
                    "no training spec trains model '\(model)'; name one with --spec (its label, window and holdout are used)")
            }
            spec = s
        }
        guard spec.label != nil, let policy = spec.promotion else {
            throw DomainError(.conflict, .noTrainingSpec, "training spec '\(spec.name)' has no label or promotion policy to evaluate by")
        }
        let candidate = try ModelBundle.decode(try context.artifacts.read(version.artifactDigest))
        guard candidate.inputsBoundToFeatures else {
            throw DomainError(
                .conflict, .inputsNotBound,
                "version \(version.version) of '\(model)' has inputs not bound to features (\(candidate.inputs.prefix(5).map(\.name).joined(separator: ", "))); import it with --inputs view:field,...")
        }
        if let other = try? context.registry.resolve(model: model, against), other.version == version.version {
            throw DomainError.conflict("version \(version.version) already is '\(against)'")
        }
        // The spec's label rows, window and holdout, with the candidate's own inputs.
        var readSpec = spec
        readSpec.features = candidate.inputs.map(\.name)
        readSpec.task = candidate.task
        let settings = context.settings.current
        let set: TrainingSet
        do {
            set = try TrainingSetBuilder.build(
                spec: readSpec, store: context.store, now: now,
                limits: TrainingSetLimits(memoryBudgetBytes: settings.memoryBudgetMiB << 20, minRows: settings.minRows))
        } catch let failure as TrainingFailure {
            throw DomainError(.conflict, .evaluationUnavailable, failure.message)
        }
        // Labels as the candidate's class indexes (classes matched by name).
        var labels = Array(set.labels.dropFirst(set.trainCount))
        if candidate.task != .regression {
            var map: [Int] = []
            for c in set.classes {
                guard let k = candidate.classes.firstIndex(of: c) else {
                    throw DomainError(
                        .conflict, .evaluationUnavailable,
                        "label class '\(c)' is not one of the model's classes (\(candidate.classes.joined(separator: ", ")))")
                }
                map.append(k)
            }
            labels = labels.map { Double(map[Int($0)]) }
        }
        var aligned = set
        aligned.classes = candidate.classes
        aligned.labels = Array(set.labels.prefix(set.trainCount)) + labels
        let metrics = Learners.evaluate(candidate, columns: set.columns, rows: set.holdoutRows, labels: labels)
        var policySpec = spec
        policySpec.promotion = policy
        let decision: TrainingJobRunner.Decision
        do {
            decision = try TrainingJobRunner.decide(
                spec: policySpec, candidate: metrics, set: aligned, context: context, model: model, against: against)
        } catch let failure as TrainingFailure {
            throw DomainError(.conflict, .evaluationUnavailable, failure.message)
        }
        var promoted = false
        if decision.promote && promote {
            _ = try context.registry.setAlias(model: model, alias: "champion", version: version.version, actor: actor)
            promoted = true
        }
        context.logger.notice(
            "model evaluated: \(decision.reason)",
            metadata: [
                "event": "model_evaluated", "model": "\(model)", "version": "\(version.version)", "against": "\(against)",
                "promoted": "\(promoted)",
            ])
        return EvaluationResult(
            model: model, version: version.version, spec: spec.name, against: against, againstVersion: decision.championVersion,
            metrics: metrics, againstMetrics: decision.championMetrics, holdoutRows: set.holdoutRows.count, promoted: promoted,
            reason: promote || !decision.promote ? decision.reason : decision.reason + " (not promoted: dry run)")
    }
}
