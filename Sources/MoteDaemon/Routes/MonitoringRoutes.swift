import MoteCore
import MoteFeatures
import MoteInference
import MoteMonitoring
import MoteRollout
import MoteServer
import NIOHTTP1

/// `GET /v1/models/{model}/monitoring` (drift per input and of the prediction, live metrics,
/// window, and a rollout's live comparison with the champion) and `POST /v1/feedback` (labels for earlier predictions).
enum MonitoringRoutes {
    static func routes(
        _ monitoring: MonitoringSetup, models: ModelServer, store: FeatureStore, settings: Live<MonitoringSettings>, inference: Live<InferenceSettings>,
        rollouts: Rollouts
    ) -> [Route] {
        [
            Route(.GET, "/v1/models/{model}/monitoring", role: .read, .blocking { request in
                let model = try models.model(request.parameter("model") ?? "", request.queryValue("version"))
                let c = settings.current
                let report = try monitoring.service.evaluate(model, now: SystemClock.nowNanos())
                // The rollout beside the champion, compared live (null when none).
                let rollout = try rollouts.active(model: model.name).map { try rollouts.compare($0) }
                var w = JSONWriter(capacity: 4096)
                report.write(into: &w, config: c) { w in
                    w.key("rollout")
                    if let rollout { rollout.write(into: &w) } else { w.null() }
                }
                return .json(w)
            }),
            Route(.POST, "/v1/feedback", role: .write, .blocking { request in
                let body = try request.json()
                let answer = try monitoring.feedback.record(
                    body, server: models, store: store, now: SystemClock.nowNanos(), maxRows: inference.current.maxBatchRows)
                return .json(answer)
            }),
        ]
    }
}
