import MoteCore
import MoteFeatures
import MoteInference
import MoteModels
import MoteRegistry
import MoteServer
import NIOCore
import NIOHTTP1

/// The Open Inference Protocol v2 model endpoints and mote's entity-key prediction:
/// `/v2/models/{model}[/versions/{version}][/ready|/infer]`, `/v1/predict/{model}`. Inference
/// runs on the event loop (no thread hop: the single-row path is the fastest in the daemon).
enum InferenceRoutes {
    static func routes(
        _ server: ModelServer, registry: RegistryStore, store: FeatureStore, log: PredictionLog, metrics: InferenceMetrics,
        settings: Live<InferenceSettings>, shadows: ShadowScorer
    ) -> [Route] {
        @Sendable func loaded(_ request: Request) throws(DomainError) -> LoadedModel {
            try served(request).model
        }
        /// The version the request names, or the default and the version rolling out beside it.
        @Sendable func served(_ request: Request) throws(DomainError) -> (model: LoadedModel, challenger: Challenger?) {
            do {
                let name = request.parameter("model") ?? ""
                if let version = request.parameter("version") { return (try server.model(name, version), nil) }
                return try server.serving(name)
            } catch {
                metrics.failed(model: request.parameter("model") ?? "", code: error.code.rawValue)
                throw error
            }
        }
        /// Runs an inference body, counting refusals per model.
        @Sendable func counted(_ model: LoadedModel, _ body: () throws -> Response) throws -> Response {
            do {
                return try body()
            } catch let error as DomainError {
                metrics.failed(model: model.name, code: error.code.rawValue)
                throw error
            } catch {
                metrics.failed(model: model.name, code: "invalid_json")
                throw error
            }
        }
        @Sendable func metadata(_ request: Request) throws -> Response {
            let model = try loaded(request)
            let versions = try registry.versions(model: model.name).map(\.version).sorted()
            var w = JSONWriter(capacity: 1024)
            InferResponse.metadata(model: model, versions: versions, into: &w)
            return .json(w)
        }
        @Sendable func ready(_ request: Request) -> Response {
            let name = request.parameter("model") ?? ""
            var w = JSONWriter(capacity: 64)
            w.beginObject()
            w.key("name"); w.string(name)
            do {
                _ = try loaded(request)
                w.key("ready"); w.bool(true)
                w.endObject()
                return .json(w)
            } catch {
                if error.kind == .notFound { return .error(error) }
                w.key("ready"); w.bool(false)
                w.key("error"); w.string(error.message)
                w.key("code"); w.string(error.code.rawValue)
                w.endObject()
                return .json(w, status: .serviceUnavailable)
            }
        }
        @Sendable func infer(_ request: Request) throws -> Response {
            let started = SystemClock.monotonicNanos()
            let (model, challenger) = try served(request)
            return try counted(model) {
                let headerLength = try request.headers.first(name: "inference-header-content-length").map { text throws(DomainError) in
                    try BinaryTensors.headerLength(text, bodyCount: request.body.readableBytes)
                }
                let answer = try request.body.withUnsafeReadableBytes { body in
                    try Infer.answer(
                        body: body, headerLength: headerLength, model: model, maxRows: settings.current.maxBatchRows, log: log, started: started,
                        challenger: challenger, shadows: shadows, explainThreads: settings.current.explainThreads)
                }
                metrics.record(model, rows: answer.rows, nanoseconds: Int64(SystemClock.monotonicNanos() &- started))
                guard !answer.binary.isEmpty else { return .json(answer.json) }
                // Binary outputs follow the JSON; the header says where the JSON ends.
                var body = ByteBuffer()
                body.reserveCapacity(answer.json.bytes.count + answer.binary.count)
                body.writeBytes(answer.json.bytes)
                body.writeBytes(answer.binary)
                var headers = HTTPHeaders()
                headers.add(name: "Inference-Header-Content-Length", value: String(answer.json.bytes.count))
                return Response(contentType: "application/octet-stream", body: body, headers: headers)
            }
        }
        return [
            Route(.GET, "/v2/models/{model}", role: .read, .blocking(metadata)),
            Route(.GET, "/v2/models/{model}/versions/{version}", role: .read, .blocking(metadata)),
            Route(.GET, "/v2/models/{model}/ready", role: .read, .blocking(ready)),
            Route(.GET, "/v2/models/{model}/versions/{version}/ready", role: .read, .blocking(ready)),
            Route(.POST, "/v2/models/{model}/infer", role: .read, .inline(infer)).takingBinaryTensors(),
            Route(.POST, "/v2/models/{model}/versions/{version}/infer", role: .read, .inline(infer)).takingBinaryTensors(),
            Route(.GET, "/v1/models/{model}/serving", role: .read, .blocking { request in
                let model = try loaded(request)
                var w = JSONWriter(capacity: 256)
                w.beginObject()
                w.key("model"); w.string(model.name)
                w.key("version"); w.int(model.version)
                w.key("algorithm"); w.string(model.bundle.algorithm)
                w.key("digest"); w.string(model.digest)
                w.key("loaded_at"); w.timestamp(nanos: model.loadedAtNanos)
                let summary = metrics.summary(model: model)
                w.key("requests"); w.int(summary?.requests ?? 0)
                w.key("rows"); w.int(summary?.rows ?? 0)
                w.key("latency_us")
                w.beginObject()
                w.key("p50"); w.double(summary?.p50 ?? 0)
                w.key("p99"); w.double(summary?.p99 ?? 0)
                w.key("window"); w.string("last 1024 requests")
                w.endObject()
                w.endObject()
                return .json(w)
            }),
            Route(.GET, "/v1/predictions", role: .read, .blocking { request in
                let limit = try request.limit(default: 100, maximum: 10_000)
                // What was answered a moment ago is shown: the writer's pending rows go first.
                log.flush(timeoutNanos: 1_000_000_000)
                var w = JSONWriter(capacity: 4096)
                w.beginObject()
                w.key("predictions")
                try log.recent(model: request.queryValue("model"), limit: limit, into: &w)
                let counts = log.counts
                w.key("written"); w.int(counts.written)
                w.key("dropped"); w.int(counts.dropped)
                w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/predict/{model}", role: .read, .inline { request in
                let started = SystemClock.monotonicNanos()
                let (model, challenger) = try served(request)
                return try counted(model) {
                    let body = try request.json()
                    let answer = try EntityPredict.answer(
                        body, model: model, store: store, now: SystemClock.nowNanos(), maxRows: settings.current.maxBatchRows, log: log, started: started,
                        challenger: challenger, shadows: shadows, explainThreads: settings.current.explainThreads)
                    metrics.record(model, rows: body["entities"]?.objectValue?.members.first?.value.arrayValue?.count ?? 0,
                                   nanoseconds: Int64(SystemClock.monotonicNanos() &- started))
                    return .json(answer)
                }
            }),
        ]
    }
}
