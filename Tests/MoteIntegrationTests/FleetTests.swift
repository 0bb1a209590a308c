import Foundation
import MoteClient
import MoteCore
import OracleModels
import Testing

/// The fleet against a real MLflow server: a Python script plays the data scientist (LightGBM,
/// XGBoost and ONNX models logged with MLflow's own log_model and registered), the test moves
/// the central aliases as a team would, and two daemons with different device ids stand in
/// for a fleet: one follows `fleet`, the other the canary group's `fleet-canary`.
@Suite("fleet: models pulled from a real MLflow registry", .serialized)
struct FleetTests {
    /// Sync's settings of the sync tests, and the fleet following `alias`.
    static func config(url: String, device: String, alias: String, interval: String, trust: Bool = false, enabled: Bool = true) -> String {
        SyncTests.config(url: url, device: device) + """
            [fleet]
            enabled = \(enabled)
            alias = "\(alias)"
            interval = "\(interval)"
            trust_central = \(trust)

            """
    }

    struct Manifest {
        var versions: [String: Int]
        var rows: [[Double]]
        var expected: [String: [Double]]
        /// The labelled rows the boxes get: six inputs and a 0/1 label per machine `m<i>`.
        var data: [[Double]]
        var labels: [Int]
    }

    /// Runs the data scientist's script against the server.
    func scientist(_ server: MLflowServer) throws -> Manifest {
        let out = DaemonProcess.makeTemporaryDirectory("mote-fleet-scientist")
        let script = OracleModels.repository + "/Tests/scripts/fleet_scientist.py"
        let r = try runCommand(OracleModels.python, [script, server.url, out], timeout: 300)
        guard r.status == 0 else { throw TestFailure("fleet_scientist.py failed: \(r.stderr.suffix(3000))") }
        let m = try JSONParser.parse(try String(contentsOfFile: out + "/manifest.json", encoding: .utf8))
        var versions: [String: Int] = [:]
        for (k, v) in m["versions"]?.objectValue ?? JSONObject() { versions[k] = Int(v.int64Value ?? 0) }
        var expected: [String: [Double]] = [:]
        for (k, v) in m["expected"]?.objectValue ?? JSONObject() { expected[k] = (v.arrayValue ?? []).map { $0.doubleValue ?? .nan } }
        let rows = (m["rows"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).map { $0.doubleValue ?? .nan } }
        let lines = try String(contentsOfFile: out + "/data.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let cells = lines.map { $0.split(separator: ",") }
        return Manifest(
            versions: versions, rows: rows, expected: expected, data: cells.map { $0[1...6].map { Double($0) ?? .nan } },
            labels: cells.map { Int($0[7]) ?? -1 })
    }

    /// A daemon with the definitions and the scientist's labelled rows (a day ago, a label a
    /// second after each reading).
    func box(_ config: String, _ m: Manifest) throws -> DaemonProcess {
        let daemon = try ImportTests().definedDaemon(config: config)
        try ImportTests().pushRows(daemon, m.data, labels: m.labels)
        return daemon
    }

    func setAlias(_ server: MLflowServer, _ alias: String, _ version: Int) throws {
        _ = try server.post("registered-models/alias", #"{"name": "failure", "alias": "\#(alias)", "version": "\#(version)"}"#)
    }

    /// `POST /v1/fleet/poll?wait=true`: the status after a poll that started after the call.
    @discardableResult
    func poll(_ daemon: DaemonProcess) throws -> JSONValue {
        let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 120)
        for _ in 0..<8 {
            let r = try client.post("/v1/fleet/poll?wait=true", json: [])
            guard r.status == 200 else { throw TestFailure("poll: \(r.status) \(r.text)") }
            let status = try r.json()
            if status["polled"] != false { return status }
        }
        throw TestFailure("the poll did not end within 8 waits")
    }

    /// The followed model's row of the fleet status.
    func followed(_ status: JSONValue) -> JSONValue {
        (status["models"]?.arrayValue ?? []).first { $0["model"] == "failure" } ?? .null
    }

    func champion(_ daemon: DaemonProcess) throws -> Int? {
        try daemon.client().get("/v1/models/failure").json()["model"]?["aliases"]?["champion"]?.int64Value.map(Int.init)
    }

    /// The local versions imported from central version `central`.
    func localVersions(_ daemon: DaemonProcess, fromCentral central: Int) throws -> [Int] {
        let versions = try daemon.client().get("/v1/models/failure/versions").json()["versions"]?.arrayValue ?? []
        return versions.filter { $0["tags"]?["mote.fleet.source"]?.stringValue == "failure/\(central)" }.compactMap { $0["version"]?.int64Value.map(Int.init) }
    }

    /// The champion serves the library's numbers (to 1e-6) once the hot swap, which loads the
    /// new version beside the old one, has happened.
    func expectServes(_ daemon: DaemonProcess, _ m: Manifest, _ name: String) throws {
        let expected = m.expected[name] ?? []
        var worst = Double.infinity
        var count = 0
        _ = try eventually(timeout: 10) {
            let got = try ImportTests().infer(daemon.client(), "failure", m.rows, width: 6).map { $0[1] }
            count = got.count
            worst = got.count == expected.count ? zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity : .infinity
            return worst <= 1e-6
        }
        #expect(count == expected.count && worst <= 1e-6, "\(name): max difference \(worst) over \(count) rows")
    }

    /// The central tag a box reported on a version.
    func reported(_ server: MLflowServer, version: Int, device: String) throws -> String? {
        let v = try server.get("model-versions/get", ["name": "failure", "version": String(version)])["model_version"]
        return (v?["tags"]?.arrayValue ?? []).first { $0["key"]?.stringValue == "mote.device.\(device)" }?["value"]?.stringValue
    }

    func syncNow(_ daemon: DaemonProcess) throws {
        let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 60)
        for _ in 0..<8 where try client.post("/v1/sync?wait=true", json: []).json()["drained"] == false {}
    }

