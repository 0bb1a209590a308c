import MoteCore
import MoteInference
import MoteMonitoring
import MoteServer
import Prometheus
import Synchronization

/// Per model and version: requests, rows, errors and a latency histogram; the prediction
/// log's written and dropped rows. Series are made once per version and kept, so a request
/// does one dictionary lookup.
final class InferenceMetrics: Sendable {
    struct Series: Sendable {
        let requests: Counter
        let rows: Counter
        let latency: DurationHistogram
        /// The last 1024 latencies (ns) and counts, for `motectl models show`.
        let recent: LockedValue<(latencies: [Int64], next: Int, requests: Int, rows: Int)>
    }
    let registry: PrometheusCollectorRegistry
    /// By model version (`LoadedModel.key`): a version unloaded and loaded again keeps its series.
    private let series = Mutex<[String: Series]>([:])
    /// The per-version loaded-bytes gauges set at the last scrape.
    private let loadedGauges = Mutex<[String: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Records one answered request of `rows` rows.
    func record(_ model: LoadedModel, rows: Int, nanoseconds: Int64) {
        let key = model.key
        let s = series.withLock { all -> Series in
            if let s = all[key] { return s }
            let labels = [("model", model.name), ("version", String(model.version))]
            let s = Series(
                requests: registry.makeCounter(
                    descriptor: .mote("inference_requests", unit: "total", help: "Inference requests answered, by model and version."), labels: labels),
                rows: registry.makeCounter(descriptor: .mote("inference_rows", unit: "total", help: "Rows predicted, by model and version."), labels: labels),
                latency: registry.makeDurationHistogram(
                    descriptor: .mote("inference_latency", unit: "seconds", help: "Time to answer an inference request, by model and version."),
                    labels: labels, buckets: RequestMetrics.buckets),
                recent: LockedValue(([], 0, 0, 0)))
            all[key] = s
            return s
        }
        s.requests.increment()
        s.rows.increment(by: Int64(rows))
        s.latency.recordNanoseconds(nanoseconds)
        s.recent.withLock { r in
            if r.latencies.count < 1024 { r.latencies.append(nanoseconds) } else { r.latencies[r.next] = nanoseconds }
            r.next = (r.next + 1) % 1024
            r.requests += 1
            r.rows += rows
        }
    }

    /// Requests, rows and latency percentiles (over the last 1024 requests) of a version since start.
    func summary(model: LoadedModel) -> (requests: Int, rows: Int, p50: Double, p99: Double)? {
        guard let s = series.withLock({ $0[model.key] }) else { return nil }
        return s.recent.withLock { r in
            let sorted = r.latencies.sorted()
            guard !sorted.isEmpty else { return (r.requests, r.rows, 0, 0) }
            let p50 = Double(sorted[sorted.count / 2]) / 1000
            let p99 = Double(sorted[min(sorted.count - 1, sorted.count * 99 / 100)]) / 1000
            return (r.requests, r.rows, p50, p99)
        }
    }

    /// Counts a refused inference request (bad input, unknown or unservable model).
    func failed(model: String, code: String) {
        registry.makeCounter(
            descriptor: .mote("inference_errors", unit: "total", help: "Inference requests answered with an error, by model and code."),
            labels: [("model", model), ("code", code)]
        ).increment()
    }

    /// Gauges of a monitoring check: drift score and state per input (and the prediction),
    /// dataset drift, and the live metrics from feedback.
    func monitoring(_ report: ModelReport) {
        let model = report.model
        if let drift = report.drift {
            for f in drift.features + (drift.prediction.map { [$0] } ?? []) {
                let labels = [("model", model), ("feature", f.name)]
                registry.makeGauge(
                    descriptor: .mote("drift_score", help: "Latest drift score of a model input or its prediction (a p-value or a distance, see docs/monitoring.md)."),
                    labels: labels
                ).set(f.score)
                registry.makeGauge(descriptor: .mote("drift_detected", help: "1 while a model input (or its prediction) drifts."), labels: labels).set(Double(f.drifted ? 1 : 0))
            }
            registry.makeGauge(descriptor: .mote("dataset_drift_share", help: "Share of a model's inputs that drift."), labels: [("model", model)]).set(drift.share)
            registry.makeGauge(descriptor: .mote("dataset_drift", help: "1 while the share of drifting inputs reaches drift_share."), labels: [("model", model)])
                .set(Double(drift.datasetDrift ? 1 : 0))
        }
        registry.makeGauge(descriptor: .mote("monitoring_window_rows", help: "Rows in a model's live monitoring window."), labels: [("model", model)])
            .set(Double(report.window?.rows ?? 0))
        registry.makeGauge(descriptor: .mote("feedback_rows", help: "Predictions with feedback in a model's live window."), labels: [("model", model)])
            .set(Double(report.feedbackRows))
        for (metric, value) in report.live where value.isFinite {
            registry.makeGauge(descriptor: .mote("live_metric", help: "A model's live metric from feedback over the window."), labels: [("model", model), ("metric", metric)])
                .set(value)
        }
    }

    /// The loaded model versions and their estimated bytes; a version no longer loaded loses its series.
    func updateLoaded(_ models: ModelServer) {
        let loaded = models.loaded
        registry.makeGauge(descriptor: .mote("models_loaded", help: "Model versions loaded (served, asked for, rolling out).")).set(Double(loaded.count))
        registry.makeGauge(descriptor: .mote("models_loaded", unit: "bytes", help: "Estimated bytes of the loaded model versions.")).set(
            Double(loaded.reduce(0) { $0 + $1.memoryBytes }))
        loadedGauges.withLock { gauges in
            var now: [String: Gauge] = [:]
            for m in loaded {
                let gauge =
                    gauges[m.key]
                    ?? registry.makeGauge(
                        descriptor: .mote("model_loaded", unit: "bytes", help: "Estimated bytes of a loaded model version."),
                        labels: [("model", m.name), ("version", String(m.version))])
                gauge.set(Double(m.memoryBytes))
                now[m.key] = gauge
            }
            for (key, gauge) in gauges where now[key] == nil { registry.unregisterGauge(gauge) }
            gauges = now
        }
    }

    func updateLog(_ log: PredictionLog, shadows: ShadowScorer) {
        let shadowCounts = shadows.counts
        registry.makeGauge(descriptor: .mote("shadow_scored", unit: "rows", help: "Answered rows scored again by a shadow version since start.")).set(Double(shadowCounts.scored))
        registry.makeGauge(descriptor: .mote("shadow_dropped", unit: "rows", help: "Answered rows a shadow version did not score (its queue was full) since start.")).set(Double(shadowCounts.dropped))
        let counts = log.counts
        registry.makeGauge(descriptor: .mote("prediction_log_written", unit: "rows", help: "Prediction log rows written since start.")).set(Double(counts.written))
        registry.makeGauge(descriptor: .mote("prediction_log_dropped", unit: "rows", help: "Prediction log rows dropped since start (writer behind or failing).")).set(Double(counts.dropped))
    }
}
