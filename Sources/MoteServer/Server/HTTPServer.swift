public import Logging
public import NIOCore
import NIOHTTP1
import Prometheus
public import NIOPosix
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/1.1 server on the Unix socket: a NIO pipeline per connection
/// (`RequestDecoder` → `HTTPConnectionHandler`, which writes whole answers itself), connection limits, and a
/// graceful drain on shutdown.
public final class HTTPServer: Sendable {
    private let group: any EventLoopGroup
    private let context: ServerContext
    private let tracker = ConnectionTracker()
    private let listenerChannel: LockedValue<(any Channel)?>
    private let boundPath: LockedValue<String?>
    public let logger: Logger

    public init(
        group: any EventLoopGroup, threadPool: NIOThreadPool, router: Router, settings: ServerSettingsBox,
        metrics: RequestMetrics, logger: Logger
    ) {
        self.group = group
        self.logger = logger
        self.context = ServerContext(
            router: router, settings: settings, metrics: metrics, threadPool: threadPool, logger: logger)
        self.listenerChannel = LockedValue(nil)
        self.boundPath = LockedValue(nil)
    }

    /// Open connections.
    public var connectionCount: Int { tracker.count }

    /// Starts accepting on `listener`. Returns once the socket listens.
    public func start(_ listener: Listener) async throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            // A client may shut its sending side after a request (nc -N, socat): it still gets
            // its answers; the connection handler closes once they are out.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [context, tracker] channel in
                HTTPServer.initialize(channel, context: context, tracker: tracker)
            }
        let channel: any Channel
        switch listener {
        case .adopted(let fd, _):
            channel = try await bootstrap.withBoundSocket(fd).get()
        case .bind(let path, let mode, let group):
            _ = try SocketPreflight.prepare(path: path)
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false).get()
            boundPath.withLock { $0 = path }
            try SocketPreflight.applyOwnership(path: path, mode: mode, group: group)
        }
        listenerChannel.withLock { $0 = channel }
    }

    private static func initialize(_ channel: any Channel, context: ServerContext, tracker: ConnectionTracker) -> EventLoopFuture<Void> {
        let settings = context.settings.current
        let credentials: EventLoopFuture<PeerIdentity>
        if let provider = channel as? any SocketOptionProvider {
            credentials = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).map { (cred: PeerCredentials) in PeerIdentity(pid: cred.pid, uid: cred.uid, gid: cred.gid) }
                .recover { _ in .unknown }
        } else {
            credentials = channel.eventLoop.makeSucceededFuture(.unknown)
        }
        return credentials.flatMap { peer in
            switch tracker.admit(
                channel, uid: peer.uid, limit: settings.limits.maxConnections, perUID: settings.limits.maxConnectionsPerUID)
            {
            case .admitted:
                break
            case .overTotal:
                context.metrics.refusedConnections.increment()
                return refuse(channel, code: .tooManyConnections, message: "too many connections to moted (limits.max_connections)")
            case .overShare:
                context.metrics.refusedConnections.increment()
                context.logger.warning(
                    "refused connection: the caller has its share of connections open",
                    metadata: [
                        "event": "connection_refused", "uid": "\(peer.uid)", "pid": "\(peer.pid)",
                        "limit": "\(settings.limits.maxConnectionsPerUID)",
                    ])
                return refuse(
                    channel, code: .tooManyConnectionsPerUID,
                    message: "uid \(peer.uid) has \(settings.limits.maxConnectionsPerUID) connections open (limits.max_connections_per_uid)")
            }
            context.metrics.connectionOpened()
            channel.closeFuture.whenComplete { _ in context.metrics.connectionClosed() }
            return channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(ByteToMessageHandler(RequestDecoder()))
                try pipeline.addHandler(HTTPConnectionHandler(context: context, peer: peer, limits: settings.limits))
            }
        }
    }

    /// Answers 503 to a connection over a limit and closes it.
    private static func refuse(_ channel: any Channel, code: ErrorCode, message: String) -> EventLoopFuture<Void> {
        let body = String(buffer: Response.error(APIError(status: 503, code: code, message: message)).body)
        let text = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
        let buffer = channel.allocator.buffer(string: text)
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        return channel.eventLoop.makeSucceededVoidFuture()
    }

    /// Stops accepting, lets requests in flight finish (each connection closes after its
    /// current answer), and force-closes what is left after `timeoutNanos`.
    public func shutdown(timeoutNanos: Int64) async {
        let listener = listenerChannel.withLock { channel -> (any Channel)? in
            defer { channel = nil }
            return channel
        }
        try? await listener?.close()
        // A socket file moted made itself goes with it; one systemd passed stays systemd's.
        if let path = boundPath.withLock({ $0 }) { unlink(path) }
        for channel in tracker.all {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = SystemClock.monotonicNanos() + UInt64(max(0, timeoutNanos))
        while tracker.count > 0, SystemClock.monotonicNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let left = tracker.all
        if !left.isEmpty {
            logger.warning("closing connections still busy after the shutdown timeout", metadata: ["connections": "\(left.count)"])
            for channel in left { try? await channel.close() }
        }
    }
}

/// The layout of Linux's `struct ucred` (`SO_PEERCRED`), which Swift's Glibc module does not export.
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}
