import MoteCore
import MoteFeatures
import MoteInference
import MoteModels
import MoteRegistry
import MoteServer
import NIOHTTP1

/// The Open Inference Protocol v2 model endpoints and mote's entity-key prediction:
/// `/v2/models/{model}[/versions/{version}][/ready|/infer]`, `/v1/predict/{model}`. Inference
/// runs on the event loop (no thread hop: the single-row path is the fastest in the daemon).
enum InferenceRoutes {
    static func routes(_ server: ModelServer, registry: RegistryStore, store: FeatureStore, maxRows: @escaping @Sendable () -> Int) -> [Route] {
        @Sendable func loaded(_ request: Request) throws(APIError) -> LoadedModel {
            try server.model(request.parameter("model") ?? "", request.parameter("version"))
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
                if error.status == 404 { return .error(error) }
                w.key("ready"); w.bool(false)
                w.key("error"); w.string(error.message)
                w.key("code"); w.string(error.code.rawValue)
                w.endObject()
                return .json(w, status: .serviceUnavailable)
            }
        }
        @Sendable func infer(_ request: Request) throws -> Response {
            let model = try loaded(request)
            let body = try FeatureRoutes.parse(request)
            let parsed = try InferRequest.parse(body, model: model, maxRows: maxRows())
            let scores = parsed.matrix.map { model.scores(matrix: $0, rows: parsed.rowCount) } ?? model.scores(parsed.rows)
            var w = JSONWriter(capacity: 128 + parsed.rowCount * 24 * max(1, model.bundle.scoreWidth))
            InferResponse.write(model: model, id: parsed.id, scores: scores, rows: parsed.rowCount, only: parsed.outputs, into: &w)
            return .json(w)
        }
        return [
            Route(.GET, "/v2/models/{model}", role: .read, .blocking(metadata)),
            Route(.GET, "/v2/models/{model}/versions/{version}", role: .read, .blocking(metadata)),
            Route(.GET, "/v2/models/{model}/ready", role: .read, .blocking(ready)),
            Route(.GET, "/v2/models/{model}/versions/{version}/ready", role: .read, .blocking(ready)),
            Route(.POST, "/v2/models/{model}/infer", role: .read, .inline(infer)),
            Route(.POST, "/v2/models/{model}/versions/{version}/infer", role: .read, .inline(infer)),
            Route(.POST, "/v1/predict/{model}", role: .read, .inline { request in
                let model = try loaded(request)
                let body = try FeatureRoutes.parse(request)
                return .json(try EntityPredict.answer(body, model: model, store: store, now: SystemClock.nowNanos(), maxRows: maxRows()))
            }),
        ]
    }
}
