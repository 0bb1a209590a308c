import Foundation
import MoteClient
import MoteCore
import Testing

/// Monitoring through the real daemon: drift on the shifted input only, one journal entry per
/// state change, feedback joined by prediction id and by entity + time, live metrics and their
/// degradation, retrain on drift.
@Suite("monitoring through the daemon", .serialized)
struct MonitoringTests {
    static let config = """
        [monitoring]
        min_rows = 50
        interval = "1s"
        bucket = "1s"
        window_rows = 700
        min_feedback = 20

        """

    /// Waits (up to 5 s) until `done` holds for the model's monitoring answer; returns the last one.
    func waitForReport(_ client: MoteClient, model: String = "failure", _ done: (JSONValue) -> Bool) throws -> JSONValue {
        var report = JSONValue.null
        for _ in 0..<50 {
            report = try client.get("/v1/models/\(model)/monitoring").json()
            if done(report) { return report }
            usleep(100_000)
        }
        return report
    }

    @Test("a window below monitoring.min_rows (default 1000) gets no verdict: not_enough_data, dataset_drift null, said by motectl")
    func notEnoughData() throws {
        let daemon = try InferenceTests().trainedDaemon(config: "[monitoring]\nbucket = \"1s\"\n")
        let client = daemon.client()
        // 300 predictions of the training machines themselves: stationary, and too few to judge.
        let machines = (0..<300).map { "\"m\($0)\"" }.joined(separator: ",")
        #expect(try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":[\#(machines)]}}"#.utf8)).status == 200)
        let report = try waitForReport(client) { $0["window_rows"] == 300 }
        #expect(report["window_rows"] == 300 && report["min_rows"] == 1000, "\(report)")
        #expect(report["judged"] == false && report["verdict"] == "not_enough_data" && report["dataset_drift"] == .null, "\(report)")
        let shown = try runCommand(DaemonProcess.motectlPath, ["monitor", "failure", "--socket", daemon.socketPath])
        #expect(shown.stdout.contains("not enough data yet (300 of 1000 live rows"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("YES"))
        #expect(daemon.stop() == 0)
    }