    @Test("deploy, gate, reject, roll back, canary, server down mid-poll, pin: each decision served, journaled and reported centrally")
    func fleet() throws {
        let server = MLflowServer()
        try server.start()
        defer { server.stop() }
        let m = try scientist(server)
        let v = m.versions
        #expect(v.count == 6, "\(v)")
        let configA = Self.config(url: server.url, device: "box-a", alias: "fleet", interval: "1h")
        var a = try box(configA, m)
        // The canary box starts with the fleet off; it is switched on by a reload later.
        let b = try box(Self.config(url: server.url, device: "box-b", alias: "fleet-canary", interval: "1h", enabled: false), m)

        // Nothing carries the alias yet: nothing is followed.
        #expect((try poll(a))["models"]?.arrayValue?.isEmpty == true)

        // The first approved version: no champion here, so the first valid version serves.
        try setAlias(server, "fleet", v["stump"]!)
        var status = try poll(a)
        var row = followed(status)
        #expect(row["central_version"]?.stringValue == String(v["stump"]!) && row["last_decision"]?["decision"] == "deployed", "\(status)")
        let stumpLocal = try localVersions(a, fromCentral: v["stump"]!)
        let first = try champion(a)
        #expect(stumpLocal.count == 1 && first == stumpLocal.first, "\(stumpLocal)")
        try expectServes(a, m, "stump")

        // A better one passes the gate on the box's own labelled data and serves with
        // LightGBM's numbers; its inputs were bound from the file's names (sensors__f0...).
        try setAlias(server, "fleet", v["strong"]!)
        row = followed(try poll(a))
        #expect(row["last_decision"]?["decision"] == "deployed", "\(row)")
        let strongLocal = try localVersions(a, fromCentral: v["strong"]!)
        let second = try champion(a)
        #expect(strongLocal.count == 1 && second == strongLocal.first)
        try expectServes(a, m, "strong")
        let strongTags = try a.client().get("/v1/models/failure/versions/\(strongLocal.first ?? 0)").json()["version"]?["tags"]
        #expect(strongTags?["mote.origin.inputs"] == "bound", "\(String(describing: strongTags))")

        // A worse one is rejected; the champion stays; the centre hears why.
        try setAlias(server, "fleet", v["noise"]!)
        row = followed(try poll(a))
        #expect(row["last_decision"]?["decision"] == "rejected", "\(row)")
        #expect((try champion(a)) == strongLocal.first)

        // The alias moved back: the box goes back to the version it served, without a gate.
        try setAlias(server, "fleet", v["stump"]!)
        row = followed(try poll(a))
        #expect((try champion(a)) == stumpLocal.first, "\(row)")
        #expect(row["last_decision"]?["reason"]?.stringValue?.contains("again") == true, "\(row)")
        #expect(try localVersions(a, fromCentral: v["stump"]!).count == 1, "not imported twice")

        // A flavour mote cannot load is refused with a reason, and not fetched again.
        try setAlias(server, "fleet", v["pickle"]!)
        row = followed(try poll(a))
        #expect(row["last_decision"]?["decision"] == "failed" && row["last_decision"]?["reason"]?.stringValue?.contains("sklearn") == true, "\(row)")
        #expect((try champion(a)) == stumpLocal.first)

        // Reported back through the outbox: one tag per device on each central version.
        try syncNow(a)
        #expect(try reported(server, version: v["stump"]!, device: "box-a") == "deployed")
        #expect(try reported(server, version: v["strong"]!, device: "box-a") == "deployed")
        #expect(try reported(server, version: v["noise"]!, device: "box-a")?.hasPrefix("rejected: ") == true)
        #expect(try reported(server, version: v["pickle"]!, device: "box-a")?.hasPrefix("failed: ") == true)
        // The gate's numbers on the device's run.
        let device = try server.runs(experimentPrefix: "mote/box-a/device").first
        let keys = (device?["data"]?["metrics"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
        #expect(keys.contains("fleet.failure.auc"), "\(keys)")

        // The canary group follows its own alias, within one interval (1 s) and no trigger: an
        // ONNX model bound by the version's mote.inputs tag. The fleet is switched on by a
        // reload (SIGHUP), which the sleeping poll loop does not wait out.
        try setAlias(server, "fleet-canary", v["onnx"]!)
        #expect(try b.client().get("/v1/fleet").json()["enabled"] == false)
        try Self.config(url: server.url, device: "box-b", alias: "fleet-canary", interval: "1s", trust: true)
            .write(toFile: b.configPath, atomically: true, encoding: .utf8)
        b.signal(SIGHUP)
        #expect(
            eventually(timeout: 30) { (try? localVersions(b, fromCentral: v["onnx"]!).count) == 1 && (try? champion(b)) != nil },
            "\((try? b.client().get("/v1/fleet").text) ?? "")")
        try expectServes(b, m, "onnx")
        #expect(try localVersions(a, fromCentral: v["onnx"]!).isEmpty, "the other group does not follow the canary alias")
        // The canary box trusts the centre (fleet.trust_central): even the noise model serves there.
        try setAlias(server, "fleet-canary", v["noise"]!)
        #expect(eventually(timeout: 30) { (try? localVersions(b, fromCentral: v["noise"]!).count) == 1 })
        try expectServes(b, m, "noise")
        #expect(followed(try b.client().get("/v1/fleet").json())["last_decision"]?["reason"]?.stringValue?.contains("trust_central") == true)

        // Server down when the alias has moved: the poll fails, nothing is half-imported;
        // back up, the version arrives once.
        try setAlias(server, "fleet", v["xgb"]!)
        server.stop()
        status = try poll(a)
        #expect(status["last_error"]?.stringValue != nil, "\(status)")
        #expect(try localVersions(a, fromCentral: v["xgb"]!).isEmpty)
        // A restart of moted meanwhile changes nothing either.
        let logBeforeRestart = a.log()
        #expect(a.stop() == 0)
        // (The first object keeps the directory until the test ends: it removes it when freed.)
        let stopped = a
        a = DaemonProcess(config: configA, directory: stopped.directory)
        try a.start()
        try server.start()
        status = try poll(a)
        #expect(status["last_error"] == .null, "\(status)")
        _ = try poll(a)
        let xgbLocal = try localVersions(a, fromCentral: v["xgb"]!)
        #expect(xgbLocal.count == 1, "\(xgbLocal)")
        #expect(followed(status)["last_decision"]?["decision"] == "deployed", "\(followed(status))")
        try expectServes(a, m, "xgb")

        // Pinned: the box stays put while the alias moves; unpinned, it follows again.
        let pinned = try runCommand(DaemonProcess.motectlPath, ["fleet", "pin", "failure", String(stumpLocal.first ?? 0), "--socket", a.socketPath])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect((try champion(a)) == stumpLocal.first)
        try setAlias(server, "fleet", v["strong"]!)
        row = followed(try poll(a))
        let held = try champion(a)
        #expect(held == stumpLocal.first && row["pinned_version"]?.int64Value == Int64(stumpLocal.first ?? 0), "\(row)")
        let unpinned = try runCommand(DaemonProcess.motectlPath, ["fleet", "unpin", "failure", "--socket", a.socketPath])
        #expect(unpinned.status == 0, "\(unpinned.stderr)")
        _ = try poll(a)
        #expect((try champion(a)) == strongLocal.first)
        let audit = try a.client().get("/v1/audit?limit=200").json()["entries"]?.arrayValue ?? []
        #expect(audit.contains { $0["action"] == "fleet.pin" } && audit.contains { $0["action"] == "fleet.unpin" })

        // motectl fleet status, the journal and /metrics say the same.
        let shown = try runCommand(DaemonProcess.motectlPath, ["fleet", "status", "--socket", a.socketPath])
        #expect(shown.status == 0 && shown.stdout.contains("failure") && shown.stdout.contains("deployed"), "\(shown.stdout)")
        let log = logBeforeRestart + a.log()
        for event in ["fleet_deployed", "fleet_rejected", "fleet_failed", "fleet_pinned"] { #expect(log.contains("event=\(event)"), "\(event)") }
        let metrics = try a.client().get("/metrics").text
        #expect(metrics.contains("mote_fleet_central_version{alias=\"fleet\",model=\"failure\"} \(v["strong"]!)")
            || metrics.contains("mote_fleet_central_version{model=\"failure\",alias=\"fleet\"} \(v["strong"]!)"), "\(metrics.split(separator: "\n").filter { $0.contains("fleet") })")
        #expect(a.stop() == 0 && b.stop() == 0)
        withExtendedLifetime(stopped) {}

        // A box installed before its definitions: its first poll, at start, deploys the
        // approved version unbound (served by tensor only). Once the definitions and labels
        // are there, the next version cannot be compared with that champion on the box's
        // data, and it is the one that can: it is promoted, saying why.
        try setAlias(server, "fleet", v["stump"]!)
        let c = DaemonProcess(config: Self.config(url: server.url, device: "box-c", alias: "fleet", interval: "1h"))
        try c.start()
        #expect(eventually(timeout: 30) { followed((try? c.client().get("/v1/fleet").json()) ?? .null)["last_decision"]?["decision"] == "deployed" })
        let unboundTags = try c.client().get("/v1/models/failure/versions/1").json()["version"]?["tags"]
        #expect(unboundTags?["mote.origin.inputs"] == "unbound", "\(String(describing: unboundTags))")
        try ImportTests().applyDefinitions(c)
        try ImportTests().pushRows(c, m.data, labels: m.labels)
        try setAlias(server, "fleet", v["strong"]!)
        row = followed(try poll(c))
        #expect(row["last_decision"]?["decision"] == "deployed", "\(row)")
        #expect(row["last_decision"]?["reason"]?.stringValue?.contains("cannot be scored on this box's data") == true, "\(row)")
        try expectServes(c, m, "strong")
        #expect(c.stop() == 0)
    }
}
