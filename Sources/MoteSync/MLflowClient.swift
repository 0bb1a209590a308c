import AsyncHTTPClient
public import MoteCore
import NIOCore
public import NIOHTTP1
import NIOSSL

#if canImport(Glibc)
import Glibc
#endif

/// Why a call to the central server failed, in the terms the sync worker acts on.
public enum SyncFailure: Error, Sendable, CustomStringConvertible {
    /// Worth retrying later: no connection, a timeout, a 5xx, a 429.
    case retryable(String)
    /// The server refused the request as given (a 4xx other than 404/409/429): retrying the
    /// same request cannot help.
    case rejected(status: Int, code: String, message: String)
    /// 404 / RESOURCE_DOES_NOT_EXIST.
    case notFound(String)
    /// RESOURCE_ALREADY_EXISTS.
    case alreadyExists(String)

    public var description: String {
        switch self {
        case .retryable(let m): "retryable: \(m)"
        case .rejected(let s, let c, let m): "rejected \(s) \(c): \(m)"
        case .notFound(let m): "not found: \(m)"
        case .alreadyExists(let m): "already exists: \(m)"
        }
    }
}

/// A small client of the MLflow tracking server's REST API (`/api/2.0/mlflow/...`): JSON in
/// and out, bearer or basic auth, TLS with a CA file and a client certificate, per-request
/// timeouts. Error bodies (`{"error_code", "message"}`) become `SyncFailure`s.
public final class MLflowClient: Sendable {
    private let http: HTTPClient
    private let base: String
    private let authorization: String?
    private let timeout: TimeAmount

