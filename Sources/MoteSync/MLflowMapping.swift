import MoteCore
import MoteRegistry
import NIOHTTP1

/// How each outbox row becomes MLflow REST calls (docs/sync.md has the table), idempotently:
/// every object created remotely is found again by its `mote.*` tags (or its deterministic
/// name) before a second one would be made, and its remote id is kept in the id map.
struct MLflowMapping {
    let client: MLflowClient
    let store: SyncStore
    let device: String
    let settings: SyncSettings
    /// A model artifact's bytes by digest (for `upload_artifacts`).
    let artifact: @Sendable (String) -> [UInt8]?

    /// MLflow's `runs/log-batch` limits.
    static let maxMetrics = 1000
    static let maxParams = 100
    static let maxTags = 100
    static let maxEntities = 1000
    static let maxBytes = 1_000_000

    func send(_ item: SyncStore.Item, now: Int64) async throws(SyncFailure) {
        let payload = (try? JSONParser.parse(Array(item.payload.utf8))) ?? .null
        guard let kind = OutboxKind(rawValue: item.kind) else {
            throw .rejected(status: 0, code: "UNKNOWN_KIND", message: "no mapping for outbox kind '\(item.kind)'")
        }
        switch kind {
        case .experimentCreated:
            _ = try await experiment(payload["name"]?.stringValue ?? "", now: now)
        case .runCreated:
            let run = try await run(payload, now: now)
            let params = Self.pairs(payload["params"])
            let tags = Self.pairs(payload["tags"])
            let metrics = (payload["metrics"]?.arrayValue ?? []).flatMap { Self.metricPoints($0) }
            if !params.isEmpty || !metrics.isEmpty { try await logBatch(run: run, params: params, metrics: metrics, tags: tags) }
        case .runLogged:
            let run = try await mappedRun(payload["run_id"]?.stringValue ?? "")
            let metrics = (payload["metrics"]?.arrayValue ?? []).compactMap { m -> (String, Double, Int64, Int64)? in
                guard let key = m["key"]?.stringValue, let value = m["value"]?.doubleValue else { return nil }
                return (key, value, m["step"]?.int64Value ?? 0, m["timestamp"]?.int64Value ?? 0)
            }
            try await logBatch(run: run, params: Self.pairs(payload["params"]), metrics: metrics, tags: Self.pairs(payload["tags"]))
        case .runFinished:
            let run = try await mappedRun(payload["id"]?.stringValue ?? "")
            var w = JSONWriter()
            w.beginObject()
            w.key("run_id"); w.string(run)
            w.key("status"); w.string(payload["status"]?.stringValue ?? "FINISHED")
            if let end = payload["end"]?.stringValue.flatMap(RFC3339.parse) { w.key("end_time"); w.int(end / 1_000_000) }
            w.endObject()
            _ = try await client.call(.POST, "runs/update", body: w)
        case .runArtifact:
            // Artifacts stay on the box unless asked for (and then only model artifacts go, with
            // their versions); the row is done either way.
            break
        case .modelCreated:
            _ = try await registeredModel(payload["name"]?.stringValue ?? "", description: payload["description"]?.stringValue ?? "")
        case .versionRegistered:
            _ = try await version(payload, now: now)
        case .versionDeleted:
            let model = payload["model"]?.stringValue ?? ""
            let number = payload["version"]?.int64Value ?? 0
            guard let remote = try mapped("version:\(model)/\(number)") else { return }
            var w = JSONWriter()
            w.beginObject(); w.key("name"); w.string(modelName(model)); w.key("version"); w.string(remote); w.endObject()
            do { _ = try await client.call(.DELETE, "model-versions/delete", body: w) } catch .notFound { return }
        case .aliasSet:
            let model = payload["model"]?.stringValue ?? ""
            let number = payload["version"]?.int64Value ?? 0
            var remote = try mapped("version:\(model)/\(number)")
            if remote == nil { remote = try await findVersion(model: model, number: Int(number)) }
            guard let remote else {
                throw .rejected(status: 0, code: "NOT_SYNCED", message: "version \(model)/\(number) has not reached the server (its row is parked)")
            }
            var w = JSONWriter()
            w.beginObject()
            w.key("name"); w.string(modelName(model))
            w.key("alias"); w.string(payload["alias"]?.stringValue ?? "")
            w.key("version"); w.string(remote)
            w.endObject()
            _ = try await client.call(.POST, "registered-models/alias", body: w)
        case .aliasDeleted:
            let model = payload["model"]?.stringValue ?? ""
            // MLflow reads the name and alias of this DELETE from a JSON body (query parameters
            // are refused as missing).
            var w = JSONWriter()
            w.beginObject(); w.key("name"); w.string(modelName(model)); w.key("alias"); w.string(payload["alias"]?.stringValue ?? ""); w.endObject()
            do {
                _ = try await client.call(.DELETE, "registered-models/alias", body: w)
            } catch .notFound {
                return
            } catch .rejected(_, let code, let message) where code == "INVALID_PARAMETER_VALUE" && message.contains("not found") {
                return  // already gone: the row did its work before (a retry after a lost answer)
            }
        case .monitoringSummary:
            try await logDevice(metrics: Self.summaryMetrics(payload), tags: [], atMillis: now / 1_000_000)
        case .fleetDecision:
            try await reportFleetDecision(payload, now: now)
        case .rolloutDecision:
            try await reportRolloutDecision(payload, now: now)
        }
    }

