import MoteCore
import MoteFeatures
import MoteInference
import MoteModels
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
                let now = SystemClock.nowNanos()
                let report = try monitoring.service.evaluate(model, now: now)
                // The rollout beside the champion, compared live (null when none).
                let rollout = try rollouts.active(model: model.name).map { try rollouts.compare($0) }
                // The data quality of the views the model reads, for the fields it reads.
                let quality = store.quality(ofFeatures: model.bundle.inputs.map(\.name), now: now)
                var w = JSONWriter(capacity: 4096)
                report.write(into: &w, config: c) { w in
                    w.key("rollout")
                    if let rollout { rollout.write(into: &w) } else { w.null() }
                    w.key("data_quality")
                    w.beginArray()
                    for q in quality { q.quality.write(into: &w, now: now, only: q.fields) }
                    w.endArray()
                    // Drift scores over the last checks, for a chart of drift over time.
                    w.key("history")
                    DriftHistory.write(monitoring.service.history.points(model: model.name, version: model.version), into: &w)
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
