import Foundation
import MoteClient
import MoteCore
import OracleModels
import Testing

/// Models from LightGBM, XGBoost, scikit-learn (ONNX) imported into the real daemon: served
/// with their library's numbers, bound to features for predictions by entity key, monitored
/// against a reference, registered with their origin, gated as challenger, promoted only by
/// evaluation on the box's own labelled data; damaged files refused with nothing stored.
@Suite("model import over the socket", .serialized)
struct ImportTests {
    static let definitions = """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "sensors"
        entity = "machine"
        fields = [
          { name = "f0", type = "float64" }, { name = "f1", type = "float64" }, { name = "f2", type = "float64" },
          { name = "f3", type = "float64" }, { name = "f4", type = "float64" }, { name = "f5", type = "float64" },
        ]

        [[feature_view]]
        name = "labels"
        entity = "machine"
        fields = [{ name = "failed", type = "int64" }]

        # Sees only a column without signal: a champion any real model beats.
        [[training_spec]]
        name = "noise"
        model = "failure"
        algorithm = "gbdt"
        label = "labels:failed"
        features = ["sensors:f4"]
        params = { num_trees = 3, num_leaves = 3, min_data_in_leaf = 5 }
        promote = { metric = "auc", min_improvement = 0.01 }
        """
    static let bound = "sensors:f0,sensors:f1,sensors:f2,sensors:f3,sensors:f4,sensors:f5"

    func motectl(_ daemon: DaemonProcess, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try runCommand(DaemonProcess.motectlPath, arguments + ["--socket", daemon.socketPath])
    }

    /// A daemon with the definitions applied.
    func definedDaemon(config: String = "") throws -> DaemonProcess {
        let daemon = DaemonProcess(config: config)
        try daemon.start()
        try applyDefinitions(daemon)
        return daemon
    }

    /// `motectl apply` of the definitions.
    func applyDefinitions(_ daemon: DaemonProcess) throws {
        let file = daemon.directory + "/defs.toml"
        try ImportTests.definitions.write(toFile: file, atomically: true, encoding: .utf8)
        let applied = try motectl(daemon, ["apply", "-f", file])
        guard applied.status == 0 else { throw TestFailure("apply: \(applied.stderr)") }
    }

    /// An infer body of one `[N, width]` FP64 tensor (NaN as null), asking for explanations
    /// when `explain`.
    static func inferBody(_ rows: [[Double]], width: Int, explain: Bool = false) -> [UInt8] {
        var body = JSONWriter()
        body.beginObject()
        if explain { body.key("parameters"); body.beginObject(); body.key("explain"); body.bool(true); body.endObject() }
        body.key("inputs"); body.beginArray(); body.beginObject()
        body.key("name"); body.string("x")
        body.key("shape"); body.beginArray(); body.int(rows.count); body.int(width); body.endArray()
        body.key("datatype"); body.string("FP64")
        body.key("data"); body.beginArray()
        for row in rows { for v in row.prefix(width) { if v.isNaN { body.null() } else { body.double(v) } } }
        body.endArray(); body.endObject(); body.endArray(); body.endObject()
        return body.bytes
    }

    /// Infer by tensor: the rows in, the probabilities (or predictions) out, per row.
    func infer(_ client: MoteClient, _ model: String, _ rows: [[Double]], width: Int) throws -> [[Double]] {
        let response = try client.post("/v2/models/\(model)/infer", json: Self.inferBody(rows, width: width))
        guard response.status == 200 else { throw TestFailure("infer \(model): \(response.status) \(response.text)") }
        let outputs = try response.json()["outputs"]?.arrayValue ?? []
        if let p = outputs.first(where: { $0["name"] == "probabilities" }) {
            let k = Int(p["shape"]?.arrayValue?.last?.int64Value ?? 1)
            let data = (p["data"]?.arrayValue ?? []).map { $0.doubleValue ?? .nan }
            return (0..<rows.count).map { Array(data[($0 * k)..<(($0 + 1) * k)]) }
        }
        let p = outputs.first { $0["name"] == "predictions" }
        return (p?["data"]?.arrayValue ?? []).map { [$0.doubleValue ?? .nan] }
    }

