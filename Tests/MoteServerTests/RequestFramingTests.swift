import MoteCore
import MoteServer
import NIOCore
import NIOPosix
import NIOHTTP1
import Prometheus
import Testing
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// How the server reads requests off the socket: framing, pipelining, and refusing messages
/// that could be read two ways.
@Suite("request framing", .serialized)
struct RequestFramingTests {
    static let echo = Route(.POST, "/echo", role: .read, .inline { request in
        var body = request.body
        return .json(body.readBytes(length: body.readableBytes) ?? [])
    })

    /// Sends `bytes` on a fresh connection, closes the sending side, returns all it got back.
    func exchange(_ path: String, _ bytes: String) throws -> String {
        let socket = try TestSocket(path)
        socket.send(bytes)
        socket.shutdownSending()
        return socket.readToClose()
    }

    func withServer(_ body: (String) throws -> Void) async throws {
        try await withTestServer([Self.echo]) { path in try body(path) }
    }

    @Test("pipelined requests: chunked with extensions and trailers, Content-Length, bare LF lines; answered in order")
    func pipelined() async throws {
        try await withServer { path throws in
            let json = "Content-Type: application/json\r\n"
            let requests =
                "POST /echo HTTP/1.1\r\n\(json)Transfer-Encoding: chunked\r\n\r\n"
                + "4;ext=1\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "\r\nPOST /echo HTTP/1.1\r\n\(json)Content-Length: 7\r\n\r\n{\"b\":2}"
                + "POST /echo HTTP/1.1\nContent-Type: application/json\nContent-Length: 7\nConnection: close\n\n{\"c\":3}"
            let answer = try exchange(path, requests)
            let bodies = answer.split(separator: "\r\n\r\n").dropFirst().map { $0.prefix(7) }
            #expect(answer.ranges(of: "HTTP/1.1 200 OK").count == 3, "\(answer)")
            #expect(bodies.map(String.init) == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
        }
    }

    /// Each would be answered 200 by a lenient reader (the body fits one reading).
    @Test("messages that could be read two ways are refused with 400 and the connection closes", arguments: [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
        ("Content-Length: 3\r\nContent-Length: 4\r\n", "{}\n"),
        ("Content-Length: +3\r\n", "{}\n"),
        ("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
        ("X-Folded: a\r\n b\r\nContent-Length: 3\r\n", "{}\n"),
        ("Content-Length : 3\r\n", "{}\n"),
    ])
    func ambiguous(headers: String, body: String) async throws {
        try await withServer { path throws in
            let answer = try exchange(path, "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\n\(headers)\r\n\(body)GET /echo HTTP/1.1\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 400 "), "\(answer)")
            #expect(answer.contains("malformed HTTP request"))
            #expect(answer.ranges(of: "HTTP/1.1").count == 1, "nothing after the refusal is served")
        }
    }

    @Test("an unsupported HTTP version and a bad request line are 400")
    func badRequestLine() async throws {
        try await withServer { path throws in
            #expect(try exchange(path, "GET /echo HTTP/2.0\r\n\r\n").contains("unsupported HTTP version"))
            #expect(try exchange(path, "GET  /echo HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
            #expect(try exchange(path, "GET /echo\r\n\r\n").hasPrefix("HTTP/1.1 400 "))
        }
    }
}
