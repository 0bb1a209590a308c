import Foundation
import MoteClient
import MoteCore
import Testing

/// The feature store through the real binary and motectl.
@Suite("feature store over the socket", .serialized)
struct FeatureStoreTests {
    static let definitions = """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "sensor_stats"
        entity = "machine"
        ttl = "0s"
        fields = [
          { name = "temp", type = "float64" },
          { name = "mode", type = "string" },
        ]
        """

    func apply(_ daemon: DaemonProcess) throws {
        let file = daemon.directory + "/defs.toml"
        try FeatureStoreTests.definitions.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runCommand(DaemonProcess.motectlPath, ["apply", "-f", file, "--socket", daemon.socketPath])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("applied: definitions version 1"))
    }

    @Test("apply, CSV push, online get and history through motectl; values survive a restart")
    func endToEnd() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon)
        let csv = daemon.directory + "/rows.csv"
        try "machine_id,event_timestamp,temp,mode\nm1,2026-01-01T00:00:00Z,20.5,run\nm1,2026-01-02T00:00:00Z,21.5,idle\nm2,2026-01-01T12:00:00Z,30,\"a,b\"\nm3,not-a-time,1,x\n"
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let push = try runCommand(DaemonProcess.motectlPath, ["features", "push", "sensor_stats", "--csv", csv, "--socket", daemon.socketPath])
        #expect(push.status == 3, "rows were rejected: exit 3, not 0: \(push.stderr)")
        #expect(push.stdout.contains("pushed 3 rows"))
        #expect(push.stdout.contains("rejected 1"))
        #expect(push.stdout.contains("line 5"))

        let get = try runCommand(DaemonProcess.motectlPath, ["features", "get", "sensor_stats", "m1", "m2", "m9", "--socket", daemon.socketPath])
        #expect(get.status == 0)
        #expect(get.stdout.contains("21.5"))
        #expect(get.stdout.contains("a,b"))
        #expect(get.stdout.contains("not_found"))

        let entities = daemon.directory + "/entities.csv"
        try "machine_id,event_timestamp\nm1,2026-01-01T18:00:00Z\nm1,2025-12-31T00:00:00Z\nm2,2026-01-03T00:00:00Z\n".write(toFile: entities, atomically: true, encoding: .utf8)
        let history = try runCommand(
            DaemonProcess.motectlPath,
            ["features", "history", "--entities", entities, "--features", "sensor_stats:temp,sensor_stats:mode", "--socket", daemon.socketPath])
        #expect(history.status == 0, "\(history.stderr)")
        #expect(history.stdout == "machine_id,event_timestamp,temp,mode\nm1,2026-01-01T18:00:00Z,20.5,run\nm1,2025-12-31T00:00:00Z,,\nm2,2026-01-03T00:00:00Z,30,\"a,b\"\n")
        #expect(history.stderr.contains("dataset sha256"))

        #expect(daemon.stop() == 0)
        let again = DaemonProcess(directory: daemon.directory)
        try again.start()
        #expect(again.log().contains("event=cache_rebuilt"))
        let after = try again.client().post(
            "/v1/get-online-features", json: Array(#"{"features":["sensor_stats:temp"],"entities":{"machine_id":["m1","m2"]}}"#.utf8)).json()
        #expect(after["results"]?.arrayValue?[1]["values"] == [.double(21.5), .double(30)], "a float64 value reads back as a float, 30.0")
        let list = try runCommand(DaemonProcess.motectlPath, ["features", "list", "-o", "json", "--socket", again.socketPath])
        let views = try JSONParser.parse(list.stdout)["feature_views"]?.arrayValue ?? []
        #expect(views.first?["history_rows"] == 3)
        #expect(views.first?["online_entities"] == 2)
        again.stop()
    }

    @Test("a push refused for one bad value stores nothing; the metrics count it")
    func atomicOverTheSocket() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon)
        let client = daemon.client()
        let bad = try client.post(
            "/v1/push",
            json: Array(#"{"feature_view":"sensor_stats","df":{"machine_id":["a","b"],"event_timestamp":[1700000000,1700000000],"temp":[1.0,"x"]}}"#.utf8))
        #expect(bad.status == 422)
        #expect(bad.apiError?.message.contains("column 'temp' row 1") == true)
        let list = try client.get("/v1/feature-views/sensor_stats").json()
        #expect(list["history_rows"] == 0)
        #expect(list["online_entities"] == 0)
        let ok = try client.post(
            "/v1/push", json: Array(#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":[1700000000],"temp":[1.0]}}"#.utf8))
        #expect(ok.status == 200)
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains(#"mote_feature_rows_pushed_total{view="sensor_stats"} 1"#))
        #expect(metrics.contains(#"mote_feature_rows_rejected_total{view="sensor_stats"} 2"#))
        #expect(metrics.contains(#"mote_feature_freshness_seconds{view="sensor_stats"}"#))
        daemon.stop()
    }

    @Test("a large point-in-time answer is streamed in chunks; the connection then serves the next request")
    func streamedHistory() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon)
        let client = daemon.client()
        let keys = (0..<2000).map { "\"m\($0)\"" }.joined(separator: ",")
        let push = "{\"feature_view\":\"sensor_stats\",\"df\":{\"machine_id\":[\(keys)],\"event_timestamp\":[\(Array(repeating: "1700000000", count: 2000).joined(separator: ","))],\"temp\":[\((0..<2000).map { "\($0).5" }.joined(separator: ","))]}}"
        #expect(try client.post("/v1/push", json: Array(push.utf8)).status == 200)

        // 30 000 entity rows: about 1 MB of CSV, more than one piece.
        let rows = 30_000
        let entityKeys = (0..<rows).map { "\"m\($0 % 2500)\"" }.joined(separator: ",")
        let times = Array(repeating: "1700000100", count: rows).joined(separator: ",")
        let body = "{\"entity_df\":{\"machine_id\":[\(entityKeys)],\"event_timestamp\":[\(times)]},\"features\":[\"sensor_stats:temp\"],\"format\":\"csv\"}"
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("POST /v1/historical-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let raw = socket.readToClose()
        #expect(raw.hasPrefix("HTTP/1.1 200 OK\r\n"))
        let headEnd = try #require(raw.range(of: "\r\n\r\n"))
        let headers = raw[..<headEnd.lowerBound].lowercased()
        #expect(headers.contains("transfer-encoding: chunked"))
        #expect(!headers.contains("content-length"))
        #expect(headers.contains("x-mote-rows: \(rows)"))
        // Undo the chunked coding (on bytes: "\r\n" is one Character in Swift).
        let bytes = Array(raw[headEnd.upperBound...].utf8)
        var at = 0
        var decoded: [UInt8] = []
        var chunks = 0
        while let lineEnd = (at..<max(at, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
            let size = Int(String(decoding: bytes[at..<lineEnd], as: UTF8.self), radix: 16)
        {
            at = lineEnd + 2
            if size == 0 {
                at += 2
                break
            }
            decoded.append(contentsOf: bytes[at..<min(bytes.count, at + size)])
            at += size + 2
            chunks += 1
        }
        let csv = String(decoding: decoded, as: UTF8.self)
        let rest = String(decoding: bytes[min(at, bytes.count)...], as: UTF8.self)
        #expect(chunks > 1, "the answer came in one piece")
        let lines = csv.split(separator: "\n")
        #expect(lines.count == rows + 1)
        #expect(lines.first == "machine_id,event_timestamp,temp")
        #expect(lines[1] == "m0,1700000100,0.5")
        #expect(lines[2001] == "m2000,1700000100,")  // m2000.. were never pushed
        #expect(rest.hasPrefix("HTTP/1.1 200"), "the pipelined request after the stream was not answered")
        daemon.stop()
    }

    @Test("kill -9 during a push load loses no acknowledged row")
    func killDuringPushes() async throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon)
        let path = daemon.socketPath
        let acknowledged = LockedBox<[String]>([])
        let writers = (0..<4).map { w in
            Thread {
                let client = MoteClient(socketPath: path, timeoutSeconds: 5)
                var n = 0
                while true {
                    let keys = (0..<20).map { "w\(w)-\(n)-\($0)" }
                    let body = "{\"feature_view\":\"sensor_stats\",\"df\":{\"machine_id\":[\(keys.map { "\"\($0)\"" }.joined(separator: ","))],\"event_timestamp\":[\(keys.map { _ in "1700000000" }.joined(separator: ","))],\"temp\":[\(keys.map { _ in "1.5" }.joined(separator: ","))]}}"
                    guard let response = try? client.post("/v1/push", json: Array(body.utf8)), response.status == 200 else { return }
                    acknowledged.update { $0.append(contentsOf: keys) }
                    n += 1
                }
            }
        }
        writers.forEach { $0.start() }
        try await Task.sleep(for: .milliseconds(1500))
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit()
        try await Task.sleep(for: .milliseconds(300))
        let acked = acknowledged.value
        #expect(acked.count > 200, "the load was too light to mean anything")

        let again = DaemonProcess(directory: daemon.directory)
        try again.start()
        let client = again.client()
        let described = try client.get("/v1/feature-views/sensor_stats").json()
        #expect((described["history_rows"]?.int64Value ?? 0) >= Int64(acked.count))
        // Every acknowledged key is in the online cache after the restart.
        for chunk in stride(from: 0, to: acked.count, by: 1000) {
            let keys = acked[chunk..<min(acked.count, chunk + 1000)]
            let body = "{\"features\":[\"sensor_stats:temp\"],\"entities\":{\"machine_id\":[\(keys.map { "\"\($0)\"" }.joined(separator: ","))]}}"
            let answer = try client.post("/v1/get-online-features", json: Array(body.utf8)).json()
            let statuses = answer["results"]?.arrayValue?[1]["statuses"]?.arrayValue ?? []
            #expect(statuses.count == keys.count)
            #expect(statuses.allSatisfy { $0 == "PRESENT" }, "an acknowledged row is missing after kill -9")
        }
        // And every acknowledged row is in the history: a point-in-time read of each key just
        // after its event finds its value.
        for chunk in stride(from: 0, to: acked.count, by: 5000) {
            let keys = acked[chunk..<min(acked.count, chunk + 5000)]
            let times = Array(repeating: "1700000001", count: keys.count).joined(separator: ",")
            let body = "{\"entity_df\":{\"machine_id\":[\(keys.map { "\"\($0)\"" }.joined(separator: ","))],\"event_timestamp\":[\(times)]},\"features\":[\"sensor_stats:temp\"],\"format\":\"csv\"}"
            let answer = try client.post("/v1/historical-features", json: Array(body.utf8))
            #expect(answer.status == 200)
            let lines = String(decoding: answer.body, as: UTF8.self).split(separator: "\n").dropFirst()
            #expect(lines.count == keys.count)
            let missing = lines.filter { !$0.hasSuffix(",1.5") }
            #expect(missing.isEmpty, "acknowledged rows missing from the history after kill -9: \(missing.prefix(3))")
        }
        again.stop()
    }
}

/// A value shared between test threads.
final class LockedBox<T>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}
