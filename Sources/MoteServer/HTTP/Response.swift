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

    public init(status: HTTPResponseStatus = .ok, contentType: String = "application/json", body: ByteBuffer, headers: HTTPHeaders = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
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
