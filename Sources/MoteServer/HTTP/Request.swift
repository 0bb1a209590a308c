public import MoteCore
public import NIOCore
public import NIOHTTP1

/// One HTTP request as a route handler sees it: the whole body is here.
public struct Request: Sendable {
    public var method: HTTPMethod
    /// The path without the query string.
    public var path: String
    /// The raw query string (after `?`), empty when none.
    public var query: Substring
    public var headers: RequestHeaders
    public var body: ByteBuffer
    /// Who sent it.
    public var peer: PeerIdentity
    /// Values of `{name}` path segments of the matched route.
    public var parameters: [String: String]
    /// When the server gives up on this request and answers 503 `request_timeout`
    /// (`SystemClock.monotonicNanos()` scale): a handler that waits should answer before it.
    public var deadline: UInt64

    public init(
        method: HTTPMethod, path: String, query: Substring = "", headers: RequestHeaders = RequestHeaders(),
        body: ByteBuffer = ByteBuffer(), peer: PeerIdentity = .unknown, parameters: [String: String] = [:],
        deadline: UInt64 = .max
    ) {
        self.deadline = deadline
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
        self.parameters = parameters
    }

    /// The first value of query parameter `name`, percent-decoded (`+` is a space).
    public func queryValue(_ name: String) -> String? {
        for part in query.split(separator: "&") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, percentDecoded(pair[0]) == name else { continue }
            return percentDecoded(Substring(pair[1].map { $0 == "+" ? " " : $0 }))
        }
        return nil
    }

    /// The `limit` query parameter (default when absent); 422 outside `1...maximum`.
    public func limit(default fallback: Int, maximum: Int) throws(DomainError) -> Int {
        guard let text = queryValue("limit") else { return fallback }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw .invalidParameter("'limit' must be 1 to \(maximum)")
        }
        return value
    }

    /// A yes/no query parameter: absent is false; `true`/`1` and `false`/`0` are read; any
    /// other value is refused (400 `invalid_parameter`) rather than taken for false.
    public func flag(_ name: String) throws(DomainError) -> Bool {
        switch queryValue(name) {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let other?: throw .invalidParameter("'\(name)' must be true or false, not '\(other)'")
        }
    }

    /// An integer query parameter, or nil when absent; anything but an integer is refused
    /// (400 `invalid_parameter`).
    public func integer(_ name: String) throws(DomainError) -> Int64? {
        guard let text = queryValue(name) else { return nil }
        guard let value = Int64(text) else {
            throw .invalidParameter("'\(name)' must be an integer, not '\(text)'")
        }
        return value
    }

    /// The body as JSON (400 `invalid_json` with the byte offset when it is not).
    public func json() throws(JSONParser.Failure) -> JSONValue {
        try body.withUnsafeReadableBytes { raw throws(JSONParser.Failure) in
            try JSONParser.parse(buffer: raw.bindMemory(to: UInt8.self))
        }
    }

    /// The body's members, read by name (`JSONFields.finish()` refuses the rest); 422
    /// `invalid_shape` when the body is JSON of another kind than an object.
    public func fields() throws -> JSONFields {
        try JSONFields(try json())
    }

    /// A path parameter, percent-decoded.
    public func parameter(_ name: String) -> String? {
        parameters[name]
    }
}

/// Decodes `%XX` escapes; invalid escapes are kept as written.
func percentDecoded(_ text: Substring) -> String {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let b = utf8.popFirst() {
        if b == UInt8(ascii: "%"), utf8.count >= 2,
            let hi = hexDigit(utf8[utf8.startIndex]), let lo = hexDigit(utf8[utf8.startIndex + 1])
        {
            bytes.append(hi << 4 | lo)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(b)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexDigit(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - 0x30
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - 0x61 + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - 0x41 + 10
    default: return nil
    }
}
