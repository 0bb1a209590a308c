import Logging
import MoteCore
import MoteFeatures
import MoteInference
import MoteRegistry
import ServiceLifecycle

/// Applies feature views' retention bounds and the audit trail's in the background: a bounded
/// pass every `features.retention_interval`, repeated at once while a pass still finds rows
/// to delete.
struct RetentionService: Service {
    let store: FeatureStore
    let registry: RegistryStore
    let featureSettings: Live<FeatureSettings>
    let registrySettings: Live<RegistrySettings>
    let inferenceSettings: Live<InferenceSettings>
    let predictionLog: PredictionLog
    let log: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(featureSettings.current.retentionIntervalNanos))
                var passes = 0
                while !Task.isCancelled, passes < 1000 {
                    passes += 1
                    let results: [FeatureStore.RetentionResult]
                    do {
                        results = try store.enforceRetention(now: SystemClock.nowNanos())
                    } catch {
                        log.warning("retention pass failed: \(error)", metadata: ["event": "retention_failed"])
                        break
                    }
                    if results.isEmpty { break }
                    for r in results {
                        log.info(
                            "retention deleted history rows",
                            metadata: ["event": "retention", "view": "\(r.view)", "by_age": "\(r.byAge)", "by_rows": "\(r.byRows)"])
                    }
                    await Task.yield()
                }
                trimAudit()
                trimPredictions()
            }
        }
    }

    /// Trims the audit trail to `[registry]`'s bounds.
    func trimAudit() {
        do {
            let total = try registry.trimAudit(now: SystemClock.nowNanos(), settings: registrySettings.current)
            if total > 0 { log.info("retention deleted audit entries", metadata: ["event": "retention", "audit": "\(total)"]) }
        } catch {
            log.warning("audit retention failed: \(error)", metadata: ["event": "retention_failed"])
        }
    }

    /// Trims the prediction log to `[inference]`'s `log_max_age` and `log_max_rows`.
    func trimPredictions() {
        do {
            let total = try predictionLog.trim(now: SystemClock.nowNanos(), settings: inferenceSettings.current)
            if total > 0 { log.info("retention deleted prediction log rows", metadata: ["event": "retention", "predictions": "\(total)"]) }
        } catch {
            log.warning("prediction log retention failed: \(error)", metadata: ["event": "retention_failed"])
        }
    }
}
