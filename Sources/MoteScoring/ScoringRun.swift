import Logging
import MoteCore
import MoteFeatures
import MoteInference
import MoteModels
import MoteRegistry
import MoteTraining

/// One run of a scoring job: the model and its inputs resolved, the entities listed, then
/// chunk by chunk their features read from the online cache (the rule of `/v1/predict`: a row
/// with a feature missing, null or outside its TTL is skipped and listed, never scored from
/// zeros, unless `on_missing = "model"`), scored, logged with prediction ids (so feedback and
/// monitoring see them as they see online predictions), pushed to the target view and written
/// to the results file. The run is tracked (experiment `scoring-<job>`) and synced.
struct ScoringRun {
    let job: TrainingJob
    let spec: ScoringJobSpec
    let context: ScoringJobs

    /// What the run did, for its tracked run and the job's events.
    struct Tally {
        var total = 0
        var scored = 0
        var skipped = 0
        /// `key,reason` lines of skipped entities (the first `scoring.skipped_listed`).
        var skippedCSV: [UInt8] = Array("entity,reason\n".utf8)
        var skippedListed = 0
        var skippedReasons: [String: Int] = [:]
        /// Where the time went: reading features, scoring, logging (waiting for the log's
        /// writer included), writing to the view and the file (nanoseconds).
        var phases: [String: UInt64] = ["read": 0, "score": 0, "log": 0, "write": 0]

