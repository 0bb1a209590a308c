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
    try await withTestServer(routes, limits: limits, access: access) { path, _ in try await body(path) }
}

/// As above, with the server itself (to stop it while a client is connected).
func withTestServer(
    _ routes: [Route], limits: LimitSettings = LimitSettings(), access: AccessSettings = AccessSettings(),
    _ body: (String, HTTPServer) async throws -> Void
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
    do { try await body(path, server) } catch { failure = error }
    await server.shutdown(timeoutNanos: 1_000_000_000)
    try await pool.shutdownGracefully()
    try await group.shutdownGracefully()
    unlink(path)
    rmdir(dir)
    if let failure { throw failure }
}

/// A bare client connection for hand-made (partial, slow, half-closed) requests.
final class TestSocket {
    let fd: Int32

    init(_ path: String, timeoutSeconds: Int = 5) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (k, b) in path.utf8.enumerated() { raw[k] = b }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXFailure(what: "connect \(path)")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let data = Array(text.utf8)
        _ = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Shuts the sending side (as `nc -N` does after its input).
    func shutdownSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything read until the server closes (or the receive timeout).
    func readToClose() -> String {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What one read returns (empty when the server closed or nothing came in time).
    func readSome() -> String {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: chunk[0..<n], as: UTF8.self) : ""
    }

    /// What has arrived so far, without waiting.
    func readSomeNonBlocking() -> String {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return n > 0 ? String(decoding: chunk[0..<n], as: UTF8.self) : ""
    }
}

struct POSIXFailure: Error, CustomStringConvertible {
    var what: String
    var code = errno
    var description: String { "\(what): errno \(code)" }
}
