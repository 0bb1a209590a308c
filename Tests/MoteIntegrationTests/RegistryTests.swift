import Foundation
import MoteClient
import MoteCore
import OracleModels
import Testing

/// Tracking and the model registry over the socket.
@Suite("registry over the socket", .serialized)
struct RegistrySocketTests {
    func post(_ client: MoteClient, _ path: String, _ body: String, method: String = "POST") throws -> (Int, JSONValue) {
        let response = try client.send(method, path, body: Array(body.utf8), contentType: "application/json")
        return (response.status, (try? response.json()) ?? .null)
    }

    /// Imports the oracle model `name` into this daemon (as model `oracle-<name>`) and returns
    /// its artifact's digest: a bundle that serves.
    func servableArtifact(_ daemon: DaemonProcess, _ name: String) throws -> String {
        let entry = try OracleModels.entry(name)
        let model = "oracle-" + name.replacingOccurrences(of: "_", with: "-")
        let imported = try runCommand(
            DaemonProcess.motectlPath, ["models", "import", entry.file, "--name", model, "--socket", daemon.socketPath])
        guard imported.status == 0 else { throw TestFailure("import of \(name) failed: \(imported.stderr)") }
        let version = try daemon.client().get("/v1/models/\(model)/versions/1").json()
        return try #require(version["version"]?["artifact_digest"]?.stringValue)
    }

