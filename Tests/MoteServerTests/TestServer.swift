import Logging
import MoteCore
import MoteServer
import NIOCore
import NIOPosix
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// Starts a server with `routes` on a temporary socket, runs `body` with its path, shuts down
/// (also when `body` throws).
func withTestServer(
    _ routes: [Route], limits: LimitSettings = LimitSettings(), access: AccessSettings = AccessSettings(),
    _ body: (String) async throws -> Void
) async throws {
    var template = Array("/tmp/mote-server-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    let path = dir + "/s.sock"
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let pool = NIOThreadPool(numberOfThreads: 2)
    pool.start()
    let server = HTTPServer(
        group: group, threadPool: pool, router: Router(routes),
        settings: ServerSettingsBox(ServerSettings(limits: limits, policy: AccessPolicy(access))),
        metrics: RequestMetrics(registry: PrometheusCollectorRegistry()), logger: Logger(label: "test"))
    try await server.start(.bind(path: path, mode: 0o600, group: ""))
    var failure: (any Error)?
    do { try await body(path) } catch { failure = error }
    await server.shutdown(timeoutNanos: 1_000_000_000)
    try await pool.shutdownGracefully()
    try await group.shutdownGracefully()
    unlink(path)
    rmdir(dir)
    if let failure { throw failure }
}
