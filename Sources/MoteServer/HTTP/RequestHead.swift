public import NIOCore
public import NIOHTTP1

/// A request's line and header fields as `RequestDecoder` read them: what the server needs
/// is parsed once (framing, keep-alive, content type); the fields themselves stay as the raw
/// bytes of the head and are looked up on demand, so a request allocates no header strings.
public struct RequestHead: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var version: HTTPVersion
    /// Whether the connection stays open after the answer (HTTP/1.1 unless `Connection:
    /// close`; HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive: Bool
    /// `Content-Length`, nil when absent (chunked or no body).
    public var contentLength: Int?
    /// Whether `Content-Type` names JSON; nil when the request has none.
    public var contentTypeIsJSON: Bool?
    /// Bytes of the head as received (request line, fields, line ends).
    public var byteCount: Int
    /// Whether a body follows (chunked, or a `Content-Length` above zero).
    public var hasBody = false
    /// Whether the client waits for `100 Continue` before sending its body (`Expect: 100-continue`).
    public var expectsContinue = false
    public var headers: RequestHeaders

    public var isHTTP10: Bool { version.major == 1 && version.minor == 0 }

    /// The `Content-Type` value, nil when absent.
    public var contentType: String? { headers.first(name: "content-type") }

    public init(
        method: HTTPMethod, uri: String, version: HTTPVersion = .http1_1, keepAlive: Bool = true, contentLength: Int? = nil,
        contentTypeIsJSON: Bool? = nil, byteCount: Int = 0, headers: RequestHeaders = RequestHeaders()
    ) {
        self.method = method
        self.uri = uri
        self.version = version
        self.keepAlive = keepAlive
        self.contentLength = contentLength
        self.contentTypeIsJSON = contentTypeIsJSON
        self.byteCount = byteCount
        self.headers = headers
    }
}

/// Header fields kept as the raw head bytes plus the byte ranges of each name and value.
public struct RequestHeaders: Sendable, Sequence {
    private var raw: ByteBuffer
    /// Per field: name range, value range (offsets into `raw`'s readable bytes).
    private var fields: [(name: Range<Int>, value: Range<Int>)]

    public init() {
        raw = ByteBuffer()
        fields = []
    }

    /// Fields from name/value pairs (for tests and internal requests).
    public init(_ pairs: [(String, String)]) {
        var buffer = ByteBuffer()
        var fields: [(name: Range<Int>, value: Range<Int>)] = []
        for (name, value) in pairs {
            let n0 = buffer.writerIndex
            buffer.writeString(name)
            let v0 = buffer.writerIndex
            buffer.writeString(value)
            fields.append((n0..<v0, v0..<buffer.writerIndex))
        }
        self.raw = buffer
        self.fields = fields
    }

    init(raw: ByteBuffer, fields: [(name: Range<Int>, value: Range<Int>)]) {
        self.raw = raw
        self.fields = fields
    }

    public var count: Int { fields.count }

    /// The first value of field `name` (compared case-insensitively).
    public func first(name: String) -> String? {
        var name = name
        // The name's own UTF-8 (no copy for a literal): this runs on the inference path.
        return name.withUTF8 { wanted in
            raw.withUnsafeReadableBytes { bytes -> String? in
                for field in fields where field.name.count == wanted.count {
                    var same = true
                    for k in 0..<wanted.count where asciiLower(bytes[field.name.lowerBound + k]) != asciiLower(wanted[k]) {
                        same = false
                        break
                    }
                    if same { return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.value]), as: UTF8.self) }
                }
                return nil
            }
        }
    }

    public func makeIterator() -> AnyIterator<(name: String, value: String)> {
        var index = 0
        return AnyIterator {
            guard index < fields.count else { return nil }
            defer { index += 1 }
            let field = fields[index]
            return raw.withUnsafeReadableBytes { bytes in
                (
                    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.name]), as: UTF8.self),
                    String(decoding: UnsafeRawBufferPointer(rebasing: bytes[field.value]), as: UTF8.self)
                )
            }
        }
    }
}

@inline(__always)
private func asciiLower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

/// What `RequestDecoder` passes on: a head, body pieces, the end of a request.
public enum RequestPart: Sendable {
    /// The first bytes of a head arrived but not all of it (its deadline starts); sent at most
    /// once per head, and never when a head arrives in one read.
    case headStarted
    case head(RequestHead)
    case body(ByteBuffer)
    case end
}
