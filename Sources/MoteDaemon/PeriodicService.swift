import ServiceLifecycle

/// Runs `body` every `intervalNanos()` (read again each time, so a reload applies) until
/// the daemon shuts down: training schedules, drift checks.
struct PeriodicService: Service {
    let intervalNanos: @Sendable () -> Int64
    let body: @Sendable () -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(intervalNanos()))
                if Task.isCancelled { break }
                body()
            }
        }
    }
}
