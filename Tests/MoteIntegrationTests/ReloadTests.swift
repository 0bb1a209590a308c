import Foundation
import MoteClient
import MoteCore
import Testing

/// SIGHUP through the real binary: each live section takes effect at once, restart-only keys
/// are reported and keep their running values.
@Suite("config reload over the socket", .serialized)
struct ReloadTests {
    static let definitions = """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "sensors"
        entity = "machine"
        ttl = "0s"
        fields = [{ name = "temp", type = "float64" }]

        [[feature_view]]
        name = "labels"
        entity = "machine"
        ttl = "0s"
        fields = [{ name = "failed", type = "bool" }]

        [[training_spec]]
        name = "t"
        model = "failure"
        algorithm = "logistic"
        label = "labels:failed"
        features = ["sensors:temp"]
        """

    /// Writes `config`, sends SIGHUP and waits for the reload to be logged (the n-th one).
    func reload(_ daemon: DaemonProcess, _ config: String, count: Int) throws {
        #expect(try daemon.reload(config))
        #expect(daemon.log().components(separatedBy: "event=reloaded").count - 1 >= count)
    }

    func push(_ client: MoteClient, rows: Int) throws -> ClientResponse {
        let keys = (0..<rows).map { "\"m\($0)\"" }.joined(separator: ",")
        let temps = (0..<rows).map { "\($0)" }.joined(separator: ",")
        let times = (0..<rows).map { _ in "1750000000" }.joined(separator: ",")
        let body = #"{"feature_view":"sensors","df":{"machine_id":[\#(keys)],"event_timestamp":[\#(times)],"temp":[\#(temps)]}}"#
        return try client.post("/v1/push", json: Array(body.utf8))
    }

    @Test("every live section applies on SIGHUP; restart-only keys are named and keep running values")
    func eachSection() throws {
        let daemon = DaemonProcess(config: "")
        try daemon.start()
        let client = daemon.client()
        let defs = daemon.directory + "/defs.toml"
        try Self.definitions.write(toFile: defs, atomically: true, encoding: .utf8)
        #expect(try runCommand(DaemonProcess.motectlPath, ["apply", "-f", defs, "--socket", daemon.socketPath]).status == 0)
        let feedback = Array(#"{"model":"failure","labels":[{"prediction_id":"a","label":1},{"prediction_id":"b","label":0}]}"#.utf8)
        let job = Array(#"{"spec":"t"}"#.utf8)

        // Before: the defaults hold.
        #expect(try push(client, rows: 3).status == 200)
        #expect(try client.post("/v1/sync", json: []).status == 409)
        #expect(try client.post("/v1/feedback", json: feedback).apiError?.code != "too_many_rows")
        #expect(try client.post("/v1/training-jobs", json: job).status == 202)
        let status = try client.get("/v1/status").json()
        #expect(status["config"]?["log_level"] == "info")

        try reload(
            daemon,
            """
            [daemon]
            log_level = "debug"
            blocking_threads = 3
            [limits]
            max_body_bytes = 2048
            [features]
            max_push_rows = 2
            [inference]
            max_batch_rows = 1
            [training]
            max_queued = 0
            [sync]
            enabled = true
            url = "http://127.0.0.1:9"
            interval = "1h"
            [storage]
            synchronous = "full"
            """, count: 1)

        // [features]: the push limit.
        let pushed = try push(client, rows: 3)
        #expect(pushed.status == 413 && pushed.apiError?.code == "too_many_rows")
        // [limits]: the body limit.
        let big = try daemon.client().post("/v1/push", json: Array(repeating: UInt8(ascii: " "), count: 4096))
        #expect(big.status == 413 && big.apiError?.code == "body_too_large")
        // [inference]: the batch limit (feedback counts its labels against it).
        #expect(try client.post("/v1/feedback", json: feedback).apiError?.code == "too_many_rows")
        // [training]: the queue bound.
        let queued = try client.post("/v1/training-jobs", json: job)
        #expect(queued.status == 429 && queued.apiError?.code == "queue_full")
        // [sync]: on, so a drain can be asked for.
        #expect(try client.post("/v1/sync", json: []).status == 200)
        // [daemon]: the log level.
        let after = try client.get("/v1/status").json()
        #expect(after["config"]?["log_level"] == "debug")
        // Restart-only keys: named in the log, running values kept.
        #expect(after["config"]?["blocking_threads"] == 2)
        #expect(after["config"]?["synchronous"] == "normal")
        let restart = daemon.log().split(separator: "\n").first { $0.contains("event=reload_needs_restart") } ?? ""
        #expect(restart.contains("daemon.blocking_threads") && restart.contains("storage"))
        let reloaded = daemon.log().split(separator: "\n").first { $0.contains("event=reloaded") } ?? ""
        for section in ["daemon", "limits", "features", "inference", "training", "sync"] {
            #expect(reloaded.contains(section), "\(section) not reported as applied: \(reloaded)")
        }

        // And back: the defaults apply again.
        try reload(daemon, "", count: 2)
        #expect(try push(client, rows: 3).status == 200)
        #expect(try client.post("/v1/sync", json: []).status == 409)
        daemon.stop()
    }

    /// The nice values of the process's threads (field 19 of /proc/PID/task/TID/stat).
    static func threadNiceValues(_ pid: pid_t) -> Set<Int> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return Set(tasks.compactMap { tid -> Int? in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        })
    }

    @Test("training.nice: the training thread runs at it from the start, and a reload applies it to the next job")
    func trainingNiceIsLive() throws {
        let daemon = DaemonProcess(config: "")
        try daemon.start()
        let pid = daemon.process.pid
        #expect(eventually { Self.threadNiceValues(pid).contains(10) }, "\(Self.threadNiceValues(pid))")
        #expect(!Self.threadNiceValues(pid).contains(15))
        let defs = daemon.directory + "/defs.toml"
        try Self.definitions.write(toFile: defs, atomically: true, encoding: .utf8)
        #expect(try runCommand(DaemonProcess.motectlPath, ["apply", "-f", defs, "--socket", daemon.socketPath]).status == 0)
        try reload(daemon, "[training]\nnice = 15\n", count: 1)
        // The job fails (no rows); its thread took the new value before it ran.
        #expect(try daemon.client().post("/v1/training-jobs", json: Array(#"{"spec":"t"}"#.utf8)).status == 202)
        #expect(eventually { Self.threadNiceValues(pid).contains(15) }, "\(Self.threadNiceValues(pid))")
        daemon.stop()
    }
}