    @Test("drift is found on the shifted input and only there; one journal entry per input when it starts, none while it holds")
    func drift() throws {
        let daemon = try InferenceTests().trainedDaemon(config: Self.config)
        let client = daemon.client()
        #expect(try client.post("/v2/models/failure/infer", json: Array(InferenceTests.rows(1000, seed: 3, shift: 0).utf8)).status == 200)
        // 1000 rows in buckets of window_rows / 8: the newest buckets holding at least 700 stay.
        let calm = try waitForReport(client) { ($0["window"]?["rows"]?.int64Value ?? 0) >= 700 }
        #expect((700...800).contains(calm["window"]?["rows"]?.int64Value ?? 0), "\(calm)")
        #expect(calm["features"]?.arrayValue?.count == 3)
        #expect(calm["features"]?.arrayValue?.allSatisfy { $0["drifted"] == false } == true, "\(calm)")
        #expect(calm["dataset_drift"] == false)
        // Reference and live distributions side by side.
        let temp = calm["features"]?.arrayValue?.first { $0["name"] == "sensors:temp" }
        #expect(temp?["histogram"]?["reference"]?.arrayValue?.count == 10 && temp?["histogram"]?["live"]?.arrayValue?.count == 10)
        #expect(temp?["live"]?["quantiles"]?["p50"]?.doubleValue.map { $0 > 55 && $0 < 85 } == true, "\(String(describing: temp))")
        let mode = calm["features"]?.arrayValue?.first { $0["name"] == "sensors:mode" }
        #expect(mode?["kind"] == "categorical" && mode?["categories"]?.arrayValue?.count == 3)

        // Hot machines a bucket later: the temperature moves by 40 degrees, the rest stays; the
        // calm bucket leaves the 700-row window.
        sleep(2)
        #expect(try client.post("/v2/models/failure/infer", json: Array(InferenceTests.rows(700, seed: 4, shift: 40).utf8)).status == 200)
        let hot = try waitForReport(client) { $0["window"]?["rows"] == 700 && $0["features"]?.arrayValue?.contains { $0["drifted"] == true } == true }
        let features = hot["features"]?.arrayValue ?? []
        #expect(hot["window"]?["rows"] == 700, "\(hot)")
        #expect(features.filter { $0["drifted"] == true }.compactMap { $0["name"]?.stringValue } == ["sensors:temp"], "\(hot)")
        #expect(features.first { $0["name"] == "sensors:temp" }?["method"] == "wasserstein")
        #expect(hot["dataset_drift"] == false, "one input of three is below the 0.5 share")
        // The service checks every second: after a few checks, exactly one entry for the input.
        sleep(4)
        let log = daemon.log()
        let started = log.components(separatedBy: "\n").filter { $0.contains("event=drift_started") }
        #expect(started.filter { $0.contains("feature=sensors:temp") }.count == 1, "\(started)")
        #expect(started.allSatisfy { $0.contains("feature=sensors:temp") || $0.contains("feature=prediction") }, "\(started)")
        #expect(started.first { $0.contains("feature=sensors:temp") }?.contains("drift_method=wasserstein") == true)
        #expect(started.first { $0.contains("feature=sensors:temp") }?.contains("window_rows=700") == true)
        #expect(!log.contains("event=drift_ended"))
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains(#"mote_drift_detected{model="failure",feature="sensors:temp"} 1"#))
        #expect(metrics.contains(#"mote_drift_detected{model="failure",feature="sensors:vibration"} 0"#))
        // A summary (no raw rows) waits in the outbox for the central host.
        let outbox = try client.get("/v1/sync/outbox").json()
        #expect(outbox["entries"]?.arrayValue?.contains { $0["kind"] == "monitoring_summary" } == true, "\(outbox)")
        // motectl monitor: the table with bars.
        let shown = try runCommand(DaemonProcess.motectlPath, ["monitor", "failure", "--socket", daemon.socketPath])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("sensors:temp") && shown.stdout.contains("YES") && shown.stdout.contains("wasserstein"), "\(shown.stdout)")
        // The category bars are labelled: which category each bar is, with both shares.
        #expect(shown.stdout.contains("categories, in bar order") && shown.stdout.contains("sensors:mode: ") && shown.stdout.contains("run "), "\(shown.stdout)")
        // --watch through a pipe (here a file): each refresh is written at once, not held in a buffer.
        let watched = daemon.directory + "/watch.out"
        let watcher = try ChildProcess(
            DaemonProcess.motectlPath, ["monitor", "failure", "--watch", "--every", "60", "--socket", daemon.socketPath],
            environment: ProcessInfo.processInfo.environment, stdout: watched, stderr: daemon.directory + "/watch.err")
        // One report (a few KB, less than a stdio buffer) within seconds, though the next is a minute away.
        #expect(eventually(timeout: 8) { ((try? String(contentsOfFile: watched, encoding: .utf8)) ?? "").contains("dataset drift") })
        _ = watcher.killGroup()
        #expect(daemon.stop() == 0)
    }