    // MARK: - Objects

    func modelName(_ model: String) -> String {
        settings.modelNameTemplate.replacing("<device_id>", with: device).replacing("<model>", with: model)
    }

    private func mapped(_ local: String) throws(SyncFailure) -> String? {
        do { return try store.remote(local) } catch { throw .retryable("reading the sync map: \(error)") }
    }

    private func remember(_ local: String, _ remote: String, now: Int64) throws(SyncFailure) {
        do { try store.map(local, to: remote, now: now) } catch { throw .retryable("writing the sync map: \(error)") }
    }

    /// The experiment `mote/<device>/<name>`: found by name or created.
    func experiment(_ name: String, now: Int64) async throws(SyncFailure) -> String {
        let local = "experiment:\(name)"
        if let id = try mapped(local) { return id }
        let remoteName = "mote/\(device)/\(name)"
        func find() async throws(SyncFailure) -> String? {
            do {
                let found = try await client.call(.GET, "experiments/get-by-name", query: [("experiment_name", remoteName)])
                return found["experiment"]?["experiment_id"]?.stringValue
            } catch .notFound {
                return nil
            }
        }
        var id = try await find()
        if id == nil {
            var w = JSONWriter()
            w.beginObject()
            w.key("name"); w.string(remoteName)
            w.key("tags"); Self.writePairs([("mote.device_id", device), ("mote.experiment", name)], into: &w)
            w.endObject()
            do {
                id = try await client.call(.POST, "experiments/create", body: w)["experiment_id"]?.stringValue
            } catch .alreadyExists {
                id = try await find()
            }
        }
        guard let id else { throw .retryable("experiment '\(remoteName)': no id in the answer") }
        try remember(local, id, now: now)
        return id
    }

    /// A run from its `run_created` payload: found by its `mote.run_id` tag or created.
    func run(_ payload: JSONValue, now: Int64) async throws(SyncFailure) -> String {
        let id = payload["id"]?.stringValue ?? ""
        let local = "run:\(id)"
        if let remote = try mapped(local) { return remote }
        let experimentID = try await experiment(payload["experiment"]?.stringValue ?? "Default", now: now)
        if let found = try await findRun(experimentID: experimentID, tag: "mote.run_id", value: id) {
            try remember(local, found, now: now)
            return found
        }
        var tags = [("mote.device_id", device), ("mote.run_id", id)]
        tags += Self.pairs(payload["tags"]).filter { !$0.0.hasPrefix("mote.") }
        return try await createRun(
            local: local, experimentID: experimentID, name: payload["name"]?.stringValue ?? id,
            startNanos: payload["start"]?.stringValue.flatMap(RFC3339.parse), tags: Array(tags.prefix(Self.maxTags)), now: now)
    }

