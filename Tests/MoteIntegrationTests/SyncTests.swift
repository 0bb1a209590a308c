import Foundation
import MoteClient
import MoteCore
import Testing

/// Sync to a real MLflow tracking server (started from the venv `make test-deps` builds), read
/// back through MLflow's own REST API: runs with params, metrics and tags, registered versions
/// and aliases, the device run; offline then back; answers lost after the server acted; a
/// refused row parked while the rest flows; a restart with a full outbox.
@Suite("sync to a real MLflow server", .serialized)
struct SyncTests {
    static func config(url: String, device: String = "box-1", upload: Bool = false) -> String {
        """
        [sync]
        enabled = true
        upload_artifacts = \(upload)
        url = "\(url)"
        device_id = "\(device)"
        interval = "1h"
        timeout = "5s"
        backoff_initial = "200ms"
        backoff_max = "1s"

        """
    }

    /// `POST /v1/sync?wait=true`, repeated while moted says the drain has not ended (it answers
    /// before its request timeout): the status after a drain that started after the call.
    func syncNow(_ daemon: DaemonProcess) throws -> JSONValue {
        // A drain of a full outbox against a busy MLflow can take longer than one request.
        let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 60)
        for _ in 0..<8 {
            let r = try client.post("/v1/sync?wait=true", json: [])
            #expect(r.status == 200, "\(r.text)")
            let status = try r.json()
            if status["drained"] != false { return status }
        }
        Issue.record("the drain did not end within 8 waits")
        return .null
    }

    /// The local runs (all of them) and versions of `failure`.
    func local(_ daemon: DaemonProcess) throws -> (runs: [JSONValue], versions: [JSONValue]) {
        let client = daemon.client()
        let runs = try client.post("/v1/runs/search", json: Array(#"{"max_results": 1000}"#.utf8)).json()["runs"]?.arrayValue ?? []
        let versions = try client.get("/v1/models/failure/versions").json()["versions"]?.arrayValue ?? []
        return (runs, versions)
    }

    /// Checks that the server holds each local run and version exactly once.
    func expectMirrored(_ daemon: DaemonProcess, _ server: MLflowServer, device: String = "box-1") throws {
        let (runs, versions) = try local(daemon)
        #expect(runs.count >= 2 && versions.count == 2)
        let remote = try server.runs(experimentPrefix: "mote/\(device)/").filter { run in
            (run["data"]?["tags"]?.arrayValue ?? []).contains { $0["key"] == "mote.run_id" }
        }
        let remoteIDs = remote.compactMap { run in (run["data"]?["tags"]?.arrayValue ?? []).first { $0["key"] == "mote.run_id" }?["value"]?.stringValue }
        #expect(remoteIDs.count == Set(remoteIDs).count, "no run twice: \(remoteIDs)")
        #expect(Set(remoteIDs) == Set(runs.compactMap { $0["id"]?.stringValue }), "\(remoteIDs)")
        for run in remote {
            let tags = run["data"]?["tags"]?.arrayValue ?? []
            #expect(tags.contains { $0["key"] == "mote.device_id" && $0["value"]?.stringValue == device })
            #expect(run["info"]?["status"] == "FINISHED", "\(run["info"] ?? .null)")
            let params = run["data"]?["params"]?.arrayValue ?? []
            #expect(params.contains { $0["key"] == "algorithm" && $0["value"] == "gbdt" } && params.contains { $0["key"] == "param.trees" }, "\(run)")
            #expect((run["data"]?["metrics"]?.arrayValue ?? []).contains { $0["key"] == "holdout_auc" }, "\(run)")
            // The learning curve with its steps.
            let id = run["info"]?["run_id"]?.stringValue ?? ""
            let history = try server.get("metrics/get-history", ["run_id": id, "metric_key": "train_loss"])["metrics"]?.arrayValue ?? []
            #expect(history.count >= 3 && Set(history.compactMap { $0["step"]?.int64Value }).count == history.count, "\(history.count) steps, none twice")
        }
        let model = try server.get("registered-models/get", ["name": "\(device).failure"])["registered_model"]
        #expect(model != nil, "the registered model")
        let remoteVersions = try server.get("model-versions/search", ["filter": "name='\(device).failure'"])["model_versions"]?.arrayValue ?? []
        let numbers = remoteVersions.compactMap { v in (v["tags"]?.arrayValue ?? []).first { $0["key"] == "mote.version" }?["value"]?.stringValue }
        #expect(numbers.sorted() == ["1", "2"], "each version once: \(numbers)")
        // The champion alias points at the remote version that mirrors the local champion.
        let champion = try server.get("registered-models/alias", ["name": "\(device).failure", "alias": "champion"])["model_version"]
        let championLocal = (champion?["tags"]?.arrayValue ?? []).first { $0["key"] == "mote.version" }?["value"]?.stringValue
        let localChampion = try daemon.client().get("/v1/models/failure").json()["model"]?["aliases"]?["champion"]
        #expect(championLocal != nil && championLocal == localChampion?.int64Value.map { String($0) }, "\(String(describing: champion)) vs \(String(describing: localChampion))")
    }

    @Test("runs, versions and aliases reach MLflow once, with params, metrics and tags, model artifacts uploaded; a second sync adds nothing; the device run has a heartbeat")
    func mirror() throws {
        let server = MLflowServer()
        try server.start()
        defer { server.stop() }
        let daemon = try InferenceTests().trainedDaemon(
            config: Self.config(url: server.url, upload: true) + "[monitoring]\nmin_rows = 50\ninterval = \"1s\"\nsummary_interval = \"1s\"\n")
        // Predictions, so a monitoring summary waits in the outbox too.
        #expect(try daemon.client().post("/v2/models/failure/infer", json: Array(InferenceTests.rows(200, seed: 3, shift: 0).utf8)).status == 200)
        for _ in 0..<50 {
            let outbox = try daemon.client().get("/v1/sync/outbox?limit=1000").json()
            if outbox["entries"]?.arrayValue?.contains(where: { $0["kind"] == "monitoring_summary" }) == true { break }
            usleep(100_000)
        }
        let status = try syncNow(daemon)
        // Summaries keep coming every second (summary_interval); one may land after the drain.
        let left = try daemon.client().get("/v1/sync/outbox?limit=1000").json()["entries"]?.arrayValue ?? []
        #expect(left.allSatisfy { $0["kind"] == "monitoring_summary" } && status["parked"] == 0, "\(status) \(left)")
        #expect(status["last_success"]?.stringValue != nil && status["last_error"] == .null || status["consecutive_failures"] == 0)
        try expectMirrored(daemon, server)
        // upload_artifacts: each version's bundle under its run's artifacts, named as the source.
        let versions = try server.get("model-versions/search", ["filter": "name='box-1.failure'"])["model_versions"]?.arrayValue ?? []
        for v in versions {
            let source = v["source"]?.stringValue ?? ""
            #expect(source.hasPrefix("mlflow-artifacts:/") && source.hasSuffix("/model"), "\(source)")
            let bundle = try server.artifact(String(source.dropFirst("mlflow-artifacts:/".count)) + "/mote.model.json")
            #expect(bundle.contains("\"mote.model\""), "\(bundle.prefix(200))")
        }
        let before = try server.runs(experimentPrefix: "mote/box-1/").count
        _ = try syncNow(daemon)
        #expect(try server.runs(experimentPrefix: "mote/box-1/").count == before)
        let device = try server.runs(experimentPrefix: "mote/box-1/device").first
        let deviceMetrics = device?["data"]?["metrics"]?.arrayValue ?? []
        #expect(deviceMetrics.contains { $0["key"] == "device.uptime_seconds" }, "\(String(describing: device))")
        // The monitoring summary: drift scores and the window, no raw rows.
        let champion = try daemon.client().get("/v1/models/failure").json()["model"]?["aliases"]?["champion"]?.int64Value ?? 0
        #expect(deviceMetrics.contains { $0["key"]?.stringValue == "monitoring.failure.v\(champion).window_rows" }, "\(deviceMetrics.compactMap { $0["key"]?.stringValue })")
        #expect(deviceMetrics.contains { $0["key"]?.stringValue == "monitoring.failure.v\(champion).drift_score.sensors_temp" })
        // motectl sync status says so.
        let shown = try runCommand(DaemonProcess.motectlPath, ["sync", "status", "--socket", daemon.socketPath])
        #expect(shown.status == 0 && shown.stdout.contains("box-1") && shown.stdout.contains("pending"), "\(shown.stdout)")
        // An alias set and then removed on the box is set and then removed centrally.
        let set = try daemon.client().send("PUT", "/v1/models/failure/aliases/canary", body: Array("{\"version\": \(champion)}".utf8), contentType: "application/json")
        #expect(set.status == 200, "\(set.text)")
        _ = try syncNow(daemon)
        #expect(try server.get("registered-models/alias", ["name": "box-1.failure", "alias": "canary"])["model_version"] != nil)
        #expect(try daemon.client().send("DELETE", "/v1/models/failure/aliases/canary", body: [], contentType: nil).status == 200)
        let afterDelete = try syncNow(daemon)
        #expect(afterDelete["parked"] == 0, "\(afterDelete)")
        #expect(try server.get("registered-models/alias", ["name": "box-1.failure", "alias": "canary"])["model_version"] == nil)
        #expect(daemon.stop() == 0)
    }

    @Test("with the server down the outbox keeps everything, across a restart of moted; when it is back everything arrives once")
    func offlineThenBack() throws {
        let server = MLflowServer()
        let daemon = try InferenceTests().trainedDaemon(config: Self.config(url: server.url) + "warn_depth = 5\n")
        let down = try syncNow(daemon)
        #expect((down["pending"]?.int64Value ?? 0) > 5, "\(down)")
        #expect(down["last_error"]?.stringValue != nil && (down["consecutive_failures"]?.int64Value ?? 0) >= 1, "\(down)")
        #expect(daemon.log().contains("event=sync_failed"))
        let backlog = daemon.log().components(separatedBy: "\n").filter { $0.contains("event=outbox_backlog") && !$0.contains("outbox_backlog_cleared") }
        #expect(backlog.count == 1, "one backlog warning: \(backlog)")
        let status = try daemon.client().get("/v1/status").json()
        #expect(status["sync"]?["outbox_pending"] == down["pending"])
        #expect(try daemon.client().get("/metrics").text.contains("mote_sync_outbox_pending_rows \(down["pending"]?.int64Value ?? -1)"))
        let wait = try runCommand(DaemonProcess.motectlPath, ["sync", "now", "--wait", "--socket", daemon.socketPath])
        #expect(wait.status == 1, "rows still pending: exit 1")
        // moted restarts with its outbox full, then the server comes up.
        #expect(daemon.stop() == 0)
        let again = DaemonProcess(config: Self.config(url: server.url), directory: daemon.directory)
        try again.start()
        #expect(try again.client().get("/v1/sync").json()["pending"] == down["pending"])
        try server.start()
        defer { server.stop() }
        let up = try syncNow(again)
        #expect(up["pending"] == 0 && up["parked"] == 0, "\(up)")
        try expectMirrored(again, server)
        #expect(again.log().contains("event=sync_recovered") || again.log().contains("event=sync_sent"))
        #expect(again.stop() == 0)
    }

    @Test("an answer lost after the server acted causes no duplicate: the retry finds the run and the version by their mote tags")
    func lostAnswers() throws {
        let server = MLflowServer()
        try server.start()
        defer { server.stop() }
        let proxy = try DroppingProxy(upstreamPort: server.port, drops: ["runs/create": 2, "model-versions/create": 1, "experiments/create": 1, "runs/log-batch": 2])
        defer { proxy.stop() }
        let daemon = try InferenceTests().trainedDaemon(config: Self.config(url: "http://127.0.0.1:\(proxy.port)"))
        var status = JSONValue.null
        for _ in 0..<10 {
            status = try syncNow(daemon)
            if status["pending"] == 0 { break }
            usleep(300_000)
        }
        #expect(status["pending"] == 0 && status["parked"] == 0, "\(status)")
        #expect(proxy.droppedPaths.count == 6, "\(proxy.droppedPaths)")
        try expectMirrored(daemon, server)
        #expect(daemon.stop() == 0)
    }

    @Test("a row the server refuses is parked with its reason and the rest flows on")
    func parked() throws {
        let server = MLflowServer()
        try server.start()
        defer { server.stop() }
        let daemon = DaemonProcess(config: Self.config(url: server.url))
        try daemon.start()
        let client = daemon.client()
        #expect(try client.post("/v1/experiments", json: Array(#"{"name":"field"}"#.utf8)).status == 201)
        let first = try client.post("/v1/runs", json: Array(#"{"experiment":"field","name":"first"}"#.utf8)).json()["run"]?["id"]?.stringValue ?? ""
        #expect(try syncNow(daemon)["pending"] == 0)
        // Someone deletes the run centrally; what moted logs to it next cannot be applied.
        let remote = try server.runs(experimentPrefix: "mote/box-1/field").first?["info"]?["run_id"]?.stringValue ?? ""
        #expect(!remote.isEmpty)
        _ = try server.post("runs/delete", #"{"run_id":"\#(remote)"}"#)
        #expect(try client.post("/v1/runs/\(first)/log", json: Array(#"{"metrics":[{"key":"loss","value":0.5,"step":1}]}"#.utf8)).status == 200)
        let second = try client.post("/v1/runs", json: Array(#"{"experiment":"field","name":"second"}"#.utf8)).json()["run"]?["id"]?.stringValue ?? ""
        #expect(try client.post("/v1/runs/\(second)/log", json: Array(#"{"params":{"lr":"0.1"}}"#.utf8)).status == 200)
        let status = try syncNow(daemon)
        #expect(status["pending"] == 0 && status["parked"] == 1, "\(status)")
        let parked = try client.get("/v1/sync/parked").json()["parked"]?.arrayValue ?? []
        #expect(parked.first?["kind"] == "run_logged" && parked.first?["subject"]?.stringValue == "run:\(first)", "\(parked)")
        #expect(parked.first?["reason"]?.stringValue?.isEmpty == false)
        #expect(try server.runs(experimentPrefix: "mote/box-1/field").contains { run in
            (run["data"]?["tags"]?.arrayValue ?? []).contains { $0["key"] == "mote.run_id" && $0["value"]?.stringValue == second }
        }, "the second run arrived")
        let shown = try runCommand(DaemonProcess.motectlPath, ["sync", "parked", "--socket", daemon.socketPath])
        #expect(shown.stdout.contains("run_logged"), "\(shown.stdout)")
        #expect(daemon.log().contains("event=sync_parked"))
        #expect(daemon.stop() == 0)
    }

    @Test("mutual TLS: the server's certificate trusted through ca_file, ours from client_certificate/client_key; without either the rows wait; the token never logged")
    func tls() throws {
        let server = MLflowServer(tls: true, requireClientCertificate: true)
        try server.start()
        defer { server.stop() }
        // Not trusted: the rows wait, the error says why.
        let daemon = DaemonProcess(config: Self.config(url: server.url))
        try daemon.start()
        #expect(try daemon.client().post("/v1/experiments", json: Array(#"{"name":"secure"}"#.utf8)).status == 201)
        let refused = try syncNow(daemon)
        #expect(refused["pending"] == 1, "\(refused)")
        #expect(refused["last_error"]?.stringValue?.lowercased().contains("certificate") == true || refused["last_error"]?.stringValue?.contains("TLS") == true
            || refused["last_error"]?.stringValue?.contains("handshake") == true, "\(refused)")
        #expect(daemon.stop() == 0)
        // The server is trusted but we show no certificate: refused by the server.
        let anonymous = DaemonProcess(config: Self.config(url: server.url) + "ca_file = \"\(server.caFile)\"\n", directory: daemon.directory)
        try anonymous.start()
        let noCertificate = try syncNow(anonymous)
        #expect(noCertificate["pending"] == 1 && noCertificate["last_error"]?.stringValue != nil, "\(noCertificate)")
        #expect(anonymous.stop() == 0)
        // Trusted through ca_file, our certificate, and a token that must not appear in the log.
        try "s3cr3t-token\n".write(toFile: daemon.directory + "/token", atomically: true, encoding: .utf8)
        let trusted = DaemonProcess(
            config: Self.config(url: server.url)
                + "ca_file = \"\(server.caFile)\"\nclient_certificate = \"\(server.directory)/client.pem\"\nclient_key = \"\(server.directory)/client.key\"\n"
                + "token_file = \"\(daemon.directory)/token\"\n", directory: daemon.directory)
        try trusted.start()
        let sent = try syncNow(trusted)
        #expect(sent["pending"] == 0 && sent["parked"] == 0, "\(sent)")
        #expect(try server.post("experiments/search", #"{"max_results": 100}"#)["experiments"]?.arrayValue?.contains { $0["name"] == "mote/box-1/secure" } == true)
        #expect(!trusted.log().contains("s3cr3t-token"))
        #expect(trusted.stop() == 0)
    }
}
