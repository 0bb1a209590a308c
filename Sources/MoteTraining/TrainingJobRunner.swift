public import Logging
public import MoteCore
public import MoteFeatures
import MoteML
import MoteModels
public import MoteRegistry

/// What a job needs from the daemon.
public struct TrainingContext: Sendable {
    public var store: FeatureStore
    public var registry: RegistryStore
    public var artifacts: ArtifactStore
    public var logger: Logger
    public var settings: Live<TrainingSettings>
    /// Starts a rollout of a version beside the champion (a spec's `rollout`); nil where
    /// nothing serves (tools, tests), and a spec's rollout then promotes at once.
    public var startRollout: (@Sendable (_ model: String, _ version: Int, _ plan: RolloutPlan) throws -> Void)?

    public init(
        store: FeatureStore, registry: RegistryStore, artifacts: ArtifactStore, logger: Logger,
        settings: Live<TrainingSettings>, startRollout: (@Sendable (_ model: String, _ version: Int, _ plan: RolloutPlan) throws -> Void)? = nil
    ) {
        self.store = store
        self.registry = registry
        self.artifacts = artifacts
        self.logger = logger
        self.settings = settings
        self.startRollout = startRollout
    }
}

/// Runs one job: training set, fit, holdout metrics, the champion measured on the same
/// holdout, a tracked run, a registered version with its bundle, and the gated promotion.
enum TrainingJobRunner {
    typealias Cancelled = JobCancelled

