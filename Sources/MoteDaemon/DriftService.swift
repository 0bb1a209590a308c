import MoteCore
import MoteInference
import ServiceLifecycle
import Synchronization

/// Checks the served models for input drift every `monitoring.interval` and sets the drift
/// gauges; the monitor writes the journal entries when a drift starts or ends.
struct DriftService: Service {
    let monitor: DriftMonitor
    let metrics: InferenceMetrics
    let intervalNanos: @Sendable () -> Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(intervalNanos()))
                if Task.isCancelled { break }
                monitor.checkAll()
                for entry in monitor.latest.withLock({ Array($0.values) }) {
                    metrics.drift(model: entry.model, feature: entry.feature, score: entry.score, drifted: entry.drifted)
                }
            }
        }
    }
}
