import MoteClient
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

/// The HTTP server in-process with test routes: JSON errors, timeouts, role checks.
@Suite("HTTP server", .serialized)
struct InProcessServerTests {
    func withServer(
        _ routes: [Route], limits: LimitSettings = LimitSettings(), access: AccessSettings = AccessSettings(),
        _ body: (String) async throws -> Void
    ) async throws {
        try await withTestServer(routes, limits: limits, access: access, body)
    }

    static let echo = Route(.POST, "/echo", role: .read, .blocking { request in
        var body = request.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let value = try JSONParser.parse(bytes)
        guard value["name"]?.stringValue != nil else { throw DomainError.invalidShape("'name' must be a string") }
        return .json(value)
    })

    @Test("bad JSON is 400 invalid_json, a wrong shape is 422, a good body round-trips")
    func jsonErrors() async throws {
        try await withServer([Self.echo]) { path in
            let client = MoteClient(socketPath: path)
            let bad = try client.post("/echo", json: Array("{\"name\": ".utf8))
            #expect(bad.status == 400)
            #expect(bad.apiError?.code == "invalid_json")
            let shape = try client.post("/echo", json: Array("{\"name\": 5}".utf8))
            #expect(shape.status == 422)
            #expect(shape.apiError?.code == "invalid_shape")
            let good = try client.post("/echo", json: Array("{\"name\": \"m1\"}".utf8))
            #expect(good.status == 200)
            #expect(try good.json()["name"] == "m1")
            let wrongType = try client.send("POST", "/echo", body: Array("name=m1".utf8), contentType: "text/plain")
            #expect(wrongType.status == 415)
            #expect(wrongType.apiError?.code == "unsupported_media_type")
        }
    }

    @Test("a handler slower than request_timeout gets 503 request_timeout; the connection stays usable")
    func requestTimeout() async throws {
        var limits = LimitSettings()
        limits.requestTimeoutNanos = 200_000_000
        let slow = Route(.GET, "/slow", role: .none, .blocking { _ in
            usleep(800_000)
            return .text("late")
        })
        let fast = Route(.GET, "/fast", role: .none, .inline { _ in .text("fast") })
        try await withServer([slow, fast], limits: limits) { path in
            let client = MoteClient(socketPath: path)
            let answer = try client.get("/slow")
            #expect(answer.status == 503)
            #expect(answer.apiError?.code == "request_timeout")
            let next = try client.get("/fast")
            #expect(next.status == 200)
            #expect(next.text == "fast")
        }
    }

    @Test("a handler that throws an unexpected error answers 500 with the error body")
    func internalErrors() async throws {
        struct Oops: Error {}
        let failing = Route(.GET, "/fail", role: .none, .inline { _ in throw Oops() })
        try await withServer([failing]) { path in
            let answer = try MoteClient(socketPath: path).get("/fail")
            #expect(answer.status == 500)
            #expect(answer.apiError?.code == "internal_error")
        }
    }
}
