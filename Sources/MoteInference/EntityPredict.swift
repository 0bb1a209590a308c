public import MoteCore
public import MoteFeatures
import MoteModels
import Synchronization

/// `POST /v1/predict/{model}`: entity keys in, the model's inputs read from the online
/// feature cache, predictions out, each row with its `prediction_id` and feature statuses. A
/// row with a feature missing, null or outside its TTL is an error for that row unless the
/// request says `"on_missing": "model"` (the model's own missing-value handling); it is never
/// predicted from zeros. While a version rolls out beside the champion, a canary answers the
/// rows whose entity key falls in its share (each row names its `model_version`) and a shadow
/// scores every answered row after the answer (`ShadowScorer`).
public enum EntityPredict {
    public static func answer(
        _ body: JSONValue, model: LoadedModel, store: FeatureStore, now: Int64, maxRows: Int, log: PredictionLog? = nil, started: UInt64 = 0,
        challenger: Challenger? = nil, shadows: ShadowScorer? = nil, explainThreads: Int = 1
    ) throws(DomainError) -> JSONWriter {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object with 'entities'") }
        try object.refuseUnknownKeys(["entities", "on_missing", "id", "explain"])
        var explain = false
        if let value = object["explain"] {
            guard case .bool(let b) = value else { throw .invalidShape("'explain' must be true or false") }
            explain = b
        }
        var useModel = false
        if let value = object["on_missing"] {
            guard case .string(let s) = value, s == "error" || s == "model" else { throw .invalidShape("'on_missing' is \"error\" or \"model\"") }
            useModel = s == "model"
        }
        guard case .object(let entities)? = object["entities"] else { throw .invalidShape("'entities' must be an object of key columns") }
        let names = model.bundle.inputs.map(\.name)
        guard model.bundle.inputsBoundToFeatures else {
            throw DomainError(
                .conflict, .inputsNotBound,
                "model '\(model.name)' version \(model.version) was imported without binding its inputs (\(names.prefix(8).joined(separator: ", "))) to features: predict by tensor (POST /v2/models/\(model.name)/infer), or import it again with --inputs view:field,...")
        }
        let plan = try store.definitions.resolveRead(names, fullNames: false)
        for key in entities.keys where !plan.joinKeys.contains(key) {
            throw .invalidShape("'entities' has '\(key)'; model '\(model.name)' reads features keyed by \(plan.joinKeys.joined(separator: ", "))")
        }
        var columns: [[JSONValue]] = []
        for key in plan.joinKeys {
            guard case .array(let column)? = entities[key] else { throw .invalidShape("'entities' lacks the key column '\(key)'") }
            if let first = columns.first, first.count != column.count { throw .invalidShape("entity key columns have different lengths") }
            columns.append(column)
        }
        let rowCount = columns.first?.count ?? 0
        guard rowCount <= maxRows else { throw DomainError.tooManyRows("\(rowCount) rows; the limit is \(maxRows) (inference.max_batch_rows)") }
        let keys = try EntityKey.keys(columns, names: plan.joinKeys, types: plan.keyTypes, label: "entities")
        let values = OnlineRead.values(plan: plan, keys: keys, now: now)

        let inputs = EntityInputs(values: values, names: names, useModel: useModel)
        let (rows, failed) = (inputs.rows, inputs.failed)
        // Failed rows are not predicted: the models see only the others. A canary answers the
        // rows whose entity key hashes into its share; the champion answers the rest.
        let canary = challenger?.mode == .canary ? challenger : nil
        let byCanary = canary.map { c in keys.map { c.answers($0) } } ?? []
        let good = (0..<rowCount).filter { failed[$0] == nil }
        let groups: [(model: LoadedModel, rows: [Int])] =
            canary.map { c in [(model, good.filter { !byCanary[$0] }), (c.model, good.filter { byCanary[$0] })] } ?? [(model, good)]
        let width = model.bundle.scoreWidth
        var scores = [Double](repeating: .nan, count: rowCount * width)
        var explanation: Explanation?
        for group in groups where !group.rows.isEmpty {
            let groupScores = group.model.scores(group.rows.map { rows[$0] })
            for (k, r) in group.rows.enumerated() { for c in 0..<width { scores[r * width + c] = groupScores[k * width + c] } }
            // Explanations of the scored rows, placed at their rows (failed rows stay null).
            if explain {
                let e = try group.model.explain(group.rows.map { rows[$0] }, threads: explainThreads)
                let perRow = e.outputs * e.inputs
                var all: Explanation
                if let explanation {
                    all = explanation
                } else {
                    all = e
                    all.rows = rowCount
                    all.contributions = [Double](repeating: .nan, count: rowCount * perRow)
                    if canary != nil { all.rowBase = [Double](repeating: .nan, count: rowCount * e.outputs) }
                }
                for (k, r) in group.rows.enumerated() {
                    for j in 0..<perRow { all.contributions[r * perRow + j] = e.contributions[k * perRow + j] }
                    for o in 0..<e.outputs { all.rowBase?[r * e.outputs + o] = e.base[o] }
                }
                explanation = all
            }
        }

        let ids = (0..<rowCount).map { _ in PredictionID.make() }
        let latency = Int64(SystemClock.monotonicNanos() &- started)
        for group in groups where !group.rows.isEmpty {
            log?.append(
                rows: group.rows, ids: ids, model: group.model, scores: scores, atNanos: now, latencyNanos: latency, entityKeys: keys, inputs: { rows[$0] },
                reasons: explanation.map { e in { r in ReasonCodes.json(e, model: group.model, scores: scores, row: r) { rows[r][$0] } } })
        }
        if let shadow = challenger, shadow.mode == .shadow, let shadows, !good.isEmpty {
            shadows.submit(
                ShadowScorer.Job(
                    shadow: shadow.model, rows: good.map { rows[$0] }, matrix: nil, rowCount: good.count, answered: good.map { ids[$0] },
                    entityKeys: good.map { keys[$0] }, atNanos: now))
        }
        // The answer names the version that answered: the canary when it answered every row.
        let answering = canary.flatMap { c in !good.isEmpty && good.allSatisfy({ byCanary[$0] }) ? c.model : nil } ?? model
        // Outputs as in an OIP answer, then per row its id, statuses and error.
        var w = JSONWriter(capacity: 256 + rowCount * 200)
        InferResponse.write(
            model: answering, id: object["id"]?.stringValue, scores: scores, rows: rowCount, only: nil, failed: Set(failed.keys), explanation: explanation,
            into: &w
        ) { w in
            w.key("rows")
            w.beginArray()
            for r in 0..<rowCount {
                w.beginObject()
                w.key("prediction_id"); w.string(ids[r])
                if canary != nil, failed[r] == nil { w.key("model_version"); w.string(String(byCanary[r] ? canary!.model.version : model.version)) }
                w.key("statuses"); w.beginArray(); for cell in values[r] { w.string(cell.status.rawValue) }; w.endArray()
                w.key("error"); if let e = failed[r] { w.string(e) } else { w.null() }
                if explain {
                    // The values explained, in the model's input order (null: missing).
                    w.key("inputs"); w.beginArray(); for cell in values[r] { cell.value.write(into: &w) }; w.endArray()
                }
                w.endObject()
            }
            w.endArray()
        }
        return w
    }
}

/// Prediction ids: 32 hex digits, a random 64-bit prefix drawn once per process and a counter.
/// Unique, cheap (no system call: the system's random source is one per draw), and
/// increasing within a process, so the prediction log's index on them grows at its end.
public enum PredictionID {
    /// 16 hex digits chosen at random once per process: ids from different runs differ.
    private static let prefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()
    private static let counter = Atomic<UInt64>(0)

    /// A new id: the process prefix and a counter, 32 hex digits, written in place (one
    /// allocation, the string's own).
    public static func make() -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 32) { out in
            let digits: StaticString = "0123456789abcdef"
            var high = prefix
            var low = n
            for i in stride(from: 15, through: 0, by: -1) {
                out[i] = digits.utf8Start[Int(high & 15)]
                out[16 + i] = digits.utf8Start[Int(low & 15)]
                high >>= 4
                low >>= 4
            }
            return 32
        }
    }
}
