import Foundation
import MoteClient
import MoteCore
import OracleModels
import Testing

/// Shadow and canary rollouts in the real daemon, with XGBoost and LightGBM models whose
/// predictions the oracle knows: answers while shadowing are the champion's
/// byte for byte; live metrics of both sides equal the oracle's on the labelled rows; a better
/// shadow is promoted and a worse canary rolled back by the policy; each decision is recorded,
/// journaled and queued for the central host.
@Suite("shadow and canary rollouts", .serialized)
struct RolloutTests {
    /// AUC with ties counted half (Mann-Whitney), as the daemon's live metrics compute it.
    static func auc(_ scores: [Double], _ labels: [Int]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
            i = j + 1
        }
        let positives = labels.filter { $0 == 1 }.count
        let negatives = labels.count - positives
        let sum = zip(ranks, labels).filter { $0.1 == 1 }.reduce(0) { $0 + $1.0 }
        return (sum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }

    /// The positive-class probability the oracle expects for `row` of a model.
    static func positive(_ e: OracleModels.Entry, _ row: Int) -> Double { e.expected[row][1] }

    /// Predicts `machines` one request each (as live traffic does); returns per machine the
    /// answer's prediction id and version, and the positive probability.
    func predict(_ client: MoteClient, _ machines: [Int]) throws -> [Int: (id: String, version: String, p: Double)] {
        var out: [Int: (String, String, Double)] = [:]
        for m in machines {
            let r = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m\#(m)"]},"on_missing":"model"}"#.utf8))
            guard r.status == 200 else { throw TestFailure("predict m\(m): \(r.text)") }
            let j = try r.json()
            let row = j["rows"]?.arrayValue?.first
            let p = j["outputs"]?.arrayValue?.first { $0["name"] == "probabilities" }?["data"]?.arrayValue?[1].doubleValue ?? .nan
            out[m] = (row?["prediction_id"]?.stringValue ?? "", row?["model_version"]?.stringValue ?? j["model_version"]?.stringValue ?? "", p)
        }
        return out
    }

