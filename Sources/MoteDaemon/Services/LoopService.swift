import ServiceLifecycle

/// Runs a worker's own loop (the sync drain, the fleet poll) until the daemon shuts down; the
/// pass in flight is cancelled, and each worker makes that safe (an outbox row is sent again
/// idempotently, a model's files resume from the staging directory).
struct LoopService: Service {
    let loop: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }
}
