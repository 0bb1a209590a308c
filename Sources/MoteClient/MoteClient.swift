import MoteCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small blocking HTTP/1.1 client of moted's Unix socket API, with one keep-alive
/// connection. Used by `motectl`, the tests and benchmarks; usable by any Swift program.
///
/// ```swift
/// let client = MoteClient(socketPath: "/run/mote/mote.sock")
/// let status = try client.get("/v1/status").json()
/// ```
public final class MoteClient {
    /// The socket this client talks to.
    public let socketPath: String
    /// Seconds to wait for an answer.
    public var timeoutSeconds: Int
    private var fd: Int32 = -1

    /// The default socket: `$MOTE_SOCKET`, else `/run/mote/mote.sock`.
    public static var defaultSocketPath: String {
        if let env = getenv("MOTE_SOCKET"), env.pointee != 0 { return String(cString: env) }
        return "/run/mote/mote.sock"
    }

    public init(socketPath: String = MoteClient.defaultSocketPath, timeoutSeconds: Int = 60) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    deinit { disconnect() }

    /// Closes the connection (the next request opens a new one).
    public func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// `GET path`.
    public func get(_ path: String) throws(MoteClientError) -> ClientResponse {
        try send("GET", path)
    }

    /// `POST path` with a JSON body.
    public func post(_ path: String, json body: [UInt8]) throws(MoteClientError) -> ClientResponse {
        try send("POST", path, body: body, contentType: "application/json")
    }

    /// Sends one request and reads its answer. Retries once on a fresh connection when a
    /// kept-alive connection turns out to be closed by the daemon.
    ///
    /// With `bodySink`, a successful answer's body is passed on piece by piece as it arrives
    /// (for large streamed answers) and the returned response has an empty body.
    public func send(
        _ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil, headers: [(String, String)] = [],
        bodySink: (([UInt8]) -> Void)? = nil
    ) throws(MoteClientError) -> ClientResponse {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: motectl/\(MoteVersion.string)\r\n"
        if let contentType { request += "Content-Type: \(contentType)\r\n" }
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { request += "Content-Length: \(body.count)\r\n" }
        request += "\r\n"
        var bytes = Array(request.utf8)
        bytes.append(contentsOf: body)
        let reused = fd >= 0
        var delivered = false
        let sink: (([UInt8]) -> Void)? = bodySink.map { sink in
            { piece in
                delivered = true
                sink(piece)
            }
        }
        do {
            return try exchange(bytes, bodySink: sink)
        } catch .connectionClosed where reused && !delivered {
            disconnect()
            return try exchange(bytes, bodySink: sink)
        }
    }

    private func exchange(_ bytes: [UInt8], bodySink: (([UInt8]) -> Void)? = nil) throws(MoteClientError) -> ClientResponse {
        if fd < 0 { try connect() }
        do {
            try writeAll(bytes)
            var reader = ResponseReader(fd: fd)
            let response = try reader.read(bodySink: bodySink)
            if response.header("connection")?.lowercased() == "close" { disconnect() }
            return response
        } catch {
            disconnect()
            throw error
        }
    }

    private func connect() throws(MoteClientError) {
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .unreachable(socketPath, errnoText()) }
        guard var address = UnixSocketAddress(socketPath) else {
            close(s)
            throw .unreachable(socketPath, "path too long for a Unix socket")
        }
        guard address.connect(s) == 0 else {
            let reason = errnoText()
            close(s)
            throw .unreachable(socketPath, reason)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = s
    }

    private func writeAll(_ bytes: [UInt8]) throws(MoteClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .connectionClosed }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw .timeout }
                throw .io(errnoText())
            }
            offset += n
        }
    }
}

/// Why a call to moted failed before an HTTP answer came back.
public enum MoteClientError: Error, Equatable, CustomStringConvertible {
    /// Nothing answers on the socket.
    case unreachable(String, String)
    /// The daemon closed the connection before answering.
    case connectionClosed
    /// No answer within the timeout.
    case timeout
    /// The answer was not valid HTTP.
    case malformed(String)
    case io(String)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason):
            return "cannot reach moted at \(path): \(reason); is it running? (systemctl status moted), or set --socket / MOTE_SOCKET"
        case .connectionClosed: return "moted closed the connection before answering"
        case .timeout: return "moted did not answer in time"
        case .malformed(let what): return "moted sent an answer that is not valid HTTP: \(what)"
        case .io(let what): return "socket error: \(what)"
        }
    }
}
