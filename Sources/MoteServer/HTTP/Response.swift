public import MoteCore
public import NIOCore
public import NIOHTTP1

/// An HTTP answer. Built by route handlers; written by the connection handler.
public struct Response: Sendable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: ByteBuffer
    /// Extra headers (Content-Type, Content-Length and Connection are set by the server).
    public var headers: HTTPHeaders
    /// When set, the body is streamed from this producer with chunked transfer encoding
    /// (and `body` is ignored): for answers too large to build in memory.
    public var stream: (any BodyStream)?

    public init(status: HTTPResponseStatus = .ok, contentType: String = "application/json", body: ByteBuffer, headers: HTTPHeaders = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
        self.stream = nil
    }

    /// An answer whose body `stream` produces piece by piece.
    public static func streamed(
        _ stream: any BodyStream, contentType: String, status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:]
    ) -> Response {
        var response = Response(status: status, contentType: contentType, body: ByteBuffer(), headers: headers)
        response.stream = stream
        return response
    }

    /// A JSON answer from bytes already encoded.
    public static func json(_ bytes: [UInt8], status: HTTPResponseStatus = .ok) -> Response {
        Response(status: status, body: ByteBuffer(bytes: bytes))
    }

    /// A JSON answer from a writer.
    public static func json(_ writer: JSONWriter, status: HTTPResponseStatus = .ok) -> Response {
        json(writer.bytes, status: status)
    }

    /// A JSON answer from a value.
    public static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> Response {
        var writer = JSONWriter()
        writer.value(value)
        return json(writer.bytes, status: status)
    }

    /// A plain-text answer.
    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponseStatus = .ok) -> Response {
        Response(status: status, contentType: contentType, body: ByteBuffer(string: text))
    }

    /// The answer to a domain failure (its kind decides the status; see `APIError.init(_:)`).
    public static func error(_ error: DomainError) -> Response {
        .error(APIError(error))
    }

    /// The `{"error", "code"}` answer for an API error.
    public static func error(_ error: APIError) -> Response {
        var out: [UInt8] = []
        out.reserveCapacity(64 + error.message.utf8.count)
        out.append(contentsOf: Array(#"{"error":"#.utf8))
        JSONWriter.appendString(error.message, to: &out)
        out.append(contentsOf: Array(#","code":"#.utf8))
        JSONWriter.appendString(error.code.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
        return json(out, status: HTTPResponseStatus(statusCode: error.status))
    }
}

/// A body produced in pieces. The server calls `next` on its blocking thread pool, one call
/// at a time, and asks for the next piece only after the previous one was written to the
/// socket (so a slow reader holds back the producer instead of filling memory).
public protocol BodyStream: AnyObject, Sendable {
    /// The next piece of the body (about 64 KiB is a good size); nil at the end; an empty
    /// piece when nothing is ready yet (the server asks again about 100 ms later).
    func next() throws -> [UInt8]?
}