    /// Pushes the oracle's held-out rows as sensor readings of 400 machines, with their labels.
    func pushRows(_ daemon: DaemonProcess, _ rows: [[Double]], labels: [Int]) throws {
        var columns = (0..<6).map { _ in [String]() }
        var keys: [String] = []
        var times: [String] = []
        for (i, row) in rows.enumerated() {
            keys.append("\"m\(i)\"")
            times.append(String(Int(Date().timeIntervalSince1970) - 86_400 + i * 10))
            for c in 0..<6 { columns[c].append(row[c].isNaN ? "null" : String(row[c])) }
        }
        let fields = (0..<6).map { "\"f\($0)\":[\(columns[$0].joined(separator: ","))]" }.joined(separator: ",")
        let sensors = #"{"feature_view":"sensors","df":{"machine_id":[\#(keys.joined(separator: ","))],"event_timestamp":[\#(times.joined(separator: ","))],\#(fields)}}"#
        let client = daemon.client()
        #expect(try client.post("/v1/push", json: Array(sensors.utf8)).status == 200)
        let labelTimes = times.map { String(Int($0)! + 1) }
        let body = #"{"feature_view":"labels","df":{"machine_id":[\#(keys.joined(separator: ","))],"event_timestamp":[\#(labelTimes.joined(separator: ","))],"failed":[\#(labels.map(String.init).joined(separator: ","))]}}"#
        #expect(try client.post("/v1/push", json: Array(body.utf8)).status == 200)
    }