        /// Runs `body`, adding its time to `phase`.
        mutating func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
            let start = SystemClock.monotonicNanos()
            defer { phases[phase, default: 0] &+= SystemClock.monotonicNanos() &- start }
            return try body()
        }
    }

    func execute() throws {
        let settings = context.settings.current
        let started = SystemClock.monotonicNanos()
        let scoredAt = SystemClock.nowNanos()
        let scoredAtText = RFC3339.format(nanos: scoredAt)
        var meta: Logger.Metadata = ["job": "\(job.id)", "scoring_job": "\(spec.name)", "model": "\(spec.model)"]

        // 1. The model, its inputs, and where the results go.
        let model = try context.models.model(spec.model, spec.reference)
        meta["version"] = "\(model.version)"
        job.update { $0.version = model.version }
        let names = model.bundle.inputs.map(\.name)
        guard model.bundle.inputsBoundToFeatures else {
            throw DomainError(
                .conflict, .scoringMismatch,
                "model '\(model.name)' version \(model.version) has inputs not bound to features (\(names.prefix(8).joined(separator: ", "))); batch scoring reads features by entity")
        }
        let plan = try context.store.definitions.resolveRead(names, fullNames: false)
        let target = try targetView(joinKeys: plan.joinKeys)
        let classifier = model.bundle.task == .binary || model.bundle.task == .multiclass
        let labelField = target.flatMap { $0.view.fieldIndex("label") }

        // 2. The entities.
        let keys = try ScoringEntities.keys(spec.entities, joinKeys: plan.joinKeys, keyTypes: plan.keyTypes, store: context.store)
        note("entities", "scoring \(keys.count) entities with \(model.name) version \(model.version)", meta) { w in
            w.key("entities"); w.int(keys.count)
            w.key("model_version"); w.int(model.version)
        }
        var file = try spec.toFile.map { name in
            try ResultFile(
                directory: context.directory, name: name, format: spec.fileFormat ?? .csv, joinKeys: plan.joinKeys, withLabel: classifier)
        }
        var tally = Tally()
        tally.total = keys.count
        let pushes = PushPipeline(store: context.store)
        do {
            // 3. Chunk by chunk: read, score, log, push, write.
            let chunk = settings.chunkRows
            let width = model.bundle.scoreWidth
            for start in stride(from: 0, to: keys.count, by: chunk) {
                if job.cancelRequested { throw JobCancelled() }
                let chunkKeys = Array(keys[start..<min(keys.count, start + chunk)])
                let now = SystemClock.nowNanos()
                let inputs = tally.timed("read") {
                    EntityInputs(values: OnlineRead.values(plan: plan, keys: chunkKeys, now: now), names: names, useModel: spec.onMissing == .model)
                }
                let good = chunkKeys.indices.filter { inputs.failed[$0] == nil }
                for r in chunkKeys.indices { if let why = inputs.failed[r] { skip(chunkKeys[r], why, &tally, listed: settings.skippedListed) } }
                guard !good.isEmpty else { progress(tally, done: start + chunkKeys.count, started: started); continue }
                let scores = tally.timed("score") { model.scores(good.map { inputs.rows[$0] }) }
                let ids = good.map { _ in PredictionID.make() }
                let goodKeys = good.map { chunkKeys[$0] }
                tally.timed("log") { log(model: model, ids: ids, scores: scores, keys: goodKeys, at: now) { inputs.rows[good[$0]] } }
                let predictions = (0..<good.count).map { k in Self.prediction(scores, row: k, width: width, task: model.bundle.task) }
                let labels = classifier ? (0..<good.count).map { model.bundle.classes[InferResponse.classIndex(scores, row: $0, bundle: model.bundle)] } : nil
                try tally.timed("write") {
                    if let target {
                        var columns = target.view.fields.map { _ in [FeatureValue](repeating: .null, count: good.count) }
                        columns[target.prediction] = predictions.map { .double($0) }
                        if let labelField, let labels { columns[labelField] = labels.map { .string($0) } }
                        try pushes.push(
                            PushBatch(
                                view: target.view, target: .onlineAndOffline, keys: goodKeys, eventNanos: [Int64](repeating: scoredAt, count: good.count),
                                createdNanos: [Int64](repeating: now, count: good.count), columns: columns))
                    }
                    if file != nil {
                        for k in 0..<good.count {
                            try file!.append(
                                key: goodKeys[k], keyTypes: plan.keyTypes, prediction: predictions[k], label: labels?[k], version: model.version, id: ids[k],
                                at: scoredAtText)
                        }
                    }
                }
                tally.scored += good.count
                progress(tally, done: start + chunkKeys.count, started: started)
            }
            try tally.timed("write") { try pushes.finish() }
            try file?.commit()
        } catch {
            _ = try? pushes.finish()
            file?.discard()
            throw error
        }

        // 4. The tracked run.
        let seconds = Double(SystemClock.monotonicNanos() &- started) / 1e9
        let runID = try track(tally, model: model, seconds: seconds)
        job.update { $0.runID = runID }
        if tally.skipped > 0 {
            let reasons = tally.skippedReasons.sorted { $0.value > $1.value }.prefix(3).map { "\($0.value) \($0.key)" }.joined(separator: "; ")
            note("skipped", "\(tally.skipped) of \(tally.total) entities not scored (\(reasons)); listed in the run's skipped.csv", meta) { w in
                w.key("skipped"); w.int(tally.skipped)
            }
        }
        let rate = seconds > 0 ? Int(Double(tally.scored) / seconds) : tally.scored
        note(
            "done",
            "scored \(tally.scored) of \(tally.total) entities in \(format1(seconds)) s (\(rate) rows/s)"
                + [spec.toView.map { " into view \($0)" }, spec.toFile.map { " into \(context.directory)/\($0)" }].compactMap { $0 }.joined(separator: " and"),
            meta
        ) { w in
            w.key("scored"); w.int(tally.scored)
            w.key("skipped"); w.int(tally.skipped)
            w.key("seconds"); w.double(seconds)
            for (phase, nanos) in tally.phases.sorted(by: { $0.key < $1.key }) { w.key("seconds_\(phase)"); w.double(Double(nanos) / 1e9) }
            w.key("run_id"); w.string(runID)
        }
    }

    /// The target view, with the positions of its `prediction` field (nil without `to_view`).
    private func targetView(joinKeys: [String]) throws -> (view: FeatureViewDefinition, prediction: Int)? {
        guard let name = spec.toView else { return nil }
        let set = context.store.definitions.set
        guard let view = set.view(name), let p = view.fieldIndex("prediction"), view.fields[p].type == .float64 else {
            throw DomainError(.conflict, .scoringMismatch, "to_view '\(name)' is not a feature view with a float64 field 'prediction'")
        }
        guard set.joinKeys(of: view) == joinKeys else {
            throw DomainError(
                .conflict, .scoringMismatch,
                "to_view '\(name)' is keyed by \(set.joinKeys(of: view).joined(separator: ",")); the model reads features keyed by \(joinKeys.joined(separator: ","))")
        }
        return (view, p)
    }

    /// A row's prediction: the regression value or anomaly score, the positive class's
    /// probability, or (multiclass) the probability of the predicted class.
    static func prediction(_ scores: [Double], row: Int, width: Int, task: ModelTask) -> Double {
        guard task == .multiclass else { return scores[row] }
        var best = scores[row * width]
        for c in 1..<width { best = max(best, scores[row * width + c]) }
        return best
    }

    /// Logs scored rows as the prediction log logs online predictions, at the writer's pace.
    private func log(model: LoadedModel, ids: [String], scores: [Double], keys: [String], at now: Int64, inputs: (Int) -> [ModelInput]) {
        let slice = 2_000
        for start in stride(from: 0, to: ids.count, by: slice) {
            let rows = start..<min(ids.count, start + slice)
            context.log.waitForRoom(rows.count)
            context.log.append(
                rows: rows, ids: ids, model: model, scores: scores, atNanos: now, latencyNanos: 0, entityKeys: keys, inputs: inputs,
                sampleRate: context.settings.current.logSampleRate)
        }
    }

    private func skip(_ key: String, _ why: String, _ tally: inout Tally, listed: Int) {
        tally.skipped += 1
        tally.skippedReasons[why, default: 0] += 1
        guard tally.skippedListed < listed else { return }
        tally.skippedListed += 1
        CSV.appendField(key.replacing(String(EntityKey.separator), with: ","), to: &tally.skippedCSV)
        tally.skippedCSV.append(UInt8(ascii: ","))
        CSV.appendField(why, to: &tally.skippedCSV)
        tally.skippedCSV.append(0x0A)
    }

    /// A progress event (about a hundred per run) with the rate and the time left.
    private func progress(_ tally: Tally, done: Int, started: UInt64) {
        let every = max(1, tally.total / 100)
        guard done == tally.total || done / every != (done - context.settings.current.chunkRows) / every else { return }
        let elapsed = Double(SystemClock.monotonicNanos() &- started) / 1e9
        let eta = done > 0 ? elapsed / Double(done) * Double(tally.total - done) : 0
        job.event("score", "\(done)/\(tally.total) entities") { w in
            w.key("done"); w.int(done)
            w.key("total"); w.int(tally.total)
            w.key("scored"); w.int(tally.scored)
            w.key("skipped"); w.int(tally.skipped)
            w.key("eta_seconds"); w.double((eta * 10).rounded() / 10)
        }
    }

    private func note(_ phase: String, _ message: String, _ meta: Logger.Metadata, extra: (inout JSONWriter) -> Void = { _ in }) {
        job.event(phase, message, extra: extra)
        context.logger.info("scoring: \(message)", metadata: meta.merging(["phase": "\(phase)"]) { $1 })
    }

    /// Records the run: parameters, counts, duration, the skipped list; returns its id.
    private func track(_ tally: Tally, model: LoadedModel, seconds: Double) throws -> String {
        let registry = context.registry
        let experiment = "scoring-\(spec.name)"
        registry.ensureExperiment(experiment, description: "runs of scoring job \(spec.name)", actor: .daemon)
        var source = JSONWriter()
        source.beginObject()
        source.key("job"); source.string(job.id)
        source.key("scoring_job"); source.value((try? JSONParser.parse(job.specJSON)) ?? .null)
        source.key("mote_version"); source.string(MoteVersion.string)
        source.endObject()
        let run = try registry.createRun(
            experiment: experiment, name: "\(spec.name)-\(job.id)",
            tags: ["mote.job": job.id, "mote.scoring_job": spec.name, "mote.model": model.name, "mote.model_version": "\(model.version)"],
            source: source, actor: .daemon)
        let entities: String
        switch spec.entities {
        case .view(let v): entities = "view \(v)"
        case .list(let l): entities = "\(l.count) listed"
        case .csv(let path): entities = "csv \(path)"
        }
        let params: [(String, String)] = [
            ("model", model.name), ("model_version", "\(model.version)"), ("entities", entities), ("to_view", spec.toView ?? ""),
            ("to_file", spec.toFile ?? ""), ("on_missing", spec.onMissing.rawValue), ("chunk_rows", "\(context.settings.current.chunkRows)"),
        ]
        let millis = SystemClock.nowNanos() / 1_000_000
        let metrics = ([
            ("rows_total", Double(tally.total)), ("rows_scored", Double(tally.scored)), ("rows_skipped", Double(tally.skipped)),
            ("duration_seconds", seconds), ("rows_per_second", seconds > 0 ? Double(tally.scored) / seconds : 0),
        ] + tally.phases.sorted(by: { $0.key < $1.key }).map { ("seconds_\($0.key)", Double($0.value) / 1e9) }).map { MetricPoint(key: $0.0, value: $0.1, timestampMillis: millis) }
        try registry.logBatch(run: run.id, params: params, metrics: metrics, actor: .daemon)
        if tally.skipped > 0 {
            let digest = try context.artifacts.put(tally.skippedCSV)
            try registry.logArtifact(run: run.id, path: "skipped.csv", digest: digest, artifacts: context.artifacts, actor: .daemon)
        }
        _ = try registry.finishRun(run.id, status: .finished, actor: .daemon)
        return run.id
    }

    private func format1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
}