    @Test("feedback joins by prediction id and by entity + time, can write a labels view, and live metrics follow; wrong labels degrade once")
    func feedback() throws {
        let daemon = try InferenceTests().trainedDaemon(config: Self.config)
        let client = daemon.client()
        let machines = (0..<60).map { "\"m\($0)\"" }.joined(separator: ",")
        let answer = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":[\#(machines)]}}"#.utf8)).json()
        let ids = (answer["rows"]?.arrayValue ?? []).compactMap { $0["prediction_id"]?.stringValue }
        let labels = answer["outputs"]?.arrayValue?.first { $0["name"] == "label" }?["data"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ids.count == 60 && labels.count == 60)
        // Let the prediction log write them.
        usleep(600_000)

        // Bad input changes nothing: an unknown key, a label that fits no class.
        let unknown = try client.post("/v1/feedback", json: Array(#"{"labels":[{"prediction_id":"\#(ids[0])","label":true,"extra":1}]}"#.utf8))
        #expect(unknown.status == 422 && unknown.apiError?.code == "unknown_key", "\(unknown.text)")
        let wrongClass = try client.post("/v1/feedback", json: Array(#"{"labels":[{"prediction_id":"\#(ids[0])","label":true},{"prediction_id":"\#(ids[1])","label":"maybe"}]}"#.utf8))
        #expect(wrongClass.status == 422)
        #expect(try wrongClass.json()["code"] == "invalid_shape")
        #expect(try client.get("/v1/models/failure/monitoring").json()["metrics"]?["feedback_rows"] == 0)

        // The model's own answers as labels: by id for the first 30, by entity + time for the rest.
        let now = Date().timeIntervalSince1970 + 1
        var items: [String] = []
        for r in 0..<30 { items.append(#"{"prediction_id":"\#(ids[r])","label":\#(labels[r])}"#) }
        for r in 30..<60 { items.append(#"{"entity":{"machine_id":"m\#(r)"},"timestamp":\#(now),"label":\#(labels[r])}"#) }
        items.append(#"{"prediction_id":"no-such-prediction","label":true}"#)
        let stored = try client.post("/v1/feedback", json: Array(#"{"model":"failure","labels":[\#(items.joined(separator: ","))]}"#.utf8))
        #expect(stored.status == 200, "\(stored.text)")
        let s = try stored.json()
        #expect(s["stored"] == 60 && s["not_found"] == 1, "\(s)")
        #expect(s["results"]?.arrayValue?[45]["prediction_id"]?.stringValue == ids[45], "entity + time finds that machine's prediction")
        let good = try waitForReport(client) { $0["metrics"]?["live"]?["accuracy"] != nil }
        #expect(good["metrics"]?["feedback_rows"] == 60, "\(good)")
        #expect(good["metrics"]?["live"]?["accuracy"]?.doubleValue == 1.0, "labels equal to the predictions: accuracy 1")
        #expect(good["metrics"]?["holdout"]?["auc"]?.doubleValue != nil)
        #expect(good["metrics"]?["degraded"] == [])

        // The opposite labels replace them (and go to the labels view): accuracy 0, one entry.
        var flipped: [String] = []
        for r in 0..<60 { flipped.append(#"{"prediction_id":"\#(ids[r])","label":\#(labels[r] == "true" ? "false" : "true")}"#) }
        let pushed = try client.post("/v1/feedback", json: Array(#"{"labels":[\#(flipped.joined(separator: ","))],"feature_view":"labels"}"#.utf8)).json()
        #expect(pushed["stored"] == 60 && pushed["pushed"] == 60, "\(pushed)")
        let bad = try waitForReport(client) { $0["metrics"]?["live"]?["accuracy"]?.doubleValue == 0.0 }
        #expect(bad["metrics"]?["degraded"]?.arrayValue?.contains("accuracy") == true, "\(bad)")
        let online = try client.post("/v1/get-online-features", json: Array(#"{"features":["labels:failed"],"entities":{"machine_id":["m5"]}}"#.utf8)).json()
        #expect(online["results"]?.arrayValue?[1]["values"]?.arrayValue?.first == .bool(labels[5] != "true"), "\(online)")
        sleep(3)
        let log = daemon.log()
        #expect(log.components(separatedBy: "event=performance_degraded").count - 1 >= 1)
        #expect(log.components(separatedBy: "\n").filter { $0.contains("event=performance_degraded") && $0.contains("metric=accuracy") }.count == 1, "\(log.suffix(3000))")
        #expect(try client.get("/metrics").text.contains(#"mote_live_metric{model="failure",metric="accuracy"} 0"#))
        #expect(daemon.stop() == 0)
    }

    @Test("motectl feedback: one label by prediction id or by entity and time, many from a CSV; labels that find no prediction exit 3")
    func feedbackCommand() throws {
        let daemon = try InferenceTests().trainedDaemon(config: Self.config)
        let client = daemon.client()
        let answer = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m1","m2","m3"]}}"#.utf8)).json()
        let ids = (answer["rows"]?.arrayValue ?? []).compactMap { $0["prediction_id"]?.stringValue }
        #expect(ids.count == 3)
        let socket = ["--socket", daemon.socketPath]
        let one = try runCommand(DaemonProcess.motectlPath, ["feedback", "failure", "--prediction", ids[0], "--label", "true"] + socket)
        #expect(one.status == 0 && one.stdout.contains("stored 1 label(s) for failure"), "\(one.stdout)\(one.stderr)")
        let at = RFC3339.format(nanos: SystemClock.nowNanos() + 1_000_000_000)
        let byEntity = try runCommand(
            DaemonProcess.motectlPath, ["feedback", "failure", "--entity", "machine_id=m2", "--at", at, "--label", "false", "--feature-view", "labels"] + socket)
        #expect(byEntity.status == 0 && byEntity.stdout.contains("stored 1") && byEntity.stdout.contains("pushed 1 to labels"), "\(byEntity.stdout)\(byEntity.stderr)")
        let online = try client.post("/v1/get-online-features", json: Array(#"{"features":["labels:failed"],"entities":{"machine_id":["m2"]}}"#.utf8)).json()
        #expect(online["results"]?.arrayValue?[1]["values"] == [.bool(false)], "\(online)")
        let csv = daemon.directory + "/labels.csv"
        try "prediction_id,label\n\(ids[2]),true\nno-such-prediction,false\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let many = try runCommand(DaemonProcess.motectlPath, ["feedback", "failure", "--csv", csv] + socket)
        #expect(many.status == 3 && many.stdout.contains("stored 1") && many.stdout.contains("1 not found"), "\(many.stdout)\(many.stderr)")
        let report = try waitForReport(client) { $0["metrics"]?["feedback_rows"] == 3 }
        #expect(report["metrics"]?["feedback_rows"] == 3, "\(report)")
        // Usage mistakes are exit 64, before anything is sent.
        #expect(try runCommand(DaemonProcess.motectlPath, ["feedback", "failure", "--label", "true"] + socket).status == 64)
        #expect(try runCommand(DaemonProcess.motectlPath, ["feedback", "failure", "--entity", "machine_id=m1", "--label", "true"] + socket).status == 64)
        #expect(daemon.stop() == 0)
    }

    @Test("a label sent the moment its prediction was answered joins (the log's writer has not run yet)")
    func feedbackRightAfterPrediction() throws {
        let daemon = try InferenceTests().trainedDaemon(config: Self.config)
        let client = daemon.client()
        let machines = (0..<60).map { "\"m\($0)\"" }.joined(separator: ",")
        var stored = 0
        for _ in 0..<10 {
            let answer = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":[\#(machines)]}}"#.utf8)).json()
            let ids = (answer["rows"]?.arrayValue ?? []).compactMap { $0["prediction_id"]?.stringValue }
            #expect(ids.count == 60)
            let items = ids.map { #"{"prediction_id":"\#($0)","label":true}"# }.joined(separator: ",")
            let result = try client.post("/v1/feedback", json: Array(#"{"labels":[\#(items)]}"#.utf8)).json()
            #expect(result["not_found"] == 0, "\(result)")
            stored += Int(result["stored"]?.int64Value ?? 0)
        }
        #expect(stored == 600)
        #expect(daemon.stop() == 0)
    }

    @Test("dataset drift on a spec that says retrain_on_drift queues one training job, which registers a new version")
    func retrainOnDrift() throws {
        let daemon = try InferenceTests().trainedDaemon(config: Self.config)
        let client = daemon.client()
        // The strong spec now retrains on drift.
        let file = daemon.directory + "/defs2.toml"
        let definitions = TrainingTests.definitions.replacingOccurrences(
            of: "params = { num_trees = 30, num_leaves = 15, min_data_in_leaf = 10 }",
            with: "params = { num_trees = 30, num_leaves = 15, min_data_in_leaf = 10 }\nretrain_on_drift = true")
        try definitions.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try runCommand(DaemonProcess.motectlPath, ["apply", "-f", file, "--socket", daemon.socketPath]).status == 0)
        let before = try client.get("/v1/models/failure/versions").json()["versions"]?.arrayValue?.count ?? 0
        // Temperature and vibration both move: two inputs of three drift.
        let temps = (0..<700).map { String(80 + Double($0 % 60)) }.joined(separator: ",")
        let vibrations = (0..<700).map { _ in "7.5" }.joined(separator: ",")
        let modes = (0..<700).map { "\"\(["idle", "run", "boost"][$0 % 3])\"" }.joined(separator: ",")
        let body = #"{"inputs":[{"name":"sensors:temp","shape":[700],"datatype":"FP64","data":[\#(temps)]},{"name":"sensors:vibration","shape":[700],"datatype":"FP64","data":[\#(vibrations)]},{"name":"sensors:mode","shape":[700],"datatype":"BYTES","data":[\#(modes)]}]}"#
        #expect(try client.post("/v2/models/failure/infer", json: Array(body.utf8)).status == 200)
        let drifted = try waitForReport(client) { $0["dataset_drift"] == true }
        #expect(drifted["dataset_drift"] == true, "\(drifted)")
        var jobs: [JSONValue] = []
        for _ in 0..<100 {
            jobs = try client.get("/v1/training-jobs").json()["jobs"]?.arrayValue?.filter { $0["trigger"] == "drift" } ?? []
            if jobs.first?["status"] == "succeeded" { break }
            usleep(200_000)
        }
        #expect(jobs.count == 1, "\(jobs)")
        #expect(jobs.first?["spec"] == "strong" || jobs.first?["spec_name"] == "strong", "\(jobs)")
        #expect(jobs.first?["status"] == "succeeded", "\(jobs)")
        let after = try client.get("/v1/models/failure/versions").json()["versions"]?.arrayValue?.count ?? 0
        #expect(after == before + 1)
        // Further checks while the drift holds queue nothing more.
        sleep(3)
        let again = try client.get("/v1/training-jobs").json()["jobs"]?.arrayValue?.filter { $0["trigger"] == "drift" } ?? []
        #expect(again.count == 1)
        #expect(daemon.log().contains("event=retrain_on_drift"))
        #expect(daemon.stop() == 0)
    }
}