    /// Labels for the answered predictions.
    func label(_ client: MoteClient, _ answers: [Int: (id: String, version: String, p: Double)], _ labels: [Int]) throws {
        let items = answers.sorted { $0.key < $1.key }.map { #"{"prediction_id":"\#($0.value.id)","label":\#(labels[$0.key])}"# }
        let r = try client.post("/v1/feedback", json: Array(#"{"labels":[\#(items.joined(separator: ","))]}"#.utf8))
        let stored = try r.json()["stored"]?.int64Value
        #expect(r.status == 200 && stored == Int64(answers.count), "\(r.text)")
    }

    /// The text of an answer from its outputs on, without the per-request ids.
    static func outputs(_ text: String) -> String {
        guard let start = text.range(of: "\"outputs\":") else { return "" }
        let tail = text[start.lowerBound...]
        return String(tail.range(of: ",\"rows\":").map { tail[..<$0.lowerBound] } ?? tail)
    }

    @Test("a better shadow is promoted, a worse canary rolled back; shadowed answers unchanged; evidence equal to the oracle's")
    func shadowThenCanary() throws {
        let champion = try OracleModels.entry("xgb_binary_json")
        let better = try OracleModels.entry("lgb_binary")
        let worse = try OracleModels.entry("lgb_rf")
        let labels = try OracleModels.binaryLabels()
        let imports = ImportTests()
        let daemon = try imports.definedDaemon(config: "[rollout]\ncheck_interval = \"1h\"\n")
        let client = daemon.client()
        try imports.pushRows(daemon, champion.rows, labels: labels)
        for (e, alias) in [(champion, "champion"), (better, "challenger"), (worse, "challenger")] {
            let imported = try imports.motectl(daemon, ["models", "import", e.file, "--name", "failure", "--inputs", ImportTests.bound, "--alias", alias])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        let machines = Array(0..<labels.count)

        // Answers before any rollout, to compare with the answers while shadowing.
        let byKey = Array(#"{"entities":{"machine_id":["m0","m1","m2","m3","m4","m5","m6","m7"]},"on_missing":"model"}"#.utf8)
        let byTensor = ImportTests.inferBody(Array(champion.rows.prefix(8)), width: 6)
        let plainKey = try client.post("/v1/predict/failure", json: byKey).text
        let plainTensor = try client.post("/v2/models/failure/infer", json: byTensor).text

        // Refusals change nothing: no such version, the champion itself, a share for a shadow.
        for (body, status, code) in [
            (#"{"mode":"shadow","version":9}"#, 404, "not_found"), (#"{"mode":"shadow","version":1}"#, 409, "rollout_incompatible"),
            (#"{"mode":"shadow","version":2,"share":0.5}"#, 422, "invalid_shape"), (#"{"mode":"blue","version":2}"#, 422, "invalid_shape"),
            (#"{"mode":"canary","version":2,"share":1.5}"#, 422, "invalid_shape"),
            (#"{"mode":"shadow","version":2,"policy":{"metric":"rmse"}}"#, 422, "invalid_shape"),
        ] {
            let r = try client.send("PUT", "/v1/models/failure/rollout", body: Array(body.utf8), contentType: "application/json")
            #expect(r.status == status && r.text.contains(code), "\(body): \(r.status) \(r.text)")
        }
        #expect(try client.get("/v1/models/failure/rollout").json()["rollout"] == .null)

        // Shadow: version 2 scores every answered row; the answers stay the champion's.
        let shadow = try imports.motectl(daemon, ["models", "shadow", "failure", "2", "--when", "metric=auc,min_labels=300,margin=0.001"])
        #expect(shadow.status == 0 && shadow.stdout.contains("shadow of v2 beside champion v1"), "\(shadow.stdout) \(shadow.stderr)")
        #expect(Self.outputs(try client.post("/v1/predict/failure", json: byKey).text) == Self.outputs(plainKey))
        #expect(Self.outputs(try client.post("/v2/models/failure/infer", json: byTensor).text) == Self.outputs(plainTensor))
        let answered = try predict(client, machines)
        #expect(answered.values.allSatisfy { $0.version == "1" })
        try label(client, answered, labels)

        // The comparison: the same 400 labelled rows for both, each AUC the oracle's.
        let monitoring = try client.get("/v1/models/failure/monitoring").json()
        let r = monitoring["rollout"]
        let wantChampion = Self.auc(machines.map { Self.positive(champion, $0) }, labels)
        let wantShadow = Self.auc(machines.map { Self.positive(better, $0) }, labels)
        #expect(r?["challenger"]?["labels"]?.int64Value == 400 && r?["champion"]?["labels"]?.int64Value == 400, "\(String(describing: r))")
        #expect(abs((r?["champion"]?["live"]?["auc"]?.doubleValue ?? 0) - wantChampion) <= 1e-6, "\(String(describing: r)) vs \(wantChampion)")
        #expect(abs((r?["challenger"]?["live"]?["auc"]?.doubleValue ?? 0) - wantShadow) <= 1e-9, "\(String(describing: r)) vs \(wantShadow)")
        let agree = Double(machines.filter { (Self.positive(champion, $0) >= 0.5) == (Self.positive(better, $0) >= 0.5) }.count) / 400
        // 408: the 8 shadowed rows by key before the 400 (the tensor rows name no entity, but are scored too).
        #expect(abs((r?["agreement"]?.doubleValue ?? 0) - agree) <= 0.02, "\(String(describing: r?["agreement"])) vs \(agree)")
        #expect((r?["challenger"]?["rows"]?.int64Value ?? 0) >= 400 && r?["prediction_drift"]?["method"] == "ks", "\(String(describing: r))")
        // motectl monitor shows the same comparison under the model's own report.
        let monitor = try imports.motectl(daemon, ["monitor", "failure"])
        let aucLine = monitor.stdout.split(separator: "\n").last { $0.hasPrefix("auc ") }.map(String.init) ?? ""
        #expect(monitor.stdout.contains("rollout failure: shadow of v2 beside champion v1") && aucLine.contains(String(wantShadow.description.prefix(6))), "\(monitor.stdout)")

        // Judged: better by more than the margin, so promoted; the champion serves version 2.
        let checked = try imports.motectl(daemon, ["models", "rollout", "failure", "--check"])
        #expect(checked.status == 0 && checked.stdout.contains("no rollout") && checked.stdout.contains("promoted"), "\(checked.stdout) \(checked.stderr)")
        #expect(try client.get("/v1/models/failure/versions/2").json()["version"]?["aliases"]?.arrayValue?.contains("champion") == true)
        #expect(eventually(timeout: 10) { (try? client.get("/v2/models/failure").json()["parameters"]?["version"]) == "2" })

        // Canary: version 3 answers about half of the entities, each always by the same version.
        let canary = try client.send(
            "PUT", "/v1/models/failure/rollout", body: Array(#"{"mode":"canary","version":3,"share":0.5,"policy":{"min_labels":100,"margin":0.001}}"#.utf8),
            contentType: "application/json")
        #expect(canary.status == 200, "\(canary.text)")
        let first = try predict(client, machines)
        let again = try predict(client, Array(machines.prefix(50)))
        #expect(again.allSatisfy { first[$0.key]?.version == $0.value.version }, "an entity changed version")
        let byCanary = machines.filter { first[$0]?.version == "3" }
        #expect(byCanary.count > 120 && byCanary.count < 280, "\(byCanary.count) of 400 answered by the canary")
        // Each answer is its own version's: the oracle's probability for that row.
        for m in machines {
            let want = first[m]?.version == "3" ? Self.positive(worse, m) : Self.positive(better, m)
            #expect(abs((first[m]?.p ?? .nan) - want) <= 1e-5, "m\(m) v\(first[m]?.version ?? "?"): \(first[m]?.p ?? .nan) vs \(want)")
        }
        try label(client, first, labels)
        let status = try client.get("/v1/models/failure/rollout").json()["rollout"]
        let byChampion = machines.filter { first[$0]?.version == "2" }
        #expect(status?["challenger"]?["labels"]?.int64Value == Int64(byCanary.count), "\(String(describing: status))")
        let canaryAUC = Self.auc(byCanary.map { Self.positive(worse, $0) }, byCanary.map { labels[$0] })
        #expect(abs((status?["challenger"]?["live"]?["auc"]?.doubleValue ?? 0) - canaryAUC) <= 1e-9, "\(String(describing: status)) vs \(canaryAUC)")
        let championAUC = Self.auc(byChampion.map { Self.positive(better, $0) }, byChampion.map { labels[$0] })
        #expect(abs((status?["champion"]?["live"]?["auc"]?.doubleValue ?? 0) - championAUC) <= 1e-9, "\(String(describing: status)) vs \(championAUC)")
        #expect(canaryAUC < championAUC - 0.001)

        let judged = try client.post("/v1/models/failure/rollout/check", json: Array("{}".utf8)).json()
        #expect(judged["rollout"] == .null && judged["decisions"]?.arrayValue?.first?["decision"] == "rolled_back", "\(judged)")
        #expect(try client.get("/v2/models/failure").json()["parameters"]?["version"] == "2")
        let after = try predict(client, Array(machines.prefix(40)))
        #expect(after.values.allSatisfy { $0.version == "2" })
        let aliases = try client.get("/v1/models/failure").json()["model"]?["aliases"]
        #expect(aliases?["canary"] == nil && aliases?["shadow"] == nil && aliases?["champion"]?.int64Value == 2, "\(String(describing: aliases))")

        // Recorded, audited, journaled and queued for the central host.
        let decisions = (judged["decisions"]?.arrayValue ?? []).compactMap { $0["decision"]?.stringValue }
        #expect(decisions == ["rolled_back", "started", "promoted", "started"], "\(decisions)")
        let log = daemon.log()
        for event in ["rollout_started", "rollout_promoted", "rollout_rolled_back"] { #expect(log.contains("event=\(event)"), "\(event)") }
        let outbox = try client.get("/v1/sync/outbox?limit=500").json()["entries"]?.arrayValue ?? []
        #expect(outbox.filter { $0["kind"] == "rollout_decision" }.count == 4, "\(outbox.map { $0["kind"] ?? .null })")
        let audit = try client.get("/v1/audit?limit=200").json()["entries"]?.arrayValue ?? []
        #expect(audit.contains { $0["subject"] == "model:failure@shadow" } && audit.contains { $0["subject"] == "model:failure@canary" })
        #expect(daemon.stop() == 0)
    }

    @Test("a shadow behind drops rows and counts them; the answers never wait")
    func boundedShadowQueue() throws {
        let imports = ImportTests()
        let daemon = try imports.definedDaemon(config: "[inference]\nshadow_max_pending = 1\n")
        let client = daemon.client()
        let a = try OracleModels.entry("xgb_binary_json")
        let b = try OracleModels.entry("lgb_binary")
        for (e, alias) in [(a, "champion"), (b, "challenger")] {
            #expect(try imports.motectl(daemon, ["models", "import", e.file, "--name", "failure", "--inputs", ImportTests.bound, "--alias", alias]).status == 0)
        }
        #expect(try imports.motectl(daemon, ["models", "shadow", "failure", "2"]).status == 0)
        // Ten rows per request: never fit a queue of one row.
        let r = try client.post("/v2/models/failure/infer", json: ImportTests.inferBody(Array(a.rows.prefix(10)), width: 6))
        #expect(r.status == 200)
        let metrics = try client.get("/metrics").text
        #expect(metrics.contains("mote_shadow_dropped_rows 10"), "\(metrics.split(separator: "\n").filter { $0.contains("shadow") })")
        #expect(daemon.stop() == 0)
    }

    @Test("a training spec's rollout: a gated candidate shadows the champion instead of replacing it, with the spec's policy")
    func specRollout() throws {
        let definitions = TrainingTests.definitions
            .replacingOccurrences(of: "features = [\"sensors:mode\"]", with: "features = [\"sensors:temp\", \"sensors:vibration\", \"sensors:mode\"]")
            .replacingOccurrences(
                of: "promote = { metric = \"auc\", min_improvement = 0.001 }\n",
                with: "promote = { metric = \"auc\", min_improvement = 0.001 }\nrollout = { mode = \"shadow\", metric = \"logloss\", min_labels = 150, margin = 0.002 }\n")
        let daemon = DaemonProcess()
        try daemon.start()
        let training = TrainingTests()
        let file = daemon.directory + "/defs.toml"
        try definitions.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try training.motectl(daemon, ["apply", "-f", file]).status == 0)
        try training.push(daemon)
        let first = try training.motectl(daemon, ["train", "weak", "--wait"])
        #expect(first.stdout.contains("version 1 is champion"), "\(first.stdout)")
        let second = try training.motectl(daemon, ["train", "strong", "--wait"])
        #expect(second.status == 0 && second.stdout.contains("rolls out as a shadow beside champion 1"), "\(second.stdout) \(second.stderr)")
        let client = daemon.client()
        let status = try client.get("/v1/models/failure/rollout").json()
        let r = status["rollout"]
        #expect(r?["mode"] == "shadow" && r?["version"]?.int64Value == 2 && r?["champion_version"]?.int64Value == 1, "\(status)")
        #expect(r?["policy"]?["metric"] == "logloss" && r?["policy"]?["min_labels"]?.int64Value == 150 && r?["policy"]?["margin"]?.doubleValue == 0.002, "\(status)")
        #expect(try client.get("/v2/models/failure").json()["parameters"]?["version"] == "1")
        // Stopped by hand: the alias goes, the champion serves alone, the decision says so.
        let stopped = try training.motectl(daemon, ["models", "rollout", "failure", "--stop"])
        #expect(stopped.status == 0 && stopped.stdout.contains("no rollout") && stopped.stdout.contains("stopped by hand"), "\(stopped.stdout)")
        let again = try client.send("DELETE", "/v1/models/failure/rollout")
        #expect(again.status == 404 && again.text.contains("rollout_not_found"), "\(again.text)")
        #expect(daemon.stop() == 0)
    }

    @Test("rollout decisions reach the central MLflow server on the device run: a tag that says what and why, the evidence as metrics")
    func synced() throws {
        let server = MLflowServer()
        try server.start()
        defer { server.stop() }
        let imports = ImportTests()
        let daemon = try imports.definedDaemon(config: SyncTests.config(url: server.url) + "[rollout]\ncheck_interval = \"1h\"\n")
        let client = daemon.client()
        let champion = try OracleModels.entry("xgb_binary_json")
        let labels = try OracleModels.binaryLabels()
        try imports.pushRows(daemon, champion.rows, labels: labels)
        for (e, alias) in [(champion, "champion"), (try OracleModels.entry("lgb_binary"), "challenger")] {
            #expect(try imports.motectl(daemon, ["models", "import", e.file, "--name", "failure", "--inputs", ImportTests.bound, "--alias", alias]).status == 0)
        }
        #expect(try imports.motectl(daemon, ["models", "shadow", "failure", "2", "--when", "min_labels=300"]).status == 0)
        let answered = try predict(client, Array(0..<labels.count))
        try label(client, answered, labels)
        let judged = try client.post("/v1/models/failure/rollout/check", json: Array("{}".utf8)).json()
        #expect(judged["decisions"]?.arrayValue?.first?["decision"] == "promoted", "\(judged)")
        _ = try SyncTests().syncNow(daemon)
        let device = try server.runs(experimentPrefix: "mote/box-1/device").first
        let tags = device?["data"]?["tags"]?.arrayValue ?? []
        let tag = tags.first { $0["key"] == "mote.rollout.failure" }?["value"]?.stringValue ?? ""
        #expect(tag.hasPrefix("promoted shadow version 2 beside champion 1: live auc"), "\(tags)")
        let metrics = (device?["data"]?["metrics"]?.arrayValue ?? []).compactMap { $0["key"]?.stringValue }
        #expect(metrics.contains("rollout.failure.challenger.auc") && metrics.contains("rollout.failure.champion_labels"), "\(metrics)")
        #expect(daemon.stop() == 0)
    }
}
