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
        trim("audit entries", field: "audit") { try registry.trimAudit(now: SystemClock.nowNanos(), settings: registrySettings.current) }
    }

    /// Trims the prediction log to `[inference]`'s `log_max_age` and `log_max_rows`.
    func trimPredictions() {
        trim("prediction log rows", field: "predictions") {
            try predictionLog.trim(now: SystemClock.nowNanos(), settings: inferenceSettings.current)
        }
    }

    /// Runs one trim and logs what it deleted (or why it failed).
    private func trim(_ what: String, field: String, _ body: () throws -> Int) {
        do {
            let total = try body()
            if total > 0 { log.info("retention deleted \(what)", metadata: ["event": "retention", "\(field)": "\(total)"]) }
        } catch {
            log.warning("\(what) retention failed: \(error)", metadata: ["event": "retention_failed"])
        }
    }
}
