import Logging
import MoteCore
import MoteFeatures
import ServiceLifecycle

/// Applies feature views' retention bounds in the background: a bounded pass every
/// `features.retention_interval`, repeated at once while a pass still finds rows to delete.
struct RetentionService: Service {
    let store: FeatureStore
    let intervalNanos: @Sendable () -> Int64
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
            }
        }
    }
}
