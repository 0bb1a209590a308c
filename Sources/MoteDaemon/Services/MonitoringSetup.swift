import Logging
import MoteCore
import MoteFeatures
import MoteInference
import MoteMonitoring
import MoteRegistry
import MoteStorage
import MoteTraining

/// Builds monitoring for the daemon: live profiles fed by the prediction log (rebuilt from
/// it at start), the feedback store, and the service that judges drift and live metrics,
/// wired to the trainer (retrain on drift), the outbox (summaries) and `/metrics` (gauges).
struct MonitoringSetup {
    let profiles: LiveProfiles
    let feedback: FeedbackStore
    let service: MonitoringService

    init(
        storage: Storage, settings: Live<MonitoringSettings>, models: ModelServer, log: PredictionLog, registry: RegistryStore, training: TrainingJobs,
        metrics: InferenceMetrics, logger: Logger
    ) {
        let profiles = LiveProfiles(settings: settings)
        let start = SystemClock.nowNanos()
        let c = settings.current
        if c.enabled {
            do {
                var rows = 0
                try log.replay(sinceNanos: start - c.windowNanos, limit: c.windowRows) { batch in
                    profiles.add(batch)
                    rows += batch.count
                }
                if rows > 0 {
                    logger.info(
                        "live profiles rebuilt from the prediction log",
                        metadata: ["event": "live_profiles_rebuilt", "rows": "\(rows)", "ms": "\(Double(SystemClock.nowNanos() - start) / 1e6)"])
                }
            } catch {
                logger.warning("live profiles could not be rebuilt: \(error)", metadata: ["event": "live_profiles_failed"])
            }
        }
        log.observe { batch in
            if settings.current.enabled { profiles.add(batch) }
        }
        let feedback = FeedbackStore(storage: storage, predictions: log)
        self.profiles = profiles
        self.feedback = feedback
        self.service = MonitoringService(
            server: models, profiles: profiles, feedback: feedback, logger: logger, config: settings,
            onDatasetDrift: { model, _ in
                training.retrainOnDrift(model: model, now: SystemClock.nowNanos(), defaultMinIntervalNanos: settings.current.retrainMinIntervalNanos)
            },
            summary: { report in
                var w = JSONWriter(capacity: 2048)
                report.write(into: &w, config: settings.current, distributions: false)
                do {
                    try registry.enqueueOutbox(kind: .monitoringSummary, subject: "model:\(report.model)/\(report.version)", payload: w)
                } catch {
                    logger.warning("monitoring summary not queued: \(error)", metadata: ["event": "outbox_failed"])
                }
            },
            gauges: { report in metrics.monitoring(report) })
    }
}
