public import MoteCore
public import MoteFeatures
public import MoteInference
import MoteModels
public import MoteStorage

/// Labels for earlier predictions (`POST /v1/feedback`), by prediction id or by entity key and
/// time (joined to the newest prediction of that model for that entity at or before the
/// time), stored beside the prediction log in `features.sqlite` and optionally pushed to a
/// labels feature view so training specs learn from them. The whole body is checked before
/// anything is stored; a label whose prediction is not (or no longer) in the log is answered
/// `not_found` for that row and the rest is stored.
public final class FeedbackStore: Sendable {
    private let database: Database
    private let predictions: PredictionLog

    /// How long a label waits for the prediction log to write the rows it may refer to.
    static let flushTimeoutNanos: Int64 = 5_000_000_000

    public init(storage: Storage, predictions: PredictionLog) {
        self.database = storage.features
        self.predictions = predictions
    }

    /// One label as the request gives it, resolved to its prediction.
    struct Resolved {
        var predictionID: String
        var model: String
        var version: Int
        var predictedNanos: Int64
        var entityKey: String?
        var label: JSONValue
        var labelText: String
        var labelValue: Double
    }

    /// Handles a feedback body; answers `{"stored", "not_found", "results": [...]}`.
    public func record(
        _ body: JSONValue, server: ModelServer, store: FeatureStore, now: Int64, maxRows: Int
    ) throws(DomainError) -> JSONWriter {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object") }
        try object.refuseUnknownKeys(["model", "labels", "feature_view", "field"])
        let modelName = object["model"]?.stringValue
        if object["model"] != nil, modelName == nil { throw .invalidShape("'model' must be a model name") }
        guard case .array(let items)? = object["labels"], !items.isEmpty else {
            throw .invalidShape("'labels' must be a non-empty array of {prediction_id, label} or {entity, timestamp, label}")
        }
        guard items.count <= maxRows else {
            throw DomainError.tooManyRows("\(items.count) labels in one request; at most \(maxRows) (inference.max_batch_rows)")
        }
        let labelView = try labelTarget(object, store: store)
        // A prediction answered a moment ago may still wait in the log's writer: write it
        // first, so every answered prediction accepts its label.
        predictions.flush(timeoutNanos: Self.flushTimeoutNanos)

        var resolved: [Resolved?] = []
        var bundles: [String: LoadedModel] = [:]
        for (row, item) in items.enumerated() {
            guard case .object(let o) = item else { throw .invalidShape("labels[\(row)] must be an object") }
            try o.refuseUnknownKeys(["prediction_id", "entity", "timestamp", "label"], at: "labels[\(row)]")
            guard let label = o["label"], label != .null else { throw .invalidShape("labels[\(row)]: 'label' is required") }
            var found: Prediction?
            if let id = o["prediction_id"] {
                guard let id = id.stringValue, !id.isEmpty, o["entity"] == nil else {
                    throw .invalidShape("labels[\(row)]: give 'prediction_id' (a string) or 'entity' with 'timestamp', not both")
                }
                found = try lookup(id: id)
                if let modelName, let f = found, f.model != modelName {
                    throw .invalidShape("labels[\(row)]: prediction '\(id)' was made by model '\(f.model)', not '\(modelName)'")
                }
            } else {
                guard let modelName else { throw .invalidShape("labels[\(row)]: a label by entity needs the body's 'model'") }
                guard case .object(let entity)? = o["entity"], entity.count > 0 else {
                    throw .invalidShape("labels[\(row)]: give 'prediction_id' or 'entity' (an object of join keys) with 'timestamp'")
                }
                guard let ts = o["timestamp"], let at = Timestamps.nanos(ts) else {
                    throw .invalidShape("labels[\(row)]: 'timestamp' must be an RFC 3339 time or epoch seconds")
                }
                let key = try entityKey(entity, row: row)
                found = try lookup(model: modelName, entityKey: key, atOrBefore: at)
            }
            guard let f = found else {
                resolved.append(nil)
                continue
            }
            let cacheKey = "\(f.model)@\(f.version)"
            let model: LoadedModel
            if let m = bundles[cacheKey] {
                model = m
            } else {
                model = try server.model(f.model, String(f.version))
                bundles[cacheKey] = model
            }
            guard let (text, value) = Self.labelValue(label, bundle: model.bundle) else {
                let expected = model.bundle.task == .regression ? "a number" : "one of \(model.bundle.classes.joined(separator: ", "))"
                throw .invalidShape("labels[\(row)]: label \(label) does not fit model '\(f.model)' (expected \(expected))")
            }
            resolved.append(
                Resolved(predictionID: f.id, model: f.model, version: f.version, predictedNanos: f.at, entityKey: f.key, label: label, labelText: text, labelValue: value))
        }

        var push: PushBatch?
        if let labelView {
            push = try labelPush(resolved.compactMap { $0 }, view: labelView.view, field: labelView.field, store: store, now: now)
        }
        let stored = try save(resolved.compactMap { $0 }, now: now)
        if let push {
            do { try store.push(push) } catch { throw .internalError("labels were stored but writing them to '\(labelView?.view.name ?? "")' failed: \(error)") }
        }

        var w = JSONWriter(capacity: 64 + items.count * 64)
        w.beginObject()
        w.key("stored"); w.int(stored)
        w.key("not_found"); w.int(resolved.filter { $0 == nil }.count)
        if let labelView { w.key("feature_view"); w.string(labelView.view.name); w.key("pushed"); w.int(push?.count ?? 0) }
        w.key("results")
        w.beginArray()
        for r in resolved {
            w.beginObject()
            if let r {
                w.key("prediction_id"); w.string(r.predictionID)
                w.key("model"); w.string(r.model)
                w.key("version"); w.int(r.version)
                w.key("status"); w.string("stored")
            } else {
                w.key("prediction_id"); w.null()
                w.key("status"); w.string("not_found")
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w
    }

    /// The label as text and as the number metrics use (class index or value); nil when it
    /// does not fit the model. `true`/`false` and `1`/`0` name the same two classes.
    static func labelValue(_ label: JSONValue, bundle: ModelBundle) -> (String, Double)? {
        if bundle.task == .regression {
            switch label {
            case .double(let d) where d.isFinite: return (String(d), d)
            case .integer(let i): return (String(i), Double(i))
            default: return nil
            }
        }
        guard bundle.task != .anomaly else { return nil }
        var text: String
        switch label {
        case .string(let s): text = s
        case .bool(let b): text = b ? "true" : "false"
        case .integer(let i): text = String(i)
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: text = String(Int64(d))
        default: return nil
        }
        if let k = bundle.classes.firstIndex(of: text) { return (text, Double(k)) }
        let synonyms = ["0": "false", "1": "true", "false": "0", "true": "1"]
        if let other = synonyms[text], let k = bundle.classes.firstIndex(of: other) { return (other, Double(k)) }
        return nil
    }

    private func entityKey(_ entity: JSONObject, row: Int) throws(DomainError) -> String {
        // Several join keys in the order given (the order a prediction request gives them).
        let parts = entity.members.map { (_, v) -> String? in
            switch v {
            case .string(let s): s
            case .integer(let i): String(i)
            case .double(let d) where d == d.rounded() && abs(d) < 1e15: String(Int64(d))
            default: nil
            }
        }
        guard parts.allSatisfy({ $0 != nil }) else { throw .invalidShape("labels[\(row)]: entity key values must be strings or integers") }
        return EntityKey.join(parts.compactMap { $0 })
    }

    /// A logged prediction as feedback needs it.
    typealias Prediction = (id: String, model: String, version: Int, at: Int64, key: String?)

    private func lookup(id: String) throws(DomainError) -> Prediction? {
        try firstPrediction("SELECT id, model, version, at_ns, entity_key FROM predictions WHERE id = ?", [.text(id)])
    }

    private func lookup(model: String, entityKey: String, atOrBefore at: Int64) throws(DomainError) -> Prediction? {
        try firstPrediction(
            "SELECT id, model, version, at_ns, entity_key FROM predictions WHERE entity_key = ? AND at_ns <= ? AND model = ? AND shadow_of IS NULL ORDER BY at_ns DESC LIMIT 1",
            [.text(entityKey), .integer(at), .text(model)])
    }

    private func firstPrediction(_ sql: String, _ values: [SQLiteValue]) throws(DomainError) -> Prediction? {
        do {
            return try database.read { conn in
                let s = try conn.cached(sql)
                s.bind(values)
                guard try s.step() else { return nil }
                return (s.text(0) ?? "", s.text(1) ?? "", Int(s.int64(2)), s.int64(3), s.text(4))
            }
        } catch {
            throw .internalError("reading the prediction log failed: \(error)")
        }
    }

    /// Stores labels (a label given again for the same prediction replaces the first).
    private func save(_ rows: [Resolved], now: Int64) throws(DomainError) -> Int {
        guard !rows.isEmpty else { return 0 }
        do {
            try database.write(addingData: true) { conn in
                let insert = try conn.cached(
                    "INSERT OR REPLACE INTO feedback (prediction_id, model, version, predicted_ns, label, label_value, received_ns) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for r in rows {
                    try insert.run([
                        .text(r.predictionID), .text(r.model), .integer(Int64(r.version)), .integer(r.predictedNanos), .text(r.labelText), .double(r.labelValue),
                        .integer(now),
                    ])
                }
            }
        } catch let error as DomainError {
            throw error
        } catch {
            throw .internalError("storing feedback failed: \(error)")
        }
        return rows.count
    }

    private func labelTarget(_ object: JSONObject, store: FeatureStore) throws(DomainError) -> (view: FeatureViewDefinition, field: String)? {
        guard let viewValue = object["feature_view"] else {
            if object["field"] != nil { throw .invalidShape("'field' needs 'feature_view'") }
            return nil
        }
        guard let name = viewValue.stringValue else { throw .invalidShape("'feature_view' must name a feature view") }
        guard let view = store.definitions.set.view(name) else { throw .notFound("no feature view '\(name)'; see GET /v1/definitions") }
        let field: String
        if let f = object["field"] {
            guard let f = f.stringValue, view.fields.contains(where: { $0.name == f }) else {
                throw .invalidShape("'field' must be a field of '\(name)' (\(view.fields.map(\.name).joined(separator: ", ")))")
            }
            field = f
        } else {
            guard view.fields.count == 1 else { throw .invalidShape("'\(name)' has several fields; say which one with 'field'") }
            field = view.fields[0].name
        }
        return (view, field)
    }

    /// The labels as a push to the labels view, at the prediction's time and entity (each
    /// label must come from an entity-key prediction).
    private func labelPush(_ rows: [Resolved], view: FeatureViewDefinition, field: String, store: FeatureStore, now: Int64) throws(DomainError) -> PushBatch {
        let set = store.definitions.set
        let joinKeys = set.joinKeys(of: view)
        let keyTypes = set.keyTypes(of: view)
        var columns = [[JSONValue]](repeating: [], count: joinKeys.count)
        var times: [JSONValue] = []
        var values: [JSONValue] = []
        for r in rows {
            guard let key = r.entityKey else {
                throw .invalidShape("prediction '\(r.predictionID)' was not made by entity key, so its label cannot go to '\(view.name)'")
            }
            let parts = key.split(separator: EntityKey.separator, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == joinKeys.count else { throw .invalidShape("prediction '\(r.predictionID)' has another entity than '\(view.name)'") }
            for k in 0..<joinKeys.count {
                columns[k].append(keyTypes[k] == .int64 ? Int64(parts[k]).map { .integer($0) } ?? .string(parts[k]) : .string(parts[k]))
            }
            times.append(.string(RFC3339.format(nanos: r.predictedNanos)))
            values.append(r.label)
        }
        var df: [(key: String, value: JSONValue)] = zip(joinKeys, columns).map { ($0, .array($1)) }
        df.append(("event_timestamp", .array(times)))
        df.append((field, .array(values)))
        let body = JSONValue.object(JSONObject([("feature_view", .string(view.name)), ("df", .object(JSONObject(df)))]))
        return try PushBatch.parse(body, definitions: set, limits: store.limits, now: now)
    }
}

extension FeedbackStore {
    /// Scores (as logged) and label values of a model version's predictions made since
    /// `sinceNanos` that have feedback, oldest first: the rows it answered, and the rows it
    /// scored as a shadow whose answered prediction has feedback.
    public func joined(model: String, version: Int, width: Int, sinceNanos: Int64) throws -> (scores: [Double], labels: [Double]) {
        try database.read { conn in
            let s = try conn.prepare(
                """
                SELECT p.outputs, f.label_value, f.predicted_ns FROM feedback f JOIN predictions p ON p.id = f.prediction_id
                WHERE f.model = ? AND f.version = ? AND f.predicted_ns >= ?
                UNION ALL
                SELECT s.outputs, f.label_value, f.predicted_ns FROM feedback f CROSS JOIN predictions s ON s.shadow_of = f.prediction_id
                WHERE f.model = ? AND f.predicted_ns >= ? AND s.shadow_of IS NOT NULL AND s.model = ? AND s.version = ?
                ORDER BY 3
                """)
            // The shadow's rows are found from the labels (few) through the shadow_of index,
            // not by reading every prediction of the window.
            s.bind([.text(model), .integer(Int64(version)), .integer(sinceNanos), .text(model), .integer(sinceNanos), .text(model), .integer(Int64(version))])
            var scores: [Double] = []
            var labels: [Double] = []
            while try s.step() {
                let row = s.withBlob(0) { PredictionLog.scores($0) }
                guard row.count == width else { continue }
                scores += row
                labels.append(s.double(1))
            }
            return (scores, labels)
        }
    }

    /// A shadow version's labelled rows since `sinceNanos` side by side with the answers they
    /// shadowed: the answered scores, the shadow's scores (each `width` per row) and the labels,
    /// the same rows for both, oldest first.
    public func shadowPairs(
        model: String, shadowVersion: Int, width: Int, sinceNanos: Int64
    ) throws -> (answered: [Double], shadow: [Double], labels: [Double]) {
        try database.read { conn in
            let s = try conn.prepare(
                """
                SELECT a.outputs, s.outputs, f.label_value FROM feedback f
                CROSS JOIN predictions s ON s.shadow_of = f.prediction_id
                JOIN predictions a ON a.id = f.prediction_id
                WHERE f.model = ? AND f.predicted_ns >= ? AND s.shadow_of IS NOT NULL AND s.model = ? AND s.version = ? ORDER BY f.predicted_ns
                """)
            s.bind([.text(model), .integer(sinceNanos), .text(model), .integer(Int64(shadowVersion))])
            let pairs = try PredictionLog.pairs(s, width: width, value: 2)
            return (pairs.answered, pairs.shadow, pairs.values)
        }
    }
}