    @Test("experiment, run, log, finish and search; a version, an alias move and the audit and outbox rows it left")
    func roundTrip() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        #expect(try post(client, "/v1/experiments", #"{"name":"press-7","tags":{"site":"graz"}}"#).0 == 201)
        #expect(try post(client, "/v1/experiments", #"{"name":"press-7"}"#).0 == 409)
        var runs: [String] = []
        for (k, rmse) in [0.9, 0.4, 0.6].enumerated() {
            let (status, created) = try post(client, "/v1/runs", #"{"experiment":"press-7","name":"r\#(k)","source":{"spec":"gbdt"}}"#)
            #expect(status == 201)
            let id = try #require(created["run"]?["id"]?.stringValue)
            runs.append(id)
            let (logged, _) = try post(client, "/v1/runs/\(id)/log", #"{"params":{"depth":\#(k + 4)},"metrics":[{"key":"rmse","value":\#(rmse),"step":1}]}"#)
            #expect(logged == 200)
        }
        // Bad input: 4xx with the error body, nothing stored.
        let (bad, error) = try post(client, "/v1/runs/\(runs[0])/log", #"{"params":{"bad key!":"1"}}"#)
        #expect(bad == 400 && error["code"] == "invalid_parameter")
        // Names the central MLflow would refuse are refused here, before anything is stored.
        #expect(try post(client, "/v1/runs/\(runs[0])/log", #"{"params":{"../../p":"1"}}"#).0 == 400)
        #expect(try post(client, "/v1/runs/\(runs[0])/log", #"{"tags":{"../a":"1"}}"#).0 == 400)
        #expect(try post(client, "/v1/experiments", #"{"name":"../../etc"}"#).0 == 400)
        for name in ["..", "%2e%2e", "a:b"] {
            let (status, refusal) = try post(client, "/v1/models", #"{"name":"\#(name)"}"#)
            #expect(status == 400 && refusal["code"] == "invalid_parameter", "\(name): \(refusal)")
        }
        #expect(try client.get("/v1/runs/\(runs[0])").json()["run"]?["params"]?["../../p"] == nil)
        #expect(try client.get("/v1/models").json()["models"]?.arrayValue?.isEmpty == true)
        let (changed, _) = try post(client, "/v1/runs/\(runs[0])/log", #"{"params":{"depth":99}}"#)
        #expect(changed == 409)
        #expect(try post(client, "/v1/runs/\(runs[1])/finish", #"{"status":"FINISHED"}"#).0 == 200)
        let (_, found) = try post(client, "/v1/runs/search", #"{"experiments":["press-7"],"filter":"metrics.rmse < 0.8 and params.depth >= 5","order_by":["metrics.rmse ASC"]}"#)
        let names = found["runs"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["r1", "r2"])
        #expect(try post(client, "/v1/runs/search", #"{"filter":"metrics.rmse <"}"#).0 == 400)

        // A servable artifact in the store (an imported model's), registered as a version of
        // another model, as a client that keeps its own artifacts would.
        let digest = try servableArtifact(daemon, "lgb_binary")
        let (created, version) = try post(client, "/v1/models/press/versions", #"{"run_id":"\#(runs[1])","artifact_digest":"\#(digest)","format":"mote-gbdt","metrics":{"rmse":0.4}}"#)
        #expect(created == 201 && version["version"]?["version"] == 1)
        #expect(try post(client, "/v1/models/press/versions", #"{"artifact_digest":"\#(String(repeating: "0", count: 64))","format":"x"}"#).0 == 404)
        // A version whose artifact is not a model may be registered, but no alias may point at it.
        let junk = Array("tree ensemble".utf8)
        try Data(junk).write(to: URL(fileURLWithPath: daemon.stateDir + "/artifacts/sha256/" + SHA256.hex(of: junk)))
        #expect(try post(client, "/v1/models/press/versions", #"{"artifact_digest":"\#(SHA256.hex(of: junk))","format":"mote-gbdt"}"#).0 == 201)
        let (refused, refusal) = try post(client, "/v1/models/press/aliases/champion", #"{"version":2}"#, method: "PUT")
        #expect(refused == 409 && refusal["code"] == "version_not_servable", "\(refusal)")
        let (moved, alias) = try post(client, "/v1/models/press/aliases/champion", #"{"version":1}"#, method: "PUT")
        #expect(moved == 200 && alias["version"] == 1 && alias["previous_version"] == .null)
        #expect(try post(client, "/v1/models/press/aliases/latest", #"{"version":1}"#, method: "PUT").0 == 400)
        let resolved = try client.get("/v1/models/press/versions/champion").json()
        #expect(resolved["version"]?["artifact_digest"]?.stringValue == digest)

        let audit = try client.get("/v1/audit?subject=model:press").json()
        let entries = try #require(audit["entries"]?.arrayValue)
        #expect(entries.first?["action"] == "alias.set")
        #expect(entries.first?["uid"]?.int64Value == Int64(getuid()))
        let outbox = try client.get("/v1/sync/outbox?limit=100").json()
        let kinds = outbox["entries"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.first == "experiment_created")
        #expect(kinds.suffix(3) == ["version_registered", "version_registered", "alias_set"])
        #expect(outbox["pending"]?.int64Value == Int64(kinds.count))
        #expect(daemon.stop() == 0)
    }

    @Test("motectl: runs compare, alias set and rollback, audit, sync pending, export on one daemon and import on another")
    func cli() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        let ctl = DaemonProcess.motectlPath
        let socket = ["--socket", daemon.socketPath]
        _ = try post(client, "/v1/experiments", #"{"name":"e"}"#)
        var ids: [String] = []
        for (k, acc) in [0.8, 0.9].enumerated() {
            let id = try #require(try post(client, "/v1/runs", #"{"experiment":"e","name":"run\#(k)"}"#).1["run"]?["id"]?.stringValue)
            _ = try post(client, "/v1/runs/\(id)/log", #"{"params":{"depth":\#(k + 3)},"metrics":[{"key":"accuracy","value":\#(acc)},{"key":"loss","value":\#(1 - acc)}]}"#)
            ids.append(id)
        }
        let compare = try runCommand(ctl, ["runs", "compare", ids[0], ids[1]] + socket)
        #expect(compare.status == 0, "\(compare.stderr)")
        let lines = compare.stdout.split(separator: "\n").map(String.init)
        // Higher accuracy and lower loss are better: both marks on the second run (not a tty: '*').
        #expect(lines.contains { $0.hasPrefix("metrics.accuracy") && $0.hasSuffix("0.9 *") })
        #expect(lines.contains { $0.hasPrefix("metrics.loss") && $0.contains("0.09999999999999998 *") || $0.hasPrefix("metrics.loss") && $0.hasSuffix(" *") })
        #expect(lines.contains { $0.hasPrefix("params.depth") })
        // The shortened ids `runs list` prints work in `runs show` and `runs compare`.
        let list = try runCommand(ctl, ["runs", "list"] + socket)
        let shown = ids.map { String($0.prefix(12)) }
        #expect(shown.allSatisfy { list.stdout.contains($0) }, "\(list.stdout)")
        let show = try runCommand(ctl, ["runs", "show", shown[1]] + socket)
        #expect(show.status == 0 && show.stdout.contains(ids[1]), "\(show.stdout)\(show.stderr)")
        #expect(try runCommand(ctl, ["runs", "compare", shown[0], shown[1]] + socket).status == 0)

        for oracle in ["lgb_binary", "xgb_binary_json"] {
            let digest = try servableArtifact(daemon, oracle)
            #expect(try post(client, "/v1/models/press/versions", #"{"artifact_digest":"\#(digest)","format":"mote-gbdt"}"#).0 == 201)
        }
        #expect(try runCommand(ctl, ["models", "alias", "set", "press", "champion", "1"] + socket).stdout.contains("nothing -> v1"))
        #expect(try runCommand(ctl, ["models", "alias", "set", "press", "champion", "2"] + socket).stdout.contains("v1 -> v2"))
        let rollback = try runCommand(ctl, ["models", "rollback", "press"] + socket)
        #expect(rollback.stdout.contains("v2 -> v1"), "\(rollback.stdout)\(rollback.stderr)")
        let audit = try runCommand(ctl, ["audit", "--subject", "model:press@champion"] + socket)
        #expect(audit.stdout.split(separator: "\n").count == 4)  // header + three moves
        #expect(audit.stdout.contains(String(getuid())))
        let pending = try runCommand(ctl, ["sync", "pending", "--limit", "500"] + socket)
        #expect(pending.stdout.contains("alias_set") && pending.stdout.contains("pending"))
        let bad = try runCommand(ctl, ["models", "alias", "set", "press", "v3", "1"] + socket)
        #expect(bad.status == 1 && bad.stderr.contains("reserved"))

        // Export and import move a servable model (an export whose artifact is not one is
        // refused: ImportTests); a LightGBM file imported here stands in for a trained version.
        let model = try OracleModels.entry("lgb_binary").file
        #expect(try runCommand(ctl, ["models", "import", model, "--name", "real", "--alias", "champion"] + socket).status == 0)
        let file = daemon.directory + "/real.mote.json"
        let exported = try runCommand(ctl, ["models", "export", "real", "champion", "-f", file] + socket)
        #expect(exported.status == 0, "\(exported.stderr)")
        let document = try JSONParser.parse(try String(contentsOfFile: file, encoding: .utf8))
        let digest = try #require(document["artifact"]?["sha256"]?.stringValue)
        let other = DaemonProcess()
        try other.start()
        let imported = try runCommand(ctl, ["models", "import", file, "--name", "press-copy", "--socket", other.socketPath])
        #expect(imported.stdout.contains("imported as press-copy v1"), "\(imported.stdout)\(imported.stderr)")
        let copy = try other.client().get("/v1/models/press-copy/versions/1").json()
        #expect(copy["version"]?["artifact_digest"]?.stringValue == digest)
        // The list shows it; a damaged file is refused.
        #expect(try runCommand(ctl, ["models", "list", "--socket", other.socketPath]).stdout.contains("press-copy"))
        var text = try String(contentsOfFile: file, encoding: .utf8)
        let payload = try #require(text.range(of: #""base64":""#))
        let at = text.index(payload.upperBound, offsetBy: 40)
        text.replaceSubrange(at...at, with: text[at] == "A" ? "B" : "A")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let damaged = try runCommand(ctl, ["models", "import", file, "--socket", other.socketPath])
        #expect(damaged.status == 1 && damaged.stderr.contains("export_corrupt"), "\(damaged.stderr)")
        #expect(daemon.stop() == 0)
        #expect(other.stop() == 0)
    }
}
