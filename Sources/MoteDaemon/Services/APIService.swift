import Logging
import MoteCore
import MoteServer
import MoteStorage
import MoteSystemd
import ServiceLifecycle

/// Runs the HTTP server: binds or adopts the socket, declares readiness to systemd, and on
/// graceful shutdown says STOPPING and drains in-flight requests.
struct APIService: Service {
    let server: HTTPServer
    let listener: Listener
    let runtime: DaemonRuntime
    let notifier: SystemdNotifier
    let log: Logger
    let startNanos: UInt64

    func run() async throws {
        notifier.status("opening the API socket")
        try await server.start(listener)
        let where_: String
        switch listener {
        case .adopted(let fd, let name): where_ = "activated fd \(fd) (\(name))"
        case .bind(let path, _, _): where_ = "bound \(path)"
        }
        runtime.listenerDescription = where_
        runtime.readiness.phase = .ready
        let startupMillis = Double(SystemClock.monotonicNanos() - startNanos) / 1e6
        notifier.ready(status: "serving on \(runtime.config.socket.path)")
        log.notice(
            "ready",
            metadata: [
                "event": "ready", "listener": "\(where_)", "state_dir": "\(runtime.storage.directory.root)",
                "startup_ms": "\(startupMillis)", "version": "\(MoteVersion.string)",
            ])
        try? await gracefulShutdown()
        runtime.readiness.phase = .stopping
        let timeout = runtime.config.daemon.shutdownTimeoutNanos
        notifier.stopping(status: "stopping: finishing \(server.connectionCount) connection(s)")
        log.notice("stopping", metadata: ["event": "stopping", "connections": "\(server.connectionCount)"])
        await server.shutdown(timeoutNanos: timeout)
    }
}