    static func run(_ job: TrainingJob, spec: TrainingSpec, context: TrainingContext) throws {
        let settings = context.settings.current
        let log = context.logger
        var meta: Logger.Metadata = ["job": "\(job.id)", "model": "\(spec.model)", "spec": "\(spec.name)"]
        func note(_ phase: String, _ message: String, extra: (inout JSONWriter) -> Void = { _ in }) {
            job.event(phase, message, extra: extra)
            log.info("training: \(message)", metadata: meta.merging(["phase": "\(phase)"]) { $1 })
        }

        // 1. The training set.
        note("dataset", "building the training set")
        let now = SystemClock.nowNanos()
        let set = try TrainingSetBuilder.build(
            spec: spec, store: context.store, now: now,
            limits: TrainingSetLimits(memoryBudgetBytes: settings.memoryBudgetMiB << 20, minRows: settings.minRows))
        note("dataset", "\(set.count) rows: \(set.trainCount) to train, \(set.count - set.trainCount) held out (newest)") { w in
            w.key("rows"); w.int(set.count)
            w.key("train_rows"); w.int(set.trainCount)
            w.key("holdout_rows"); w.int(set.count - set.trainCount)
            w.key("dataset_hash"); w.string(set.fingerprint.contentHash)
            w.key("memory_estimate_bytes"); w.int(set.memoryEstimateBytes)
        }
        if job.cancelRequested { throw Cancelled() }

        // 2. Fit, reporting iterations (thinned to about 200 events) with an ETA.
        let started = SystemClock.monotonicNanos()
        var curve: [(step: Int, train: Double?, valid: Double?)] = []
        note("fit", "fitting \(spec.algorithm.rawValue) (\(spec.task.rawValue))")
        let fitted = try Learners.fit(spec: spec, set: set, maxThreads: settings.threads) { step in
            curve.append((step.iteration, step.trainLoss, step.validLoss))
            let every = max(1, step.total / 200)
            if step.iteration % every == 0 || step.iteration >= step.total {
                let elapsed = Double(SystemClock.monotonicNanos() &- started) / 1e9
                let eta = elapsed / Double(max(1, step.iteration)) * Double(max(0, step.total - step.iteration))
                job.event("fit", "iteration \(step.iteration)/\(step.total)") { w in
                    w.key("iteration"); w.int(step.iteration)
                    w.key("total"); w.int(step.total)
                    if let t = step.trainLoss { w.key("train_loss"); w.double(t) }
                    if let v = step.validLoss { w.key("valid_loss"); w.double(v) }
                    w.key("eta_seconds"); w.double((eta * 10).rounded() / 10)
                }
            }
            return !job.cancelRequested
        }
        if job.cancelRequested { throw Cancelled() }

        // 3. The candidate on the holdout.
        let holdoutLabels = Array(set.labels.dropFirst(set.trainCount))
        var profile = ReferenceProfile.build(inputs: set.inputs, columns: set.columns, rows: set.trainRows)
        var candidate = ModelBundle(
            task: spec.task, hyperparameters: fitted.hyperparameters, inputs: set.inputs, classes: set.classes,
            preprocessing: fitted.preprocessing,
            training: TrainingRecord(runID: "", dataset: fingerprintJSON(set.fingerprint), trainedAtNanos: SystemClock.nowNanos(), metrics: [:]),
            profile: profile, model: fitted.model)
        if candidate.task != .multiclass {
            let trainScores = fitted.trainOutputs ?? candidate.scores(columns: set.columns, rows: set.trainRows)
            profile.prediction = ReferenceProfile.numericFeature(name: "prediction", count: trainScores.count, nulls: 0, values: trainScores)
            candidate.profile = profile
        }
        let metrics = Learners.evaluate(candidate, columns: set.columns, rows: set.holdoutRows, labels: holdoutLabels)
        candidate.training.metrics = metrics
        note("evaluate", "holdout " + describe(metrics)) { w in writeMetrics(metrics, &w) }

        // 4. The champion on the same holdout, and the decision.
        let decision = try decide(spec: spec, candidate: metrics, set: set, context: context)
        note("compare", decision.reason) { w in
            if let c = decision.championVersion { w.key("champion_version"); w.int(c) }
            if let m = decision.championMetrics { w.key("champion_metrics"); w.beginObject(); for (k, v) in m.sorted(by: { $0.key < $1.key }) { w.key(k); w.double(v) }; w.endObject() }
        }

        // 5. The run and the version.
        let experimentName = "training-\(spec.name)"
        context.registry.ensureExperiment(experimentName, description: "runs of training spec \(spec.name)", actor: .daemon)
        var source = JSONWriter()
        source.beginObject()
        source.key("job"); source.string(job.id)
        source.key("training_spec"); source.value((try? JSONParser.parse(job.specJSON)) ?? .null)
        source.key("dataset"); source.value(fingerprintJSON(set.fingerprint))
        source.key("mote_version"); source.string(MoteVersion.string)
        source.endObject()
        let run = try context.registry.createRun(
            experiment: experimentName, name: "\(spec.name)-\(job.id)", tags: ["mote.job": job.id, "mote.spec": spec.name],
            source: source, actor: .daemon)
        job.update { $0.runID = run.id }
        candidate.training.runID = run.id
        var params: [(String, String)] = [
            ("algorithm", spec.algorithm.rawValue), ("task", spec.task.rawValue), ("label", spec.label ?? ""),
            ("features", spec.features.joined(separator: ",")), ("holdout", "\(spec.holdout)"),
            ("window", spec.windowNanos > 0 ? DurationText.format(nanos: spec.windowNanos) : "all"),
            ("dataset_hash", set.fingerprint.contentHash), ("dataset_rows", "\(set.count)"),
            ("definitions_version", "\(set.fingerprint.definitionsVersion)"),
        ]
        for member in fitted.hyperparameters { params.append(("param.\(member.key)", text(member.value))) }
        let millis = SystemClock.nowNanos() / 1_000_000
        var points: [MetricPoint] = []
        for step in curve {
            if let t = step.train { points.append(MetricPoint(key: "train_loss", value: t, step: Int64(step.step), timestampMillis: millis)) }
            if let v = step.valid { points.append(MetricPoint(key: "valid_loss", value: v, step: Int64(step.step), timestampMillis: millis)) }
        }
        for (k, v) in metrics where v.isFinite { points.append(MetricPoint(key: "holdout_\(k)", value: v, step: 0, timestampMillis: millis)) }
        for start in stride(from: 0, to: max(params.count, 1), by: 90) {
            try context.registry.logBatch(run: run.id, params: Array(params[start..<min(params.count, start + 90)]), actor: .daemon)
        }
        for start in stride(from: 0, to: points.count, by: 900) {
            try context.registry.logBatch(run: run.id, metrics: Array(points[start..<min(points.count, start + 900)]), actor: .daemon)
        }
        let bytes = candidate.encoded()
        let digest = try context.artifacts.put(bytes)
        try context.registry.logArtifact(run: run.id, path: "model.json", digest: digest, artifacts: context.artifacts, actor: .daemon)
        _ = try context.registry.finishRun(run.id, status: .finished, actor: .daemon)

        let signature = candidate.signature()
        var metricsJSON = JSONWriter()
        writeMetricsObject(metrics, &metricsJSON)
        let version = try context.registry.createVersion(
            model: spec.model,
            RegistryStore.NewVersion(
                runID: run.id, artifactDigest: digest, format: "\(ModelBundle.formatName)/\(ModelBundle.formatVersion)",
                signature: (try? JSONParser.parse(signature.bytes)) ?? .null, metrics: (try? JSONParser.parse(metricsJSON.bytes)) ?? .null,
                description: "trained by job \(job.id) (spec \(spec.name))",
                tags: [
                    "mote.job": job.id, "mote.spec": spec.name, "mote.dataset_hash": set.fingerprint.contentHash,
                    "mote.promotion": String(decision.reason.prefix(500)),
                ]),
            artifacts: context.artifacts, actor: .daemon)
        meta["version"] = "\(version.version)"
        job.update { $0.version = version.version }
        note("register", "registered \(spec.model) version \(version.version) (run \(run.id))") { w in
            w.key("version"); w.int(version.version)
            w.key("run_id"); w.string(run.id)
            w.key("artifact"); w.string(digest)
        }

        // 6. Promotion: at once, or (a spec's rollout, beside a champion) on live evidence.
        if decision.promote, let plan = spec.rollout, let champion = decision.championVersion, let start = context.startRollout {
            _ = try context.registry.setAlias(model: spec.model, alias: "challenger", version: version.version, actor: .daemon)
            try start(spec.model, version.version, plan)
            let text = "version \(version.version) passed the holdout gate and rolls out as a \(plan.mode.rawValue) beside champion \(champion); live evidence decides"
            log.notice("training: \(spec.model) \(text)", metadata: meta.merging(["phase": "promote", "event": "model_rolling_out"]) { $1 })
            job.event("promote", text) { w in
                w.key("promoted"); w.bool(false)
                w.key("alias"); w.string(plan.mode.rawValue)
            }
            return
        }
        let alias = decision.promote ? "champion" : "challenger"
        _ = try context.registry.setAlias(model: spec.model, alias: alias, version: version.version, actor: .daemon)
        job.update { $0.promoted = decision.promote }
        if decision.promote {
            log.notice("training: \(spec.model) version \(version.version) is the new champion", metadata: meta.merging(["phase": "promote", "event": "model_promoted"]) { $1 })
        } else {
            log.notice("training: \(spec.model) version \(version.version) kept as challenger: \(decision.reason)", metadata: meta.merging(["phase": "promote", "event": "model_not_promoted"]) { $1 })
        }
        job.event("promote", decision.promote ? "version \(version.version) is champion" : "version \(version.version) is challenger: \(decision.reason)") { w in
            w.key("promoted"); w.bool(decision.promote)
            w.key("alias"); w.string(alias)
        }
    }