    @Test("imported files serve their library's numbers, by tensor and by entity key, with origin, reference and gating")
    func importAndServe() throws {
        let daemon = try definedDaemon()
        let client = daemon.client()

        // Every format through the socket, each equal to its library on the held-out rows.
        for name in ["lgb_binary", "lgb_multiclass", "xgb_binary_ubj", "xgb_regression", "skl_mlp", "skl_random_forest", "skl_gradient_boosting_regressor"] {
            let e = try OracleModels.entry(name)
            let imported = try motectl(daemon, ["models", "import", e.file, "--name", name])
            #expect(imported.status == 0, "\(name): \(imported.stderr)")
            #expect(imported.stdout.contains("imported as \(name) v1 (challenger)"), "\(imported.stdout)")
            let got = try infer(client, name, e.rows, width: 6)
            var worst = 0.0
            for (g, x) in zip(got, e.expected) {
                for (a, b) in zip(g, x) { worst = max(worst, e.task == "regression" ? abs(a - b) / max(abs(b), 1) : abs(a - b)) }
            }
            #expect(got.count == e.expected.count && worst <= 1e-6, "\(name): max difference \(worst)")
        }

        // Origin, signature, audit and outbox rows.
        let lgb = try OracleModels.entry("lgb_binary")
        let digest = SHA256.hex(of: try OracleModels.bytes(lgb.file))
        let v1 = try client.get("/v1/models/lgb_binary/versions/1").json()["version"] ?? .null
        #expect(v1["tags"]?["mote.origin.format"] == "lightgbm")
        #expect(v1["tags"]?["mote.origin.sha256"]?.stringValue == digest)
        #expect(v1["tags"]?["mote.origin.producer"]?.stringValue?.hasPrefix("LightGBM") == true)
        #expect(v1["signature"]?["inputs"]?.arrayValue?.count == 6)
        #expect(v1["aliases"]?.arrayValue?.contains("challenger") == true)
        let audit = try client.get("/v1/audit?limit=200").json()["entries"]?.arrayValue ?? []
        #expect(audit.contains { $0["action"] == "version.create" && $0["subject"] == "model:lgb_binary/1" }, "\(audit.prefix(3))")
        let outbox = try client.get("/v1/sync/outbox?limit=500").json()
        #expect("\(outbox)".contains("lgb_binary"), "\(outbox)")

        // Unbound inputs: predictions by key say what is missing.
        let unbound = try client.post("/v1/predict/lgb_binary", json: Array(#"{"entities":{"machine_id":["m1"]}}"#.utf8))
        #expect(unbound.status == 409 && unbound.text.contains("inputs_not_bound"), "\(unbound.text)")

        // Bound to features, with a reference CSV: predictions by entity key equal the tensor answer.
        try pushRows(daemon, lgb.rows, labels: try OracleModels.binaryLabels())
        let csv = daemon.directory + "/reference.csv"
        let csvText = "f0,f1,f2,f3,f4,f5\n" + lgb.rows.prefix(200).map { $0.map { $0.isNaN ? "" : String($0) }.joined(separator: ",") }.joined(separator: "\n")
        try csvText.write(toFile: csv, atomically: true, encoding: .utf8)
        let boundImport = try motectl(daemon, ["models", "import", lgb.file, "--name", "failure", "--inputs", ImportTests.bound, "--reference", csv])
        #expect(boundImport.status == 0, "\(boundImport.stderr)")
        #expect(boundImport.stdout.contains("200 rows from the reference file"), "\(boundImport.stdout)")
        let predicted = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m3","m4"]},"on_missing":"model"}"#.utf8))
        #expect(predicted.status == 200, "\(predicted.text)")
        let probabilities = (try predicted.json()["outputs"]?.arrayValue?.first { $0["name"] == "probabilities" }?["data"]?.arrayValue ?? []).map { $0.doubleValue ?? .nan }
        #expect(probabilities.count == 4)
        if probabilities.count == 4 {
            #expect(abs(probabilities[1] - lgb.expected[3][1]) <= 1e-6 && abs(probabilities[3] - lgb.expected[4][1]) <= 1e-6, "\(probabilities)")
        }
        let report = try client.get("/v1/models/failure/monitoring").json()
        #expect(report["reference"]?["rows"] == 200, "\(report)")
        let noReference = try client.get("/v1/models/lgb_multiclass/monitoring").json()
        #expect(noReference["reference"]?["rows"] == 0 && noReference["reference"]?["note"] != nil, "\(noReference)")

        // Gated: the noise champion is trained, the import stays challenger until evaluated.
        let trained = try motectl(daemon, ["train", "noise", "--wait"])
        #expect(trained.status == 0 && trained.stdout.contains("version 2 is champion"), "\(trained.stdout)\(trained.stderr)")
        let third = try motectl(daemon, ["models", "import", lgb.file, "--name", "failure", "--inputs", ImportTests.bound])
        #expect(third.status == 0 && third.stdout.contains("v3 (challenger)"), "\(third.stdout)\(third.stderr)")
        #expect(third.stdout.contains("rows from feature history"), "\(third.stdout)")
        let evaluated = try motectl(daemon, ["models", "evaluate", "failure", "challenger", "-o", "json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        let evaluation = try JSONParser.parse(evaluated.stdout)["evaluation"] ?? .null
        #expect(evaluation["promoted"] == true, "\(evaluation)")
        #expect((evaluation["metrics"]?["auc"]?.doubleValue ?? 0) > (evaluation["against_metrics"]?["auc"]?.doubleValue ?? 1), "\(evaluation)")
        let model = try client.get("/v1/models/failure").json()["model"] ?? .null
        #expect(model["aliases"]?["champion"] == 3, "\(model)")
        // The worse one does not get promoted back.
        let back = try motectl(daemon, ["models", "evaluate", "failure", "2", "-o", "json"])
        let backResult = try JSONParser.parse(back.stdout)["evaluation"] ?? .null
        #expect(backResult["promoted"] == false, "\(back.stdout)\(back.stderr)")
        #expect(try client.get("/v1/models/failure").json()["model"]?["aliases"]?["champion"] == 3)
        // Forced champion is possible (and audited).
        let forced = try motectl(daemon, ["models", "import", lgb.file, "--name", "forced", "--alias", "champion"])
        #expect(forced.stdout.contains("v1 (champion)"), "\(forced.stdout)\(forced.stderr)")
        #expect(daemon.log().contains("event=model_evaluated"))
    }

    @Test("explanations over the socket: LightGBM's and XGBoost's own TreeSHAP to 1e-6, by tensor and by entity key; a graph refuses")
    func explanations() throws {
        let daemon = try definedDaemon()
        let client = daemon.client()
        for name in ["lgb_binary", "xgb_multiclass"] {
            let e = try OracleModels.entry(name)
            #expect(try motectl(daemon, ["models", "import", e.file, "--name", name]).status == 0)
            let rows = Array(e.rows.prefix(40))
            let r = try client.post("/v2/models/\(name)/infer", json: Self.inferBody(rows, width: 6, explain: true))
            #expect(r.status == 200, "\(r.text)")
            let outputs = try r.json()["outputs"]?.arrayValue ?? []
            let contributions = outputs.first { $0["name"] == "explanations" }
            let base = outputs.first { $0["name"] == "explanation_base" }
            let outputsPerRow = e.contributions.first?.count ?? 1
            let shape = (contributions?["shape"]?.arrayValue ?? []).compactMap(\.int64Value)
            #expect(shape == (outputsPerRow > 1 ? [40, Int64(outputsPerRow), 6] : [40, 6]), "\(name): \(shape)")
            let c = (contributions?["data"]?.arrayValue ?? []).map { $0.doubleValue ?? .nan }
            let b = (base?["data"]?.arrayValue ?? []).map { $0.doubleValue ?? .nan }
            var worst = 0.0
            for r in 0..<rows.count {
                for o in 0..<outputsPerRow {
                    let want = e.contributions[r][o]
                    for f in 0..<6 { worst = max(worst, abs(c[(r * outputsPerRow + o) * 6 + f] - want[f]) / max(1, abs(want[f]))) }
                    worst = max(worst, abs(b[r * outputsPerRow + o] - want[6]) / max(1, abs(want[6])))
                }
            }
            #expect(c.count == 40 * outputsPerRow * 6 && worst <= 1e-6, "\(name): largest difference from the library \(worst)")
        }
        // By entity key, from the online features: the same numbers as the library's for those rows.
        let lgb = try OracleModels.entry("lgb_binary")
        try pushRows(daemon, lgb.rows, labels: try OracleModels.binaryLabels())
        #expect(try motectl(daemon, ["models", "import", lgb.file, "--name", "failure", "--inputs", ImportTests.bound]).status == 0)
        let byKey = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m3","m4"]},"on_missing":"model","explain":true}"#.utf8))
        #expect(byKey.status == 200, "\(byKey.text)")
        let explained = (try byKey.json()["outputs"]?.arrayValue?.first { $0["name"] == "explanations" }?["data"]?.arrayValue ?? []).map { $0.doubleValue ?? .nan }
        let want = Array(lgb.contributions[3][0].prefix(6)) + Array(lgb.contributions[4][0].prefix(6))
        #expect(explained.count == 12 && zip(explained, want).allSatisfy { abs($0 - $1) <= 1e-6 }, "\(explained) vs \(want)")
        // In words: the input with the largest contribution first, raised or lowered by its sign;
        // the same reasons kept with the prediction in the log.
        let m3 = Array(lgb.contributions[3][0].prefix(6))
        let order = (0..<6).sorted { abs(m3[$0]) > abs(m3[$1]) }
        let words = try motectl(daemon, ["predict", "failure", "--entity", "machine_id=m3", "--on-missing", "model", "--explain"])
        let first = "sensors:f\(order[0]) = "
        let line = words.stdout.split(separator: "\n").first { $0.contains("reasons") }.map(String.init) ?? ""
        #expect(words.status == 0 && line.contains(first) && line.contains(m3[order[0]] > 0 ? "raised the probability of the positive class most" : "lowered the probability of the positive class most"), "\(words.stdout) \(words.stderr)")
        let logged = try client.get("/v1/predictions?model=failure&limit=1")
        let reasons = try logged.json()["predictions"]?.arrayValue?.first?["reasons"]?.arrayValue ?? []
        #expect(reasons.map { $0["input"]?.stringValue ?? "" } == order.prefix(3).map { "sensors:f\($0)" }, "\(logged.text)")
        #expect(abs((reasons.first?["contribution"]?.doubleValue ?? 0) - m3[order[0]]) <= 1e-6 && (lgb.rows[3][order[0]].isNaN ? reasons.first?["value"] == .null : reasons.first?["value"]?.doubleValue == lgb.rows[3][order[0]]), "\(logged.text)")
        // A graph has no covers: refused with its own code, nothing else changes.
        let mlp = try OracleModels.entry("skl_mlp")
        #expect(try motectl(daemon, ["models", "import", mlp.file, "--name", "mlp"]).status == 0)
        let refused = try client.post("/v2/models/mlp/infer", json: Array(#"{"parameters":{"explain":true},"inputs":[{"name":"x","shape":[1,6],"datatype":"FP64","data":[0,0,0,0,0,0]}]}"#.utf8))
        #expect(refused.status == 409 && refused.text.contains("explanation_unavailable"), "\(refused.text)")
        let bad = try client.post("/v2/models/lgb_binary/infer", json: Array(#"{"parameters":{"explain":"yes"},"inputs":[{"name":"x","shape":[1,6],"datatype":"FP64","data":[0,0,0,0,0,0]}]}"#.utf8))
        #expect(bad.status == 422 && bad.text.contains("invalid_shape") && bad.text.contains("explain"), "\(bad.text)")
    }

    @Test("damaged, hostile and unsupported files are refused with their own codes and change nothing")
    func refusals() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        func post(_ bytes: [UInt8], _ query: String) throws -> ClientResponse {
            try client.send("POST", "/v1/models/import?" + query, body: bytes, contentType: "application/octet-stream")
        }
        let onnx = try OracleModels.bytes(try OracleModels.entry("skl_mlp").file)
        let lgbText = try OracleModels.bytes(try OracleModels.entry("lgb_binary").file)
        let xgb = try OracleModels.bytes(try OracleModels.entry("xgb_binary_ubj").file)
        var cases: [(String, [UInt8], String, Int, String)] = [
            ("unknown format", Array("hello, world".utf8), "model=a", 422, "model_format_unknown"),
            ("truncated ONNX", Array(onnx.prefix(onnx.count / 2)), "model=a&format=onnx", 422, "model_file_invalid"),
            ("truncated LightGBM", Array(lgbText.prefix(lgbText.count / 2)), "model=a", 422, "model_file_invalid"),
            ("truncated UBJSON", Array(xgb.prefix(xgb.count / 3)), "model=a&format=xgboost", 422, "model_file_invalid"),
            ("wrong input count", lgbText, "model=a&inputs=sensors:f0", 422, "inputs_invalid"),
            ("unknown format name", lgbText, "model=a&format=pickle", 400, "invalid_parameter"),
            ("bad alias", lgbText, "model=a&alias=staging", 400, "invalid_parameter"),
            ("no model name", lgbText, "", 400, "invalid_parameter"),
        ]
        // A cycle in a LightGBM tree: the first split's left child points back to it.
        var text = String(decoding: lgbText, as: UTF8.self)
        if let range = text.range(of: "left_child=") {
            let end = text[range.upperBound...].firstIndex(of: " ")!
            text.replaceSubrange(range.upperBound..<end, with: "0")
        }
        cases.append(("a cycle in a tree", Array(text.utf8), "model=a", 422, "model_file_invalid"))
        // An out-of-range feature index.
        var outOfRange = String(decoding: lgbText, as: UTF8.self)
        if let range = outOfRange.range(of: "split_feature=") {
            let end = outOfRange[range.upperBound...].firstIndex(of: " ")!
            outOfRange.replaceSubrange(range.upperBound..<end, with: "4000")
        }
        cases.append(("feature out of range", Array(outOfRange.utf8), "model=a", 422, "model_file_invalid"))
        // A huge declared size: a protobuf field claiming 2^40 bytes.
        cases.append(("huge declared size", [0x08, 0x07, 0x3A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00], "model=a&format=onnx", 422, "model_file_invalid"))
        // An operator mote does not implement: the MLP's Relu renamed to Mish.
        var renamed = onnx
        while let at = UploadedFilesSearch.find(Array("Relu".utf8), in: renamed) { renamed.replaceSubrange(at..<(at + 4), with: Array("Mish".utf8)) }
        cases.append(("unsupported operator", renamed, "model=a", 422, "model_unsupported"))
        for (what, body, query, status, code) in cases {
            let response = try post(body, query)
            #expect(response.status == status, "\(what): \(response.status) \(response.text.prefix(300))")
            #expect(response.apiError?.code == code, "\(what): \(response.status) \(response.text.prefix(300))")
        }
        let mish = try post(try #require(cases.last?.1), "model=a")
        #expect(mish.text.contains("Mish"), "\(mish.text)")
        // Nothing was registered, no artifact stored.
        #expect(try client.get("/v1/models/a").status == 404)
        let artifacts = (try? FileManager.default.contentsOfDirectory(atPath: daemon.stateDir + "/artifacts/sha256")) ?? []
        #expect(artifacts.isEmpty, "\(artifacts)")
        // Mote exports: a tampered artifact with a recomputed digest, or a size that is not
        // the artifact's, is refused; nothing is registered.
        let good = try post(lgbText, "model=source")
        #expect(good.status == 201, "\(good.text.prefix(300))")
        let export = try client.get("/v1/models/source/versions/1/export").json()
        func tampered(_ change: (inout JSONObject, inout JSONObject) -> Void) throws -> ClientResponse {
            guard case .object(var root) = export, case .object(var artifact)? = export["artifact"] else { throw TestFailure("no export") }
            change(&root, &artifact)
            root["artifact"] = .object(artifact)
            var w = JSONWriter()
            w.value(.object(root))
            return try client.send("POST", "/v1/models/import?model=b", body: w.bytes, contentType: "application/json")
        }
        let notABundle = Array("{\"format\": \"something else\"}".utf8)
        let foreign = try tampered { _, a in
            a["base64"] = .string(Base64.encode(notABundle))
            a["sha256"] = .string(SHA256.hex(of: notABundle))
            a["size"] = .integer(Int64(notABundle.count))
        }
        #expect(foreign.status == 422 && foreign.apiError?.code == "artifact_invalid", "\(foreign.text)")
        for size: JSONValue in [.integer(1_000_000_000_000_000), .integer(-1), .string("12")] {
            let response = try tampered { _, a in a["size"] = size }
            #expect(response.status == 422, "size \(size): \(response.text)")
        }
        #expect(try client.get("/v1/models/b").status == 404)
        let roundTrip = try tampered { _, _ in }
        #expect(roundTrip.status == 201, "\(roundTrip.text)")

        // Larger than limits.max_upload_bytes (256 MiB): 413 from the head, before any body.
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("POST /v1/models/import?model=a HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 300000000\r\n\r\n")
        let answer = socket.readResponses(1)
        #expect(answer.first?.status == 413 && answer.first?.body.contains("max_upload_bytes") == true, "\(answer)")
        // A model file within the upload limit but over max_body_bytes (8 MiB) reaches the route.
        let large = try post([UInt8](repeating: 0x41, count: 9 << 20), "model=a")
        #expect(large.status == 422 && large.apiError?.code == "model_format_unknown", "\(large.status) \(large.text.prefix(200))")
        // JSON routes still refuse a file body.
        let wrongType = try client.send("POST", "/v1/push", body: [1, 2, 3], contentType: "application/octet-stream")
        #expect(wrongType.status == 415)
    }
}

/// Byte search for the tests.
enum UploadedFilesSearch {
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}
