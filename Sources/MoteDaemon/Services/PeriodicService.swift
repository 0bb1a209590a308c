import MoteCore
import ServiceLifecycle

/// Runs `body` every `interval` (read again each time, so a reload applies) until the
/// daemon shuts down: training schedules, drift checks.
struct PeriodicService: Service {
    let interval: Live<Int64>
    let body: @Sendable () -> Void

    init(interval: Live<Int64>, body: @escaping @Sendable () -> Void) {
        self.interval = interval
        self.body = body
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(interval.current))
                if Task.isCancelled { break }
                body()
            }
        }
    }
}
