import MoteCore
import MoteMonitoring
import MoteServer
import MoteSync
import NIOHTTP1

/// `GET /v1/alerts`: what is wrong now, in one list (the console's overview reads it): inputs
/// that drift, degraded live metrics, failing data, stale entities, a failing sync.
enum AlertRoutes {
    static func routes(monitoring: MonitoringService, data: DataWatch, sync: SyncWorker) -> [Route] {
        [
            Route(.GET, "/v1/alerts", role: .read, .blocking { _ in
                var w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.key("alerts")
                w.beginArray()
                func alert(_ kind: String, _ subject: String, _ detail: String, _ message: String) {
                    w.beginObject()
                    w.key("kind"); w.string(kind)
                    w.key("subject"); w.string(subject)
                    w.key("detail"); w.string(detail)
                    w.key("message"); w.string(message)
                    w.endObject()
                }
                for (model, what) in monitoring.activeAlerts() {
                    let version = model.replacing("@", with: " v")
                    if what == "dataset" {
                        alert("dataset_drift", model, "*", "\(version): the dataset drifts")
                    } else if what.hasPrefix("drift/") {
                        let input = String(what.dropFirst(6))
                        alert("drift", model, input, "\(version): \(input) drifts")
                    } else if what.hasPrefix("metric/") {
                        let metric = String(what.dropFirst(7))
                        alert("degraded", model, metric, "\(version): live \(metric) is worse than its holdout value")
                    }
                }
                let watched = data.activeAlerts()
                for (view, field) in watched.failing {
                    alert("data_quality", view, field, "\(view):\(field) fails its expectations in the last hour")
                }
                for (view, count) in watched.stale {
                    alert("stale_entities", view, String(count), "\(count) entities of \(view) have not reported within its expect_every")
                }
                let s = sync.status()
                if s.enabled, s.failures > 0 {
                    alert("sync_failing", s.url, String(s.failures), "the central server has failed \(s.failures) attempts in a row: \(s.lastError ?? "")")
                }
                if s.parked > 0 {
                    alert("outbox_parked", s.url, String(s.parked), "\(s.parked) outbox rows were refused by the central server (motectl sync parked)")
                }
                w.endArray()
                w.endObject()
                return .json(w)
            })
        ]
    }
}
