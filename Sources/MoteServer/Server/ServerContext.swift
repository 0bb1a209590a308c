import Logging
import NIOPosix

/// What every connection handler shares: routes, settings, metrics, the blocking pool, the log.
struct ServerContext: Sendable {
    let router: Router
    let settings: ServerSettingsBox
    let metrics: RequestMetrics
    let threadPool: NIOThreadPool
    let logger: Logger
}