    /// `runs/create`, remembered under `local`.
    private func createRun(
        local: String, experimentID: String, name: String, startNanos: Int64?, tags: [(String, String)], now: Int64
    ) async throws(SyncFailure) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.key("experiment_id"); w.string(experimentID)
        w.key("run_name"); w.string(name)
        if let startNanos { w.key("start_time"); w.int(startNanos / 1_000_000) }
        w.key("tags"); Self.writePairs(tags, into: &w)
        w.endObject()
        let created = try await client.call(.POST, "runs/create", body: w)
        guard let remote = created["run"]?["info"]?["run_id"]?.stringValue else { throw .retryable("runs/create: no run id in the answer") }
        try remember(local, remote, now: now)
        return remote
    }

    func findRun(experimentID: String, tag: String, value: String) async throws(SyncFailure) -> String? {
        var w = JSONWriter()
        w.beginObject()
        w.key("experiment_ids"); w.beginArray(); w.string(experimentID); w.endArray()
        w.key("filter"); w.string("tags.`\(tag)` = '\(value.replacing("'", with: ""))'")
        w.key("max_results"); w.int(1)
        w.endObject()
        let found = try await client.call(.POST, "runs/search", body: w)
        return found["runs"]?.arrayValue?.first?["info"]?["run_id"]?.stringValue
    }

    /// A run already sent (its creation came first in the outbox).
    func mappedRun(_ id: String) async throws(SyncFailure) -> String {
        if let remote = try mapped("run:\(id)") { return remote }
        throw .rejected(status: 0, code: "NOT_SYNCED", message: "run \(id) has not reached the server (its creation is parked)")
    }

    /// The registered model (created if missing; an existing one is fine).
    func registeredModel(_ model: String, description: String) async throws(SyncFailure) -> String {
        let name = modelName(model)
        var w = JSONWriter()
        w.beginObject()
        w.key("name"); w.string(name)
        if !description.isEmpty { w.key("description"); w.string(description) }
        w.key("tags"); Self.writePairs([("mote.device_id", device), ("mote.model", model)], into: &w)
        w.endObject()
        do { _ = try await client.call(.POST, "registered-models/create", body: w) } catch .alreadyExists {}
        return name
    }

    /// The remote version of a local one, by its `mote.version` tag.
    func findVersion(model: String, number: Int) async throws(SyncFailure) -> String? {
        let found = try await client.call(
            .GET, "model-versions/search", query: [("filter", "name='\(modelName(model).replacing("'", with: ""))'"), ("max_results", "10000")])
        for v in found["model_versions"]?.arrayValue ?? [] {
            let tags = Self.pairs(v["tags"])
            if tags.contains(where: { $0.0 == "mote.version" && $0.1 == String(number) }) { return v["version"]?.stringValue }
        }
        return nil
    }

    func version(_ payload: JSONValue, now: Int64) async throws(SyncFailure) -> String {
        let model = payload["model"]?.stringValue ?? ""
        let number = Int(payload["version"]?.int64Value ?? 0)
        let local = "version:\(model)/\(number)"
        if let remote = try mapped(local) { return remote }
        let name = try await registeredModel(model, description: "")
        if let found = try await findVersion(model: model, number: number) {
            try remember(local, found, now: now)
            return found
        }
        let remoteRun = try payload["run_id"]?.stringValue.flatMap { runID throws(SyncFailure) in try mapped("run:\(runID)") }
        var source = "mote://\(device)/models/\(model)/versions/\(number)"
        if settings.uploadArtifacts, let remoteRun, let digest = payload["artifact_digest"]?.stringValue {
            source = try await uploadModel(run: remoteRun, digest: digest)
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("source"); w.string(source)
        if let remoteRun { w.key("run_id"); w.string(remoteRun) }
        if let d = payload["description"]?.stringValue, !d.isEmpty { w.key("description"); w.string(d) }
        w.key("tags")
        Self.writePairs(
            [("mote.device_id", device), ("mote.version", String(number)), ("mote.digest", payload["artifact_digest"]?.stringValue ?? "")], into: &w)
        w.endObject()
        let created = try await client.call(.POST, "model-versions/create", body: w)
        guard let remote = created["model_version"]?["version"]?.stringValue else { throw .retryable("model-versions/create: no version in the answer") }
        try remember(local, remote, now: now)
        return remote
    }

    /// Puts a version's bundle under its run's artifacts (`model/mote.model.json`) through the
    /// server's artifact proxy; answers the version's source URI.
    func uploadModel(run: String, digest: String) async throws(SyncFailure) -> String {
        let info = try await client.call(.GET, "runs/get", query: [("run_id", run)])
        guard let uri = info["run"]?["info"]?["artifact_uri"]?.stringValue, uri.hasPrefix("mlflow-artifacts:") else {
            throw .rejected(
                status: 0, code: "ARTIFACT_UPLOAD",
                message: "the server does not proxy artifacts (run artifact_uri is not mlflow-artifacts:/...); start it with --serve-artifacts or set upload_artifacts = false")
        }
        guard let bytes = artifact(digest) else {
            throw .rejected(status: 0, code: "ARTIFACT_MISSING", message: "artifact \(digest) is not on the box")
        }
        var path = String(uri.dropFirst("mlflow-artifacts:".count))
        while path.hasPrefix("/") { path.removeFirst() }
        try await client.upload(path: path + "/model/mote.model.json", bytes: bytes)
        return uri + "/model"
    }

    /// The per-device run (`mote/<device>/device`, run `device`), where heartbeats and
    /// monitoring summaries go as metrics.
    func deviceRun(now: Int64) async throws(SyncFailure) -> String {
        if let remote = try mapped("device-run") { return remote }
        let experimentID = try await experiment("device", now: now)
        if let found = try await findRun(experimentID: experimentID, tag: "mote.device_run", value: device) {
            try remember("device-run", found, now: now)
            return found
        }
        return try await createRun(
            local: "device-run", experimentID: experimentID, name: "device-\(device)", startNanos: now,
            tags: [("mote.device_id", device), ("mote.device_run", device)], now: now)
    }

    func logDevice(metrics: [(String, Double)], tags: [(String, String)], atMillis: Int64) async throws(SyncFailure) {
        let run = try await deviceRun(now: atMillis * 1_000_000)
        try await logBatch(run: run, params: [], metrics: metrics.map { ($0.0, $0.1, 0, atMillis) }, tags: tags)
    }

    /// A rollout decision on the device run: the tag `mote.rollout.<model>` ("promoted version 3
    /// over 2: ...") and the evidence as `rollout.<model>.<key>` metrics.
    func reportRolloutDecision(_ payload: JSONValue, now: Int64) async throws(SyncFailure) {
        let model = payload["model"]?.stringValue ?? ""
        let text =
            "\((payload["decision"]?.stringValue ?? "").replacing("_", with: " ")) \(payload["mode"]?.stringValue ?? "") version \(payload["version"]?.int64Value ?? 0) beside champion \(payload["champion"]?.int64Value ?? 0): \(payload["reason"]?.stringValue ?? "")"
        let metrics = (payload["metrics"]?.objectValue ?? JSONObject()).compactMap { key, value -> (String, Double)? in
            value.doubleValue.map { (Self.metricKey(["rollout", model, key]), $0) }
        }
        try await logDevice(
            metrics: metrics, tags: [(Self.metricKey(["mote.rollout", model]), String(text.prefix(RegistryNames.maxTagValueLength)))],
            atMillis: payload["at_ms"]?.int64Value ?? now / 1_000_000)
    }

    /// A fleet decision: the tag `mote.device.<device>` on the central version (set again on a
    /// retry, so the row is idempotent) and the local evaluation's numbers on the device run
    /// as `fleet.<model>.<metric>`.
    func reportFleetDecision(_ payload: JSONValue, now: Int64) async throws(SyncFailure) {
        let model = payload["model"]?.stringValue ?? ""
        let version = payload["central_version"]?.stringValue ?? ""
        var w = JSONWriter()
        w.beginObject()
        w.key("name"); w.string(model)
        w.key("version"); w.string(version)
        w.key("key"); w.string("mote.device.\(device)")
        w.key("value"); w.string(String((payload["decision"]?.stringValue ?? "").prefix(4000)))
        w.endObject()
        _ = try await client.call(.POST, "model-versions/set-tag", body: w)
        let metrics = (payload["metrics"]?.objectValue ?? JSONObject()).compactMap { key, value -> (String, Double)? in
            value.doubleValue.map { (Self.metricKey(["fleet", model, key]), $0) }
        }
        if !metrics.isEmpty { try await logDevice(metrics: metrics, tags: [], atMillis: (payload["at_ms"]?.int64Value ?? now / 1_000_000)) }
    }

    // MARK: - log-batch

    /// Params, metrics and tags in chunks within MLflow's limits.
    func logBatch(run: String, params: [(String, String)], metrics: [(String, Double, Int64, Int64)], tags: [(String, String)]) async throws(SyncFailure) {
        var p = params[...]
        var m = metrics[...]
        var t = tags[...]
        repeat {
            let np = min(p.count, Self.maxParams)
            let nt = min(t.count, Self.maxTags, Self.maxEntities - np)
            let nm = min(m.count, Self.maxMetrics, Self.maxEntities - np - nt)
            var w = JSONWriter(capacity: 4096)
            w.beginObject()
            w.key("run_id"); w.string(run)
            w.key("params"); Self.writePairs(Array(p.prefix(np)), into: &w)
            w.key("tags"); Self.writePairs(Array(t.prefix(nt)), into: &w)
            w.key("metrics")
            w.beginArray()
            for (key, value, step, timestamp) in m.prefix(nm) {
                w.beginObject()
                w.key("key"); w.string(key)
                w.key("value"); if value.isFinite { w.double(value) } else { w.string(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity") }
                w.key("timestamp"); w.int(timestamp)
                w.key("step"); w.int(step)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            if w.bytes.count > Self.maxBytes, np + nt + nm > 1 {
                // Too large for one request: halve what this chunk carries (rare: long values).
                let half = (np + nt + nm) / 2
                try await logBatch(
                    run: run, params: Array(p.prefix(min(np, half))), metrics: Array(m.prefix(max(0, half - min(np, half)))), tags: [])
                p = p.dropFirst(min(np, half))
                m = m.dropFirst(max(0, half - min(np, half)))
                continue
            }
            _ = try await client.call(.POST, "runs/log-batch", body: w)
            p = p.dropFirst(np)
            t = t.dropFirst(nt)
            m = m.dropFirst(nm)
        } while !p.isEmpty || !m.isEmpty || !t.isEmpty
    }

    // MARK: - Helpers

    static func pairs(_ v: JSONValue?) -> [(String, String)] {
        switch v {
        case .array(let items)?:
            return items.compactMap { i in i["key"]?.stringValue.map { ($0, i["value"]?.stringValue ?? "") } }
        case .object(let o)?:
            return o.members.map { ($0.key, $0.value.stringValue ?? "") }
        default:
            return []
        }
    }

    static func metricPoints(_ v: JSONValue) -> [(String, Double, Int64, Int64)] {
        guard let key = v["key"]?.stringValue else { return [] }
        if let value = v["value"]?.doubleValue { return [(key, value, v["step"]?.int64Value ?? 0, v["timestamp"]?.int64Value ?? 0)] }
        return (v["history"]?.arrayValue ?? []).compactMap { p in
            p["value"]?.doubleValue.map { (key, $0, p["step"]?.int64Value ?? 0, p["timestamp"]?.int64Value ?? 0) }
        }
    }

    static func writePairs(_ pairs: [(String, String)], into w: inout JSONWriter) {
        w.beginArray()
        for (k, v) in pairs {
            w.beginObject(); w.key("key"); w.string(k); w.key("value"); w.string(v); w.endObject()
        }
        w.endArray()
    }

    /// A metric key MLflow accepts everywhere (letters, digits, `_ - . /` and spaces).
    static func metricKey(_ parts: [String]) -> String {
        String(parts.joined(separator: ".").map { $0.isLetter || $0.isNumber || "_-./ ".contains($0) ? $0 : "_" })
    }

    /// A monitoring summary as device-run metrics.
    static func summaryMetrics(_ s: JSONValue) -> [(String, Double)] {
        let model = s["model"]?.stringValue ?? "model"
        let version = "v\(s["version"]?.int64Value ?? 0)"
        var out: [(String, Double)] = []
        out.append((metricKey(["monitoring", model, version, "window_rows"]), s["window"]?["rows"]?.doubleValue ?? 0))
        // An unjudged window (too few rows) sends no verdict rather than a 0 that reads as "no drift".
        if case .bool(let drifted)? = s["dataset_drift"] {
            out.append((metricKey(["monitoring", model, version, "dataset_drift"]), drifted ? 1 : 0))
            out.append((metricKey(["monitoring", model, version, "drift_share"]), s["drift_share"]?.doubleValue ?? 0))
        }
        var features = s["features"]?.arrayValue ?? []
        if let p = s["prediction"], p != .null { features.append(p) }
        for f in features {
            let name = f["name"]?.stringValue ?? ""
            out.append((metricKey(["monitoring", model, version, "drift_score", name]), f["score"]?.doubleValue ?? 0))
            out.append((metricKey(["monitoring", model, version, "drifted", name]), f["drifted"] == .bool(true) ? 1 : 0))
        }
        for member in s["metrics"]?["live"]?.objectValue ?? JSONObject() {
            if let v = member.value.doubleValue { out.append((metricKey(["monitoring", model, version, "live", member.key]), v)) }
        }
        out.append((metricKey(["monitoring", model, version, "feedback_rows"]), s["metrics"]?["feedback_rows"]?.doubleValue ?? 0))
        return out
    }
}