    /// `authorization` is the whole header value (`Bearer ...`, `Basic ...`).
    public init(settings: SyncSettings, authorization: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !settings.caFile.isEmpty { tls.trustRoots = .file(settings.caFile) }
        if !settings.clientCertificate.isEmpty {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(settings.clientCertificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: settings.clientKey, format: .pem))
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .nanoseconds(settings.connectTimeoutNanos), read: .nanoseconds(settings.timeoutNanos)))
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.base = settings.url
        self.authorization = authorization
        self.timeout = .nanoseconds(settings.timeoutNanos)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// `GET path?query` or `POST|DELETE path` with a JSON body; the answer's JSON.
    public func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONWriter? = nil) async throws(SyncFailure) -> JSONValue {
        var url = base + "/api/2.0/mlflow/" + path
        if !query.isEmpty { url += "?" + query.map { Self.escape($0.0) + "=" + Self.escape($0.1) }.joined(separator: "&") }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        request.headers.add(name: "user-agent", value: "moted/\(MoteVersion.string)")
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        let (status, bytes) = try await send(request, what: "\(method) \(path)")
        let json = (try? JSONParser.parse(bytes)) ?? .null
        if (200..<300).contains(status) { return json }
        let code = json["error_code"]?.stringValue ?? ""
        let message = json["message"]?.stringValue ?? String(decoding: bytes.prefix(300), as: UTF8.self)
        if code == "RESOURCE_ALREADY_EXISTS" { throw .alreadyExists(message) }
        if status == 404 || code == "RESOURCE_DOES_NOT_EXIST" { throw .notFound(message) }
        if status >= 500 || status == 429 || status == 408 { throw .retryable("\(method) \(path): \(status) \(code) \(message)") }
        throw .rejected(status: status, code: code, message: message)
    }

    /// `PUT` of a file's bytes to the server's artifact proxy
    /// (`/api/2.0/mlflow-artifacts/artifacts/<path>`, `mlflow server --serve-artifacts`).
    func upload(path: String, bytes: [UInt8]) async throws(SyncFailure) {
        var request = HTTPClientRequest(url: base + "/api/2.0/mlflow-artifacts/artifacts/" + Self.escapePath(path))
        request.method = .PUT
        request.headers.add(name: "content-type", value: "application/octet-stream")
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let (status, body) = try await send(request, what: "PUT artifact \(path)")
        guard (200..<300).contains(status) else {
            let message = String(decoding: body.prefix(300), as: UTF8.self)
            if status >= 500 || status == 429 { throw .retryable("PUT artifact \(path): \(status) \(message)") }
            throw .rejected(status: status, code: "ARTIFACT_UPLOAD", message: "\(status) \(message) (does the server serve artifacts? mlflow server --serve-artifacts)")
        }
    }

    /// A file's bytes from the artifact proxy (`GET /api/2.0/mlflow-artifacts/artifacts/<path>`),
    /// at most `limit` bytes (more is refused as given: retrying cannot make it smaller).
    public func download(path: String, limit: Int) async throws(SyncFailure) -> [UInt8] {
        var request = HTTPClientRequest(url: base + "/api/2.0/mlflow-artifacts/artifacts/" + Self.escapePath(path))
        request.method = .GET
        request.headers.add(name: "user-agent", value: "moted/\(MoteVersion.string)")
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        let (status, body) = try await send(request, what: "GET artifact \(path)", limit: limit)
        guard (200..<300).contains(status) else {
            let message = String(decoding: body.prefix(300), as: UTF8.self)
            if status == 404 { throw .notFound("artifact \(path)") }
            if status >= 500 || status == 429 || status == 408 { throw .retryable("GET artifact \(path): \(status) \(message)") }
            throw .rejected(status: status, code: "ARTIFACT_DOWNLOAD", message: "\(status) \(message) (does the server serve artifacts? mlflow server --serve-artifacts)")
        }
        return body
    }

    /// The files of an artifact directory through the proxy (`GET .../artifacts?path=`): each
    /// file's path relative to the server's root, whether it is a directory, and its size.
    public func listArtifacts(path: String) async throws(SyncFailure) -> [(path: String, isDirectory: Bool, size: Int)] {
        var request = HTTPClientRequest(url: base + "/api/2.0/mlflow-artifacts/artifacts?path=" + Self.escape(path))
        request.method = .GET
        request.headers.add(name: "accept", value: "application/json")
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        let (status, bytes) = try await send(request, what: "list artifacts \(path)")
        guard (200..<300).contains(status) else {
            let message = String(decoding: bytes.prefix(300), as: UTF8.self)
            if status >= 500 || status == 429 || status == 408 { throw .retryable("list artifacts \(path): \(status) \(message)") }
            throw .rejected(status: status, code: "ARTIFACT_LIST", message: "\(status) \(message)")
        }
        let json = (try? JSONParser.parse(bytes)) ?? .null
        return (json["files"]?.arrayValue ?? []).compactMap { f in
            guard let name = f["path"]?.stringValue else { return nil }
            return (path + "/" + name, f["is_dir"]?.boolValue ?? false, Int(f["file_size"]?.int64Value ?? -1))
        }
    }

    /// Sends a request; its status and body. No answer (connection, timeout) is retryable. A
    /// read (GET) that finds its pooled connection closed by the server (an idle keep-alive
    /// the server dropped) is sent again at once on a new one, instead of waiting a backoff.
    private func send(_ request: HTTPClientRequest, what: String, limit: Int = 16 << 20) async throws(SyncFailure) -> (Int, [UInt8]) {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await http.execute(request, timeout: timeout)
                var buffer = try await response.body.collect(upTo: limit)
                return (Int(response.status.code), buffer.readBytes(length: buffer.readableBytes) ?? [])
            } catch {
                let staleConnection =
                    (error as? ChannelError) == .ioOnClosedChannel || (error as? HTTPClientError) == .remoteConnectionClosed
                if staleConnection, request.method == .GET, attempt == 1 { continue }
                throw .retryable("\(what): \(error)")
            }
        }
    }

    /// Percent-encoding of each segment of a `/`-separated path.
    static func escapePath(_ path: String) -> String {
        path.split(separator: "/").map { escape(String($0)) }.joined(separator: "/")
    }

    /// Percent-encoding for a query component.
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
