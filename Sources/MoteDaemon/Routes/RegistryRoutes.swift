import MoteCore
import MoteInference
import MoteRegistry
import MoteServer
import NIOHTTP1

/// Tracking and registry routes: `/v1/experiments`, `/v1/runs`, `/v1/models`, `/v1/audit`,
/// `/v1/sync/outbox`. Writes to runs need `write`; model, version and alias changes `admin`.
enum RegistryRoutes {
    static func routes(_ registry: RegistryStore, artifacts: ArtifactStore, models: ModelServer) -> [Route] {
        @Sendable func author(_ request: Request) -> ChangeAuthor { ChangeAuthor(uid: request.peer.uid, pid: request.peer.pid) }
        @Sendable func param(_ request: Request, _ name: String) throws -> String {
            guard let value = request.parameter(name) else { throw DomainError.invalidParameter("missing path parameter \(name)") }
            return value
        }
        return [
            Route(.GET, "/v1/experiments", role: .read, .blocking { _ in
                var w = JSONWriter(capacity: 1024)
                w.beginObject(); w.key("experiments"); w.beginArray()
                for e in try registry.experiments() { e.write(into: &w) }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/experiments", role: .write, .blocking { request in
                let body = try request.fields()
                let (name, description, tags) = (try body.requiredText("name"), try body.text("description") ?? "", try stringMap(body, "tags"))
                try body.finish()
                let experiment = try registry.createExperiment(name: name, description: description, tags: tags, actor: author(request))
                return .json(wrap("experiment", experiment.json()), status: .created)
            }),
            Route(.GET, "/v1/experiments/{experiment}", role: .read, .blocking { request in
                .json(wrap("experiment", try registry.experiment(try param(request, "experiment")).json()))
            }),
            Route(.POST, "/v1/runs", role: .write, .blocking { request in
                let body = try request.fields()
                var source: JSONWriter?
                if let object = try body.object("source") {
                    var w = JSONWriter()
                    w.value(.object(object))
                    source = w
                }
                let (experiment, name, tags) = (try body.requiredText("experiment"), try body.text("name"), try stringMap(body, "tags"))
                try body.finish()
                let run = try registry.createRun(experiment: experiment, name: name, tags: tags, source: source, actor: author(request))
                return .json(wrap("run", run.json()), status: .created)
            }),
            Route(.POST, "/v1/runs/search", role: .read, .blocking { request in
                let body = try request.fields()
                let experiments = try body.textList("experiments")
                let filter = try RunFilter(try body.text("filter") ?? "")
                let order = try body.textList("order_by")
                let limit = try body.integer("max_results", 1...50_000) ?? 1000
                try body.finish()
                var w = JSONWriter(capacity: 4096)
                w.beginObject(); w.key("runs"); w.beginArray()
                for run in try registry.searchRuns(experiments: experiments, filter: filter, orderBy: order, limit: limit) { run.write(into: &w) }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.GET, "/v1/runs/{run}", role: .read, .blocking { request in
                .json(wrap("run", try registry.run(try param(request, "run")).json()))
            }),
            Route(.GET, "/v1/runs/{run}/metrics/{key}", role: .read, .blocking { request in
                var w = JSONWriter(capacity: 1024)
                w.beginObject(); w.key("metrics"); w.beginArray()
                for point in try registry.metricHistory(run: try param(request, "run"), key: try param(request, "key")) { point.write(into: &w) }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/runs/{run}/log", role: .write, .blocking { request in
                let body = try request.fields()
                let id = try param(request, "run")
                let now = SystemClock.nowNanos() / 1_000_000
                var metrics: [MetricPoint] = []
                if let list = body.value("metrics") {
                    guard case .array(let items) = list else { throw DomainError.invalidShape("'metrics' must be an array of {key, value, step, timestamp}") }
                    for (k, item) in items.enumerated() {
                        guard case .object(let m) = item, let key = m["key"]?.stringValue, let value = m["value"]?.doubleValue else {
                            throw DomainError.invalidShape("metrics[\(k)] must be {\"key\": text, \"value\": number, \"step\"?, \"timestamp\"?}")
                        }
                        metrics.append(MetricPoint(key: key, value: value, step: m["step"]?.int64Value ?? 0, timestampMillis: m["timestamp"]?.int64Value ?? now))
                    }
                }
                let (params, tags) = (try pairs(body, "params"), try pairs(body, "tags"))
                try body.finish()
                try registry.logBatch(run: id, params: params, metrics: metrics, tags: tags, actor: author(request))
                return .json(wrap("run", try registry.run(id).json()))
            }),
            Route(.POST, "/v1/runs/{run}/artifacts", role: .write, .blocking { request in
                let body = try request.fields()
                let id = try param(request, "run")
                let (path, digest) = (try body.requiredText("path"), try body.requiredText("digest"))
                try body.finish()
                try registry.logArtifact(run: id, path: path, digest: digest, artifacts: artifacts, actor: author(request))
                return .json(wrap("run", try registry.run(id).json()))
            }),
            Route(.POST, "/v1/runs/{run}/finish", role: .write, .blocking { request in
                let body = try request.fields()
                let statusText = try body.text("status") ?? "FINISHED"
                try body.finish()
                guard let status = RunStatus(rawValue: statusText) else { throw DomainError.invalidShape("'status' must be FINISHED, FAILED or KILLED") }
                return .json(wrap("run", try registry.finishRun(try param(request, "run"), status: status, actor: author(request)).json()))
            }),
            Route(.GET, "/v1/models", role: .read, .blocking { _ in
                var w = JSONWriter(capacity: 1024)
                w.beginObject(); w.key("models"); w.beginArray()
                for model in try registry.models() { model.write(into: &w) }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/models", role: .admin, .blocking { request in
                let body = try request.fields()
                let (name, description, tags) = (try body.requiredText("name"), try body.text("description") ?? "", try stringMap(body, "tags"))
                try body.finish()
                let model = try registry.createModel(name: name, description: description, tags: tags, actor: author(request))
                return .json(wrap("model", model.json()), status: .created)
            }),
            Route(.GET, "/v1/models/{model}", role: .read, .blocking { request in
                .json(wrap("model", try registry.model(try param(request, "model")).json()))
            }),
            Route(.GET, "/v1/models/{model}/versions", role: .read, .blocking { request in
                var w = JSONWriter(capacity: 2048)
                w.beginObject(); w.key("versions"); w.beginArray()
                for version in try registry.versions(model: try param(request, "model")) { version.write(into: &w) }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/models/{model}/versions", role: .admin, .blocking { request in
                let body = try request.fields()
                let new = RegistryStore.NewVersion(
                    runID: try body.text("run_id"), artifactDigest: try body.requiredText("artifact_digest"), format: try body.requiredText("format"),
                    signature: body.value("signature") ?? .object(JSONObject()), metrics: body.value("metrics") ?? .object(JSONObject()),
                    description: try body.text("description") ?? "", tags: try stringMap(body, "tags"))
                try body.finish()
                let version = try registry.createVersion(model: try param(request, "model"), new, artifacts: artifacts, actor: author(request))
                return .json(wrap("version", version.json()), status: .created)
            }),
            Route(.GET, "/v1/models/{model}/versions/{version}", role: .read, .blocking { request in
                .json(wrap("version", try registry.resolve(model: try param(request, "model"), try param(request, "version")).json()))
            }),
            Route(.GET, "/v1/models/{model}/versions/{version}/export", role: .read, .blocking { request in
                .json(try registry.export(model: try param(request, "model"), version: try param(request, "version"), artifacts: artifacts))
            }),
            Route(.DELETE, "/v1/models/{model}/versions/{version}", role: .admin, .blocking { request in
                guard let number = Int(try param(request, "version")) else { throw DomainError.invalidParameter("version must be a number") }
                let model = try param(request, "model")
                try registry.deleteVersion(model: model, number, artifacts: artifacts, actor: author(request))
                return .json(wrap("model", try registry.model(model).json()))
            }),
            Route(.PUT, "/v1/models/{model}/aliases/{alias}", role: .admin, .blocking { request in
                let body = try request.fields()
                guard let version = try body.integerOrDigits("version", 1...Int(Int32.max)) else { throw DomainError.invalidShape("'version' is required") }
                try body.finish()
                let model = try param(request, "model")
                let alias = try param(request, "alias")
                let before = try models.setAlias(model: model, alias: alias, version: version, actor: author(request))
                return .json(aliasAnswer(model, alias, version, before: before))
            }),
            Route(.DELETE, "/v1/models/{model}/aliases/{alias}", role: .admin, .blocking { request in
                try registry.deleteAlias(model: try param(request, "model"), alias: try param(request, "alias"), actor: author(request))
                return .json(wrap("model", try registry.model(try param(request, "model")).json()))
            }),
            Route(.POST, "/v1/models/{model}/rollback", role: .admin, .blocking { request in
                let model = try param(request, "model")
                let moved = try models.rollback(model: model, actor: author(request))
                return .json(aliasAnswer(model, "champion", moved.to, before: moved.from))
            }),
            Route(.GET, "/v1/audit", role: .read, .blocking { request in
                let limit = try request.limit(default: 100, maximum: 10_000)
                var w = JSONWriter(capacity: 4096)
                w.beginObject(); w.key("entries"); w.beginArray()
                for entry in try registry.audit(limit: limit, subjectPrefix: request.queryValue("subject")) {
                    w.beginObject()
                    w.key("id"); w.int(entry.id)
                    w.key("at"); w.timestamp(nanos: entry.atNanos)
                    w.key("uid"); w.int(Int64(entry.actor.uid))
                    w.key("pid"); w.int(Int64(entry.actor.pid))
                    w.key("action"); w.string(entry.action)
                    w.key("subject"); w.string(entry.subject)
                    w.key("before"); w.value(entry.before.flatMap { try? JSONParser.parse(Array($0.utf8)) } ?? .null)
                    w.key("after"); w.value(entry.after.flatMap { try? JSONParser.parse(Array($0.utf8)) } ?? .null)
                    w.endObject()
                }
                w.endArray(); w.endObject()
                return .json(w)
            }),
            Route(.GET, "/v1/sync/outbox", role: .read, .blocking { request in
                let limit = try request.limit(default: 100, maximum: 10_000)
                let (entries, total) = try registry.outbox(limit: limit)
                var w = JSONWriter(capacity: 4096)
                w.beginObject()
                w.key("pending"); w.int(total)
                w.key("entries"); w.beginArray()
                for entry in entries {
                    w.beginObject()
                    w.key("seq"); w.int(entry.seq)
                    w.key("at"); w.timestamp(nanos: entry.atNanos)
                    w.key("kind"); w.string(entry.kind)
                    w.key("subject"); w.string(entry.subject)
                    w.key("attempts"); w.int(entry.attempts)
                    w.key("last_error"); if let e = entry.lastError { w.string(e) } else { w.null() }
                    w.key("payload"); w.value((try? JSONParser.parse(Array(entry.payload.utf8))) ?? .null)
                    w.endObject()
                }
                w.endArray(); w.endObject()
                return .json(w)
            }),
        ]
    }

    static func aliasAnswer(_ model: String, _ alias: String, _ version: Int, before: Int?) -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("alias"); w.string(alias)
        w.key("version"); w.int(version)
        w.key("previous_version"); if let before { w.int(before) } else { w.null() }
        w.endObject()
        return w
    }

    static func wrap(_ key: String, _ inner: JSONWriter) -> JSONWriter {
        var w = JSONWriter(capacity: inner.bytes.count + key.utf8.count + 8)
        w.bytes.append(contentsOf: Array("{\"\(key)\":".utf8))
        w.bytes.append(contentsOf: inner.bytes)
        w.bytes.append(UInt8(ascii: "}"))
        return w
    }


    /// `{"k": "v"}` (values may be numbers or booleans: written as their JSON text).
    static func pairs(_ body: JSONFields, _ key: String) throws -> [(String, String)] {
        guard let object = try body.object(key) else { return [] }
        return try object.map { member in
            switch member.value {
            case .string(let s): return (member.key, s)
            case .integer, .double, .bool:
                var w = JSONWriter()
                w.value(member.value)
                return (member.key, String(decoding: w.bytes, as: UTF8.self))
            default: throw DomainError.invalidShape("'\(key)'.'\(member.key)' must be text, a number or a boolean")
            }
        }
    }

    static func stringMap(_ body: JSONFields, _ key: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in try pairs(body, key) { out[k] = v }
        return out
    }
}
