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
    let intervalNanos: @Sendable () -> Int64
    let registryConfig: @Sendable () -> MoteConfig.Registry
    let inferenceConfig: @Sendable () -> MoteConfig.Inference
    let predictionLog: PredictionLog
    let log: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(intervalNanos()))
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

    /// Trims the audit trail to `registry.audit_max_age` and `audit_max_rows`, 5000 rows per transaction.
    func trimAudit() {
        let bounds = registryConfig()
        var total = 0
        for _ in 0..<1000 {
            do {
                let deleted = try registry.trimAudit(
                    now: SystemClock.nowNanos(), maxAgeNanos: bounds.auditMaxAgeNanos, maxRows: bounds.auditMaxRows)
                total += deleted
                if deleted < 5000 { break }
            } catch {
                log.warning("audit retention failed: \(error)", metadata: ["event": "retention_failed"])
                break
            }
        }
        if total > 0 { log.info("retention deleted audit entries", metadata: ["event": "retention", "audit": "\(total)"]) }
    }

    /// Trims the prediction log to `inference.log_max_age` and `log_max_rows`, in bounded passes.
    func trimPredictions() {
        let bounds = inferenceConfig()
        var total = 0
        for _ in 0..<1000 {
            do {
                let deleted = try predictionLog.trim(now: SystemClock.nowNanos(), maxAgeNanos: bounds.logMaxAgeNanos, maxRows: bounds.logMaxRows)
                total += deleted
                if deleted < 5000 { break }
            } catch {
                log.warning("prediction log retention failed: \(error)", metadata: ["event": "retention_failed"])
                break
            }
        }
        if total > 0 { log.info("retention deleted prediction log rows", metadata: ["event": "retention", "predictions": "\(total)"]) }
    }
}
