import MoteSync
import ServiceLifecycle

/// Runs the sync worker's loop until the daemon shuts down; a drain in flight is cancelled
/// (its row stays in the outbox and is sent again, idempotently, next time).
struct SyncService: Service {
    let worker: SyncWorker

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await worker.run()
        }
    }
}
