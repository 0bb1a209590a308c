import Foundation
import MoteCore
import MoteServer
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Callers that send slowly, stop half-way or shut their sending side: none of them can hold
/// a connection for nothing, and none loses an answer it is owed.
@Suite("slow and half-closed clients", .serialized)
struct SlowClientTests {
    static let echo = Route(.POST, "/echo", role: .read, .blocking { request in
        var body = request.body
        return .json(body.readBytes(length: body.readableBytes) ?? [])
    })
    static let status = Route(.GET, "/status", role: .read, .blocking { _ in
        usleep(20_000)
        return .json(Array(#"{"ok":true}"#.utf8))
    })
    static let admin = Route(.POST, "/admin", role: .admin, .inline { _ in .json(Array("{}".utf8)) })

    static var tight: LimitSettings {
        var limits = LimitSettings()
        limits.headTimeoutNanos = 300_000_000
        limits.bodyTimeoutNanos = 300_000_000
        limits.minBodyRate = 1024
        return limits
    }

    @Test("a body trickled below limits.min_body_rate is answered 408 slow_request and the connection closed")
    func slowBody() async throws {
        try await withTestServer([Self.echo], limits: Self.tight) { path in
            let socket = try TestSocket(path)
            socket.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            let started = Date()
            // One byte every 100 ms earns 1 ms each: the 300 ms allowance runs out.
            var answer = ""
            for _ in 0..<40 {
                socket.send("x")
                usleep(100_000)
                answer = socket.readSomeNonBlocking()
                if !answer.isEmpty { break }
            }
            if answer.isEmpty { answer = socket.readToClose() }
            #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
            #expect(answer.contains(#""code":"slow_request""#))
            #expect(Date().timeIntervalSince(started) < 2)
        }
    }

    @Test("a body that keeps up with limits.min_body_rate is read whole, however long it takes")
    func steadyBody() async throws {
        var limits = Self.tight
        limits.minBodyRate = 100  // 10 ms per byte earned
        try await withTestServer([Self.echo], limits: limits) { path in
            let socket = try TestSocket(path)
            let body = #"{"name":"steady","pad":"\#(String(repeating: "p", count: 40))"}"#
            socket.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            // 8 bytes every 40 ms (200 bytes/s) for longer than body_timeout.
            let bytes = Array(body.utf8)
            for start in stride(from: 0, to: bytes.count, by: 8) {
                socket.send(String(decoding: bytes[start..<min(start + 8, bytes.count)], as: UTF8.self))
                usleep(40_000)
            }
            let answer = socket.readSome()
            #expect(answer.hasPrefix("HTTP/1.1 200 "), "\(answer)")
            #expect(answer.hasSuffix(body))
        }
    }

    @Test("a head trickled for longer than limits.head_timeout is answered 408 and closed")
    func slowHead() async throws {
        try await withTestServer([Self.echo], limits: Self.tight) { path in
            let socket = try TestSocket(path)
            let started = Date()
            var answer = ""
            for byte in "GET /status HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa" {
                socket.send(String(byte))
                usleep(50_000)
                answer = socket.readSomeNonBlocking()
                if !answer.isEmpty { break }
            }
            #expect(answer.hasPrefix("HTTP/1.1 408 "), "\(answer)")
            #expect(Date().timeIntervalSince(started) < 1.5)
        }
    }

    @Test("a refused request is answered at its head without waiting for its body")
    func refusedAtHead() async throws {
        var access = AccessSettings()
        access.defaultRole = .read
        try await withTestServer([Self.echo, Self.admin], limits: Self.tight, access: access) { path in
            // 404 and 415 for anyone; 403 needs a caller without the role (root is always
            // admin, so it is checked only when the tests do not run as root).
            var cases = [
                ("POST /nowhere HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n", "404", "not_found"),
                ("POST /echo HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 5000000\r\n\r\n", "415", "unsupported_media_type"),
                ("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
                 "100", ""),
            ]
            if getuid() != 0 {
                cases.append(("POST /admin HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n", "403", "forbidden"))
            }
            for (head, status, code) in cases {
                let socket = try TestSocket(path, timeoutSeconds: 2)
                socket.send(head)
                let started = Date()
                let answer = socket.readSome()
                #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "\(head): \(answer)")
                #expect(code.isEmpty || answer.contains(code))
                #expect(Date().timeIntervalSince(started) < 0.25, "answered before the body timeout")
            }
        }
    }

    @Test("Expect: 100-continue gets 100 Continue, then the answer to the body")
    func expectContinue() async throws {
        try await withTestServer([Self.echo]) { path in
            let socket = try TestSocket(path)
            socket.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 8\r\nExpect: 100-continue\r\n\r\n")
            #expect(socket.readSome() == "HTTP/1.1 100 Continue\r\n\r\n")
            socket.send(#"{"a":12}"#)
            let answer = socket.readSome()
            #expect(answer.hasPrefix("HTTP/1.1 200 "))
            #expect(answer.hasSuffix(#"{"a":12}"#))
        }
    }

    @Test("complete requests followed by a half-close are all answered, also on the blocking pool")
    func halfClose() async throws {
        try await withTestServer([Self.echo, Self.status]) { path in
            let socket = try TestSocket(path)
            socket.send(
                "GET /status HTTP/1.1\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"b\":2}"
                    + "GET /status HTTP/1.1\r\n\r\n")
            socket.shutdownSending()
            let answer = socket.readToClose()
            #expect(answer.ranges(of: "HTTP/1.1 200 OK").count == 3, "\(answer)")
            #expect(answer.contains(#"{"b":2}"#))
            #expect(answer.hasSuffix(#"{"ok":true}"#))
        }
    }

    @Test("a request cut short by a half-close is dropped and the connection closed")
    func halfCloseMidRequest() async throws {
        try await withTestServer([Self.echo]) { path in
            let socket = try TestSocket(path, timeoutSeconds: 2)
            socket.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 70\r\n\r\n{\"b\"")
            socket.shutdownSending()
            let started = Date()
            #expect(socket.readToClose() == "")
            #expect(Date().timeIntervalSince(started) < 1)
        }
    }

    @Test("a stop answers a stalled upload 503 after limits.stop_body_grace instead of waiting for shutdown_timeout")
    func stopDuringUpload() async throws {
        var limits = LimitSettings()
        limits.stopBodyGraceNanos = 300_000_000
        try await withTestServer([Self.echo], limits: limits) { path, server in
            let socket = try TestSocket(path)
            socket.send("POST /echo HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":")
            usleep(50_000)
            let started = Date()
            await server.shutdown(timeoutNanos: 10_000_000_000)
            let took = Date().timeIntervalSince(started)
            #expect(took >= 0.25 && took < 1.5, "\(took) s")
            let answer = socket.readToClose()
            #expect(answer.hasPrefix("HTTP/1.1 503 "), "\(answer)")
            #expect(answer.contains("shutting_down"))
        }
    }

    @Test("one caller cannot take every slot: over limits.max_connections_per_uid is 503, a closed one frees its slot")
    func perCallerShare() async throws {
        var limits = LimitSettings()
        limits.maxConnectionsPerUID = 3
        try await withTestServer([Self.status], limits: limits) { path in
            var held: [TestSocket] = []
            for _ in 0..<3 {
                let socket = try TestSocket(path)
                socket.send("GET /status HTTP/1.1\r\n\r\n")
                #expect(socket.readSome().hasPrefix("HTTP/1.1 200 "))
                held.append(socket)
            }
            let fourth = try TestSocket(path)
            let refused = fourth.readToClose()
            #expect(refused.hasPrefix("HTTP/1.1 503 "), "\(refused)")
            #expect(refused.contains("too_many_connections_per_uid"))
            held.removeLast()
            // The server notices the close asynchronously.
            var served = false
            for _ in 0..<50 where !served {
                let again = try TestSocket(path)
                again.send("GET /status HTTP/1.1\r\n\r\n")
                served = again.readSome().hasPrefix("HTTP/1.1 200 ")
                if !served { usleep(20_000) }
            }
            #expect(served)
            withExtendedLifetime(held) {}
        }
    }
}
