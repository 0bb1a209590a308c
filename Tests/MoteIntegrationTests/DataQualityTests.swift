import Foundation
import MoteClient
import MoteCore
import Testing

/// Expectations on pushed data through the real daemon: a rejecting view answers 422
/// `expectation_failed` naming the row, field and rule and stores nothing; a flagging view
/// stores the rows and its quality report counts what broke.
@Suite("data quality over the socket", .serialized)
struct DataQualityTests {
    static let definitions = """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "strict"
        entity = "machine"
        fields = [{ name = "temp", type = "float64", min = -40, max = 150 }]

        [[feature_view]]
        name = "lenient"
        entity = "machine"
        on_invalid = "flag"
        max_null_share = 0.2
        fields = [{ name = "temp", type = "float64", max = 150 }, { name = "state", type = "string", allowed = ["run", "idle"] }]
        """

    @Test("reject names the rule and stores nothing; flag stores and counts")
    func rejectAndFlag() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        #expect(try daemon.apply(Self.definitions).status == 0)

        let strict = #"{"feature_view":"strict","df":{"machine_id":["a","b"],"event_timestamp":[1750000000,1750000000],"temp":[20.0,300.0]}}"#
        let refused = try client.post("/v1/push", json: Array(strict.utf8))
        #expect(refused.status == 422 && refused.text.contains("expectation_failed") && refused.text.contains("row 1 temp breaks max"), "\(refused.text)")
        let online = try client.post("/v1/get-online-features", json: Array(#"{"features":["strict:temp"],"entities":{"machine_id":["a"]}}"#.utf8))
        #expect(online.status == 200 && online.text.contains("NOT_FOUND"), "\(online.text)")

        let lenient = #"{"feature_view":"lenient","df":{"machine_id":["a","b","c"],"event_timestamp":[1750000000,1750000000,1750000000],"temp":[20.0,300.0,null],"state":["run","broken","idle"]}}"#
        #expect(try client.post("/v1/push", json: Array(lenient.utf8)).status == 200)
        let quality = try client.get("/v1/feature-views/lenient/quality").json()
        let fields = quality["fields"]?.arrayValue ?? []
        let temp = fields.first { $0["name"] == "temp" }
        let state = fields.first { $0["name"] == "state" }
        #expect(temp?["rows"]?.int64Value == 3 && temp?["nulls"]?.int64Value == 1 && temp?["broken"]?["max"]?.int64Value == 1, "\(quality)")
        #expect(temp?["null_share_exceeded"] == .bool(true) && state?["broken"]?["allowed"]?.int64Value == 1, "\(quality)")
        #expect(try client.get("/v1/feature-views/nope/quality").status == 404)
        #expect(daemon.stop() == 0)
    }

    @Test("quality over a chosen window; one journal entry when a field starts failing, gauges on /metrics, motectl features quality")
    func qualityStates() throws {
        let daemon = DaemonProcess(config: "[monitoring]\ndata_interval = \"1s\"\n")
        try daemon.start()
        let client = daemon.client()
        #expect(try daemon.apply(Self.definitions).status == 0)
        let now = Int(Date().timeIntervalSince1970)
        let rows = #"{"feature_view":"lenient","df":{"machine_id":["a","b","c","d"],"event_timestamp":[\#(now),\#(now),\#(now),\#(now)],"temp":[20.0,300.0,400.0,30.0],"state":["run","idle","idle","run"]}}"#
        #expect(try client.post("/v1/push", json: Array(rows.utf8)).status == 200)
        let q = try client.get("/v1/feature-views/lenient/quality?window=5m").json()
        let temp = q["fields"]?.arrayValue?.first { $0["name"] == "temp" }
        #expect(q["window"] == "5m" && q["entities"] == 4 && q["failing"] == .bool(true), "\(q)")
        #expect(temp?["broken"]?["max"] == 2 && temp?["broken_share"]?.doubleValue == 0.5 && temp?["failing"] == .bool(true), "\(q)")
        #expect(q["fields"]?.arrayValue?.first { $0["name"] == "state" }?["failing"] == .bool(false))
        for bad in ["2h", "soon", "0s"] {
            let r = try client.get("/v1/feature-views/lenient/quality?window=\(bad)")
            #expect(r.status == 400 && r.text.contains("invalid_window"), "\(bad): \(r.text)")
        }
        // Checked every second: after a few checks, exactly one entry for the failing field.
        #expect(eventually(timeout: 10) { daemon.log().contains("event=data_quality_failing") })
        sleep(3)
        let entries = daemon.log().components(separatedBy: "\n").filter { $0.contains("event=data_quality_") }
        #expect(entries.count == 1 && entries[0].contains("field=temp") && entries[0].contains("broken=max:2"), "\(entries)")
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains(#"mote_feature_broken_values{view="lenient",field="temp",rule="max"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"mote_feature_null_share{view="lenient",field="temp"} 0"#))
        let shown = try runCommand(DaemonProcess.motectlPath, ["features", "quality", "lenient", "--socket", daemon.socketPath])
        #expect(shown.status == 0 && shown.stdout.contains("max 2") && shown.stdout.contains("FAILING"), "\(shown.stdout)")
        #expect(daemon.stop() == 0)
    }

    @Test("a silent entity is stale once and recovers once when it reports again; listed by the API and motectl, counted on /metrics")
    func staleEntities() throws {
        let daemon = DaemonProcess(config: "[monitoring]\ndata_interval = \"1s\"\n")
        try daemon.start()
        let client = daemon.client()
        let definitions = Self.definitions + """

            [[feature_view]]
            name = "beats"
            entity = "machine"
            expect_every = "3s"
            fields = [{ name = "rpm", type = "float64" }]
            """
        #expect(try daemon.apply(definitions).status == 0)
        func beat(_ keys: [String]) throws {
            let t = Date().timeIntervalSince1970
            let body = #"{"feature_view":"beats","df":{"machine_id":[\#(keys.map { "\"\($0)\"" }.joined(separator: ","))],"event_timestamp":[\#(keys.map { _ in "\(t)" }.joined(separator: ","))],"rpm":[\#(keys.map { _ in "1200.0" }.joined(separator: ","))]}}"#
            #expect(try client.post("/v1/push", json: Array(body.utf8)).status == 200)
        }
        try beat(["m1", "m2", "m3"])
        #expect(try client.get("/v1/feature-views/beats/stale").json()["stale"] == 0)
        // m1 and m2 keep reporting; m3 falls silent.
        let deadline = Date().addingTimeInterval(6)
        while Date() < deadline {
            try beat(["m1", "m2"])
            usleep(500_000)
        }
        let stale = try client.get("/v1/feature-views/beats/stale").json()
        #expect(stale["stale"] == 1 && stale["entities"] == 3 && stale["stale_entities"]?.arrayValue?.first?["entity"] == "m3", "\(stale)")
        #expect((stale["stale_entities"]?.arrayValue?.first?["silent_seconds"]?.doubleValue ?? 0) > 3)
        #expect(try client.get("/v1/feature-views/beats/quality").json()["stale_entities"] == 1)
        #expect(try client.get("/metrics").text.contains(#"mote_feature_stale_entities{view="beats"} 1"#))
        let listed = try runCommand(DaemonProcess.motectlPath, ["features", "stale", "beats", "--socket", daemon.socketPath])
        #expect(listed.status == 0 && listed.stdout.contains("1 of 3 entities") && listed.stdout.contains("m3"), "\(listed.stdout)")
        // Still silent over more checks: one entry. Then it reports: one recovery.
        sleep(2)
        try beat(["m1", "m2", "m3"])
        #expect(eventually(timeout: 5) { daemon.log().contains("event=entity_recovered") })
        sleep(2)
        let lines = daemon.log().components(separatedBy: "\n")
        let staleLines = lines.filter { $0.contains("event=entity_stale") }
        let recovered = lines.filter { $0.contains("event=entity_recovered") }
        #expect(staleLines.count == 1 && staleLines[0].contains("entity=m3") && staleLines[0].contains("last_event="), "\(staleLines)")
        #expect(recovered.count == 1 && recovered[0].contains("entity=m3"), "\(recovered)")
        #expect(try client.get("/v1/feature-views/beats/stale").json()["stale"] == 0)
        // A view without a cadence has no staleness to ask about.
        let none = try client.get("/v1/feature-views/strict/stale")
        #expect(none.status == 409 && none.text.contains("no_cadence"), "\(none.text)")
        #expect(daemon.stop() == 0)
    }

    @Test("a model's monitoring answer carries the quality of the views it reads, and motectl monitor says it in words")
    func qualityBesideMonitoring() throws {
        let daemon = try InferenceTests().trainedDaemon()
        let client = daemon.client()
        // The training definitions again, now with expectations on the sensors view.
        let flagged = TrainingTests.definitions.replacingOccurrences(
            of: #"fields = [{ name = "temp", type = "float64" }, { name = "vibration", type = "float64" }, { name = "mode", type = "string" }]"#,
            with: #"on_invalid = "flag"\#nfields = [{ name = "temp", type = "float64", max = 100 }, { name = "vibration", type = "float64" }, { name = "mode", type = "string" }]"#)
        #expect(flagged != TrainingTests.definitions)
        let applied = try daemon.apply(flagged)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        let now = Int(Date().timeIntervalSince1970)
        let rows = #"{"feature_view":"sensors","df":{"machine_id":["x1","x2","x3"],"event_timestamp":[\#(now),\#(now),\#(now)],"temp":[120.0,50.0,60.0],"vibration":[0.1,0.2,0.3],"mode":["run","run","idle"]}}"#
        #expect(try client.post("/v1/push", json: Array(rows.utf8)).status == 200)
        let report = try client.get("/v1/models/failure/monitoring").json()
        let quality = report["data_quality"]?.arrayValue ?? []
        #expect(quality.count == 1 && quality.first?["feature_view"] == "sensors", "\(report)")
        let temp = quality.first?["fields"]?.arrayValue?.first { $0["name"] == "temp" }
        #expect(temp?["rows"] == 3 && temp?["broken"]?["max"] == 1, "\(quality)")
        let shown = try runCommand(DaemonProcess.motectlPath, ["monitor", "failure", "--socket", daemon.socketPath])
        #expect(shown.stdout.contains("data sensors: 33% of temp values break max (1 of 3)"), "\(shown.stdout)")
        #expect(daemon.stop() == 0)
    }
}
