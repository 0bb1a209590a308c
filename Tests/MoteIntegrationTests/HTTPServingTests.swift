import Foundation
import MoteClient
import MoteCore
import Testing

/// The real moted binary over its socket: endpoints, errors and limits as a client sees them.
@Suite("moted over the socket", .serialized)
struct HTTPServingTests {
    @Test("health, server metadata and status answer with the documented shapes")
    func endpoints() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()

        let live = try client.get("/v2/health/live")
        #expect(live.status == 200)
        #expect(try live.json()["live"] == .bool(true))

        let ready = try client.get("/v2/health/ready")
        #expect(ready.status == 200)
        #expect(try ready.json()["ready"] == .bool(true))

        let server = try client.get("/v2").json()
        #expect(server["name"] == "mote")
        #expect(server["version"]?.stringValue == MoteVersion.string)
        #expect(server["extensions"]?.arrayValue != nil)

        let status = try client.get("/v1/status").json()
        #expect(status["state"] == "ready")
        #expect(status["state_dir"]?.stringValue == daemon.stateDir)
        #expect(status["socket"]?["path"]?.stringValue == daemon.socketPath)
        let names = status["databases"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["registry", "features"])
        for database in status["databases"]?.arrayValue ?? [] {
            #expect((database["bytes"]?.int64Value ?? 0) > 0)
        }
        #expect((status["uptime_seconds"]?.doubleValue ?? -1) >= 0)
        // Memory: the RSS of a daemon that just started (tens of MB), SQLite's share of it.
        let rss = status["memory"]?["rss_bytes"]?.int64Value ?? 0
        let sqlite = status["memory"]?["sqlite_bytes"]?.int64Value ?? 0
        #expect(rss > 4_000_000 && rss < 400_000_000, "\(rss)")
        #expect(sqlite > 0 && sqlite < rss)
        #expect((status["disk"]?["free_bytes"]?.int64Value ?? 0) > 0)
        #expect(status["config"]?["synchronous"] == "normal")
        #expect(daemon.stop() == 0)
    }

    @Test("GET /metrics is Prometheus text with request counts and latency histograms by route and status")
    func metrics() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        for _ in 0..<3 { _ = try client.get("/v2/health/live") }
        _ = try client.get("/no/such/thing")
        let response = try client.get("/metrics")
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = response.text
        #expect(text.contains(#"mote_http_requests_total{route="/v2/health/live",method="GET",status="200"} 3"#))
        #expect(text.contains(#"mote_http_requests_total{route="unmatched",method="GET",status="404"} 1"#))
        #expect(text.contains(#"mote_http_request_duration_seconds_bucket{route="/v2/health/live",method="GET",status="200",le="+Inf"} 3"#))
        #expect(text.contains("mote_database_bytes{database=\"registry\"}"))
        #expect(text.contains("mote_uptime_seconds"))
        daemon.stop()
    }

    @Test("unknown paths, wrong methods and wrong content types get JSON errors; the connection stays usable")
    func errorsAreJSON() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()

        let missing = try client.get("/v1/nothing-here")
        #expect(missing.status == 404)
        #expect(missing.apiError?.code == "not_found")

        let wrongMethod = try client.send("DELETE", "/v1/status")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.apiError?.code == "method_not_allowed")

        let form = try client.send("POST", "/v2/health/live", body: Array("a=1".utf8), contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 405 || form.status == 415)

        // HEAD is answered like GET, without a body.
        let head = try RawSocket(path: daemon.socketPath)
        head.send("HEAD /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let headAnswer = head.readToClose()
        #expect(headAnswer.hasPrefix("HTTP/1.1 200"))
        #expect(headAnswer.contains("content-length: 13"))
        #expect(headAnswer.hasSuffix("\r\n\r\n"))

        // Same connection still answers.
        #expect(try client.get("/v2/health/live").status == 200)
        daemon.stop()
    }

    @Test("a body over limits.max_body_bytes is refused with 413, by Content-Length and when chunked")
    func bodyLimit() throws {
        let daemon = DaemonProcess(config: "[limits]\nmax_body_bytes = 2048\n")
        try daemon.start()

        let declared = try RawSocket(path: daemon.socketPath)
        declared.send("POST /v1/status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
        let answer = declared.readToClose()
        #expect(answer.hasPrefix("HTTP/1.1 413"))
        #expect(answer.contains(#""code":"body_too_large""#))
        #expect(answer.contains("limits.max_body_bytes"))

        let chunked = try RawSocket(path: daemon.socketPath)
        chunked.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: "a", count: 1500)
        chunked.send("5dc\r\n\(chunk)\r\n5dc\r\n\(chunk)\r\n0\r\n\r\n")
        let chunkedAnswer = chunked.readToClose()
        #expect(chunkedAnswer.hasPrefix("HTTP/1.1 413"), "\(chunkedAnswer)")

        #expect(try daemon.client().get("/v2/health/live").status == 200)
        daemon.stop()
    }

    @Test("an oversized request head gets 431 and a malformed request gets 400; moted keeps serving")
    func malformedRequests() throws {
        let daemon = DaemonProcess(config: "[limits]\nmax_header_bytes = 1024\n")
        try daemon.start()

        let big = try RawSocket(path: daemon.socketPath)
        big.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 4000))\r\n\r\n")
        let bigAnswer = big.readToClose()
        #expect(bigAnswer.hasPrefix("HTTP/1.1 431"))
        #expect(bigAnswer.contains(#""code":"headers_too_large""#))

        for garbage in [
            "GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /v2/health/live HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            "\u{0}\u{1}\u{2}\u{3}\r\n\r\n", "GET /v2/health/live HTTP/1.1\r\nHost x\r\n\r\n",
        ] {
            let socket = try RawSocket(path: daemon.socketPath)
            socket.send(garbage)
            let answer = socket.readToClose()
            #expect(answer.hasPrefix("HTTP/1.1 400"), "for \(garbage.debugDescription): \(answer)")
            #expect(answer.contains(#""code":"bad_request""#))
        }
        // Half a request, then the client goes away.
        do {
            let socket = try RawSocket(path: daemon.socketPath)
            socket.send("POST /v1/status HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"a\":")
        }
        #expect(try daemon.client().get("/v2/health/ready").status == 200)
        #expect(daemon.stop() == 0)
    }

    @Test("pipelined requests on one connection are answered in order")
    func pipelining() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send(
            "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = socket.readResponses(3)
        #expect(responses.map(\.status) == [200, 200, 404])
        #expect(responses.count == 3 && responses[1].body.contains("\"state_dir\""))
        daemon.stop()
    }

    @Test("a burst of concurrent clients is served completely")
    func concurrentClients() async throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let path = daemon.socketPath
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let client = MoteClient(socketPath: path, timeoutSeconds: 20)
                    var ok = 0
                    for k in 0..<50 {
                        let response = try client.get(k % 5 == 0 ? "/v1/status" : "/v2/health/ready")
                        if response.status == 200 { ok += 1 }
                    }
                    return ok
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 32 * 50)
        let status = try daemon.client().get("/v1/status").json()
        #expect((status["counts"]?["requests"]?.int64Value ?? 0) >= 1600)
        #expect(daemon.stop() == 0)
    }

    @Test("connections over limits.max_connections are answered 503 and closed")
    func connectionLimit() throws {
        let daemon = DaemonProcess(config: "[limits]\nmax_connections = 2\n")
        try daemon.start()
        // The readiness probe's connection may not be closed on moted's side yet: retry until
        // two connections are both served.
        var pair: (RawSocket, RawSocket)?
        _ = try eventually(timeout: 5) {
            let first = try RawSocket(path: daemon.socketPath)
            let second = try RawSocket(path: daemon.socketPath)
            first.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            second.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            guard first.readResponses(1).first?.status == 200, second.readResponses(1).first?.status == 200 else { return false }
            pair = (first, second)
            return true
        }
        #expect(pair != nil, "two connections were never both served")
        let third = try RawSocket(path: daemon.socketPath)
        let refused = third.readToClose()
        #expect(refused.hasPrefix("HTTP/1.1 503"))
        #expect(refused.contains("too_many_connections"))
        withExtendedLifetime(pair) {}  // both stay open until the third was refused
        daemon.stop()
    }

    @Test("an idle keep-alive connection is closed after limits.idle_timeout")
    func idleTimeout() throws {
        let daemon = DaemonProcess(config: "[limits]\nidle_timeout = \"300ms\"\n")
        try daemon.start()
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        let started = Date()
        let all = socket.readToClose()  // returns when moted closes
        #expect(all.hasPrefix("HTTP/1.1 200"))
        #expect(Date().timeIntervalSince(started) < 5)
        daemon.stop()
    }

    @Test("a client that shuts its sending side after its request (nc -N) gets the answer, from blocking routes too")
    func halfClose() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        for request in ["GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n", "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n"] {
            let socket = try RawSocket(path: daemon.socketPath)
            socket.send(request)
            socket.shutdownSending()
            let answer = socket.readToClose()
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(request): \(answer)")
            #expect(answer.hasSuffix("}"))
        }
        daemon.stop()
    }
}