    struct Decision {
        var promote: Bool
        var reason: String
        var championVersion: Int?
        var championMetrics: [String: Double]?
    }

    /// Measures the version `against` names (the champion, by default) on the candidate's
    /// holdout and applies the spec's policy.
    static func decide(
        spec: TrainingSpec, candidate: [String: Double], set: TrainingSet, context: TrainingContext, model: String? = nil,
        against: String = "champion"
    ) throws -> Decision {
        guard let championVersion = try? context.registry.resolve(model: model ?? spec.model, against) else {
            return Decision(promote: true, reason: "no \(against) yet: promoted", championVersion: nil, championMetrics: nil)
        }
        guard let policy = spec.promotion else {
            return Decision(promote: true, reason: "no promotion policy (anomaly model): promoted", championVersion: championVersion.version, championMetrics: nil)
        }
        let champion: ModelBundle
        do {
            champion = try ModelBundle.decode(try context.artifacts.read(championVersion.artifactDigest))
        } catch {
            return Decision(
                promote: false, reason: "the \(against) (version \(championVersion.version)) could not be loaded to compare: \(error)",
                championVersion: championVersion.version, championMetrics: nil)
        }
        guard champion.classes == set.classes, champion.task == spec.task else {
            return Decision(
                promote: false, reason: "the \(against) (version \(championVersion.version)) predicts other classes or another task; promote by hand",
                championVersion: championVersion.version, championMetrics: nil)
        }
        func fmt(_ v: Double) -> String { String((v * 10000).rounded() / 10000) }
        // A champion whose inputs name no features (an imported file served by tensor) cannot
        // be scored on this box's rows; the candidate, which can, is promoted.
        guard champion.inputsBoundToFeatures else {
            let shown = candidate[policy.metric.rawValue].map { " (\(policy.metric.rawValue) \(fmt($0)))" } ?? ""
            return Decision(
                promote: true,
                reason: "the \(against) (version \(championVersion.version)) reads inputs not bound to features, so it cannot be scored on this box's data; the candidate\(shown) is promoted",
                championVersion: championVersion.version, championMetrics: nil)
        }
        // The champion reads its own inputs for the holdout rows (joined again when they differ).
        let labels = Array(set.labels.dropFirst(set.trainCount))
        let championMetrics: [String: Double]
        if champion.inputs == set.inputs {
            championMetrics = Learners.evaluate(champion, columns: set.columns, rows: set.holdoutRows, labels: labels)
        } else {
            let references = try champion.inputs.map { input -> FeatureReference in
                guard let r = try? FeatureReference.resolve([input.name], in: context.store.definitions.set, fullNames: false).first else {
                    throw TrainingFailure("\(against) input '\(input.name)' is no longer defined")
                }
                return r
            }
            let frame = EntityFrame(columns: [], keys: Array(set.keys[set.trainCount...]), times: Array(set.times[set.trainCount...]))
            let joined = try PointInTimeJoin.run(frame, features: references, store: context.store)
            let rows = (0..<frame.count).map { r in joined.values.map { ModelInput($0[r]) } }
            championMetrics = Learners.evaluate(champion, holdout: rows, labels: labels)
        }
        let c = candidate[policy.metric.rawValue] ?? .nan
        let o = championMetrics[policy.metric.rawValue] ?? .nan
        let gain = policy.direction == .maximize ? c - o : o - c
        guard c.isFinite, o.isFinite else {
            return Decision(promote: false, reason: "\(policy.metric.rawValue) is not finite for one of the models", championVersion: championVersion.version, championMetrics: championMetrics)
        }
        if gain < policy.minImprovement || (policy.minImprovement == 0 && gain <= 0) {
            return Decision(
                promote: false,
                reason: "\(policy.metric.rawValue) \(fmt(c)) vs \(against) v\(championVersion.version) \(fmt(o)): needs \(policy.direction == .maximize ? "+" : "-")\(fmt(policy.minImprovement)) or better",
                championVersion: championVersion.version, championMetrics: championMetrics)
        }
        for guardMetric in policy.guards {
            let cg = candidate[guardMetric.rawValue] ?? .nan
            let og = championMetrics[guardMetric.rawValue] ?? .nan
            let worse = guardMetric.smallerIsBetter ? cg > og : cg < og
            if worse || !cg.isFinite {
                return Decision(
                    promote: false, reason: "guard \(guardMetric.rawValue) got worse: \(fmt(cg)) vs \(against) v\(championVersion.version) \(fmt(og))",
                    championVersion: championVersion.version, championMetrics: championMetrics)
            }
        }
        return Decision(
            promote: true, reason: "\(policy.metric.rawValue) \(fmt(c)) beats \(against) v\(championVersion.version) \(fmt(o)): promoted",
            championVersion: championVersion.version, championMetrics: championMetrics)
    }

    static func fingerprintJSON(_ f: DatasetFingerprint) -> JSONValue {
        [
            "definitions_version": .integer(Int64(f.definitionsVersion)), "definitions_hash": .string(f.definitionsHash),
            "from": .string(RFC3339.format(nanos: f.fromNanos)), "to": .string(RFC3339.format(nanos: f.toNanos)),
            "rows": .integer(Int64(f.rows)), "content_hash": .string(f.contentHash),
        ]
    }

    static func describe(_ metrics: [String: Double]) -> String {
        metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(($0.value * 10000).rounded() / 10000))" }.joined(separator: " ")
    }

    static func writeMetrics(_ metrics: [String: Double], _ w: inout JSONWriter) {
        w.key("metrics")
        writeMetricsObject(metrics, &w)
    }

    static func writeMetricsObject(_ metrics: [String: Double], _ w: inout JSONWriter) {
        w.beginObject()
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { w.key(k); w.double(v) }
        w.endObject()
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .integer(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): s
        case .bool(let b): String(b)
        default: ""
        }
    }
}
