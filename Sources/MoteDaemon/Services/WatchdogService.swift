import Logging
import MoteCore
import MoteSystemd
import NIOCore
import ServiceLifecycle

/// Sends `WATCHDOG=1` at half the interval systemd asks for, but only after every event loop
/// has run a probe task: a stuck loop stops the pings and systemd restarts the daemon.
struct WatchdogService: Service {
    let group: any EventLoopGroup
    let notifier: SystemdNotifier
    let log: Logger

    func run() async throws {
        guard let interval = notifier.watchdogIntervalNanos() else {
            try? await gracefulShutdown()
            return
        }
        log.info("watchdog enabled", metadata: ["interval_ms": "\(interval / 1_000_000)"])
        let period = Duration.nanoseconds(Int64(interval / 2))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if await allLoopsAnswer() { notifier.watchdogPing() }
                try? await Task.sleep(for: period)
            }
        }
    }

    /// Whether every event loop runs a task now (it waits for each; a stuck loop never answers).
    private func allLoopsAnswer() async -> Bool {
        for loop in group.makeIterator() {
            do {
                try await loop.submit {}.get()
            } catch {
                return false
            }
        }
        return true
    }
}
