import Foundation
import MoteClient
import MoteCore
import Testing

/// Serving over the socket: Open Inference Protocol v2 shapes, entity-key predictions, hot
/// swap under load, a damaged version refused while the old one serves.
@Suite("inference over the socket", .serialized)
struct InferenceTests {
    /// A daemon with two versions of `failure` trained (v1 weak, v2 strong and champion).
    func trainedDaemon(config: String = "") throws -> DaemonProcess {
        let daemon = DaemonProcess(config: config)
        try daemon.start()
        #expect(try daemon.apply(TrainingTests.definitions).status == 0)
        try MachineData.push(daemon)
        for spec in ["weak", "strong"] {
            let r = try runCommand(DaemonProcess.motectlPath, ["train", spec, "--wait", "--socket", daemon.socketPath])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        }
        return daemon
    }

    @Test("inference.log_sample_rate below 1: every row is logged, the inputs of about that share; nothing fails")
    func sampledLog() throws {
        // A sampled log once trapped on its second draw (an atomic add that overflowed).
        let daemon = try trainedDaemon(config: "[inference]\nlog_sample_rate = 0.5\n")
        let client = daemon.client()
        let machines = (0..<400).map { "\"m\($0)\"" }.joined(separator: ",")
        for _ in 0..<2 {
            #expect(try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":[\#(machines)]}}"#.utf8)).status == 200)
        }
        let logged = try client.get("/v1/predictions?model=failure&limit=800").json()["predictions"]?.arrayValue ?? []
        let withInputs = logged.filter { $0["inputs"]?.arrayValue?.count == 3 }.count
        #expect(logged.count == 800 && (250...550).contains(withInputs), "\(logged.count) rows, \(withInputs) with inputs")
        #expect(daemon.stop() == 0)
    }

    static let oneRow = #"{"id":"req-7","inputs":[{"name":"sensors:temp","shape":[1],"datatype":"FP64","data":[91.5]},{"name":"sensors:vibration","shape":[1,1],"datatype":"FP32","data":[[0.8]]},{"name":"sensors:mode","shape":[1],"datatype":"BYTES","data":["run"]}]}"#

    /// Checks a tensor description: name, datatype, shape of integers.
    func checkTensor(_ t: JSONValue?, data: Bool) {
        #expect(t?["name"]?.stringValue != nil)
        #expect(t?["datatype"]?.stringValue.map { ["BOOL", "INT64", "FP32", "FP64", "BYTES"].contains($0) } == true)
        let shape = t?["shape"]?.arrayValue?.compactMap(\.int64Value) ?? []
        #expect(!shape.isEmpty && shape.count == t?["shape"]?.arrayValue?.count)
        if data {
            let count = shape.reduce(1, *)
            #expect(Int64(t?["data"]?.arrayValue?.count ?? -1) == count, "data length fits the shape")
        }
    }

    @Test("every answer has the Open Inference Protocol v2 shape, versioned and unversioned; errors are {error, code}")
    func conformance() throws {
        let daemon = try trainedDaemon()
        let client = daemon.client()
        let server = try client.get("/v2").json()
        #expect(server["name"]?.stringValue == "mote" && server["version"]?.stringValue != nil && server["extensions"]?.arrayValue != nil)
        for path in ["/v2/models/failure", "/v2/models/failure/versions/1", "/v2/models/failure/versions/champion"] {
            let meta = try client.get(path)
            #expect(meta.status == 200, "\(path)")
            let m = try meta.json()
            #expect(m["name"] == "failure")
            #expect(m["versions"] == ["1", "2"])
            #expect(m["platform"]?.stringValue != nil)
            for t in m["inputs"]?.arrayValue ?? [] { checkTensor(t, data: false); #expect(t["shape"] == [-1]) }
            for t in m["outputs"]?.arrayValue ?? [] { checkTensor(t, data: false); #expect(t["shape"]?.arrayValue?.first == -1) }
            // Version 1 (the weak spec) reads the mode only.
            #expect(m["inputs"]?.arrayValue?.count == (path.hasSuffix("/1") ? 1 : 3))
            #expect(m["outputs"]?.arrayValue?.count == 2)
        }
        for path in ["/v2/models/failure/ready", "/v2/models/failure/versions/2/ready"] {
            let ready = try client.get(path)
            #expect(ready.status == 200)
            #expect(try ready.json() == ["name": "failure", "ready": true])
        }
        for path in ["/v2/models/failure/infer", "/v2/models/failure/versions/2/infer", "/v2/models/failure/versions/champion/infer"] {
            let answer = try client.post(path, json: Array(Self.oneRow.utf8))
            #expect(answer.status == 200, "\(path): \(answer.text)")
            let a = try answer.json()
            #expect(a["model_name"] == "failure")
            #expect(a["model_version"] == "2")
            #expect(a["id"] == "req-7")
            let outputs = a["outputs"]?.arrayValue ?? []
            #expect(outputs.map { $0["name"] } == ["label", "probabilities"])
            for t in outputs { checkTensor(t, data: true) }
            #expect(outputs[1]["shape"] == [1, 2])
            #expect(outputs[0]["data"] == ["true"])  // 91.5 degrees and shaking: failing
        }
        // The [N, F] form, nested rows, and an older version by number.
        let matrix = #"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP64","data":[[91.5,0.8,null],[41,0.1,null]]}]}"#
        let m = try client.post("/v2/models/failure/versions/1/infer", json: Array(matrix.utf8))
        #expect(m.status == 422, "a model with a string input takes no [N, F] tensor: \(m.text)")
        // Version 2 has three inputs, one a string: a number in its column is refused, not read as missing.
        let m2 = try client.post("/v2/models/failure/versions/2/infer", json: Array(matrix.utf8))
        #expect(m2.status == 422 && m2.text.contains("sensors:mode"), "\(m2.text)")
        // Errors: shape {error, code} and the right status (one status per kind of mistake:
        // a body not of the protocol's shape or not fitting the model is 422, as everywhere).
        let cases: [(String, String, Int)] = [
            ("/v2/models/nope/infer", Self.oneRow, 404),
            ("/v2/models/failure/versions/9/infer", Self.oneRow, 404),
            ("/v2/models/failure/infer", #"{"inputs":[]}"#, 422),
            ("/v2/models/failure/infer", #"{"inputs":[{"name":"sensors:temp","shape":[2],"datatype":"FP64","data":[1]}]}"#, 422),
            ("/v2/models/failure/infer", #"{"inputs":[{"name":"sensors:temp","shape":[1],"datatype":"FP128","data":[1]}]}"#, 422),
            ("/v2/models/failure/infer", #"{"inputs":[{"name":"sensors:temp","shape":[1],"datatype":"FP64","data":[1]}],"extra":1}"#, 422),
            ("/v2/models/failure/infer", #"{"inputs":[{"name":"sensors:temp","shape":[1],"datatype":"FP64","data":[1]}]}"#, 422),
            ("/v2/models/failure/infer", #"{"inputs":[{"name":"sensors:mode","shape":[1],"datatype":"FP64","data":[1]},{"name":"sensors:temp","shape":[1],"datatype":"FP64","data":[1]},{"name":"sensors:vibration","shape":[1],"datatype":"FP64","data":[1]}]}"#, 422),
            ("/v2/models/failure/infer", "{not json", 400),
        ]
        for (path, body, status) in cases {
            let r = try client.post(path, json: Array(body.utf8))
            #expect(r.status == status, "\(path) \(body): \(r.text)")
            #expect(r.apiError != nil, "error body {error, code}: \(r.text)")
        }
        #expect(try client.get("/v2/models/nope/ready").status == 404)
        #expect(daemon.stop() == 0)
    }

    @Test("entity-key predictions read the online features; a missing entity is an error row, never a prediction from zeros")
    func entityKeys() throws {
        let daemon = try trainedDaemon()
        let answer = try daemon.client().post(
            "/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m1","m2","ghost"]}}"#.utf8))
        #expect(answer.status == 200, "\(answer.text)")
        let a = try answer.json()
        let rows = a["rows"]?.arrayValue ?? []
        #expect(rows.count == 3)
        #expect(Set(rows.compactMap { $0["prediction_id"]?.stringValue }).count == 3)
        #expect(rows[0]["statuses"] == ["PRESENT", "PRESENT", "PRESENT"])
        #expect(rows[0]["error"] == .null)
        #expect(rows[2]["error"]?.stringValue?.contains("NOT_FOUND") == true)
        let probabilities = a["outputs"]?.arrayValue?[1]["data"]?.arrayValue ?? []
        #expect(probabilities.count == 6)
        #expect(probabilities[4] == .null && probabilities[5] == .null)
        #expect(probabilities[0].doubleValue != nil)
        // Both predicted rows are in the prediction log (written off the request path), with
        // their entity key, input values and outputs; the error row is not.
        let ids = Set(rows.prefix(2).compactMap { $0["prediction_id"]?.stringValue })
        var logged: [JSONValue] = []
        for _ in 0..<50 {
            logged = try daemon.client().get("/v1/predictions?model=failure").json()["predictions"]?.arrayValue ?? []
            if Set(logged.compactMap { $0["prediction_id"]?.stringValue }).isSuperset(of: ids) { break }
            usleep(100_000)
        }
        let mine = logged.filter { ids.contains($0["prediction_id"]?.stringValue ?? "") }
        #expect(mine.count == 2, "\(logged)")
        #expect(Set(mine.compactMap { $0["entity_key"]?.stringValue }) == ["m1", "m2"])
        #expect(mine.allSatisfy { $0["inputs"]?.arrayValue?.count == 3 && $0["outputs"]?.arrayValue?.count == 1 && $0["version"] == 2 })
        // The CLI: by entity, by values, and what serves how fast.
        let byEntity = try runCommand(DaemonProcess.motectlPath, ["predict", "failure", "--entity", "machine_id=m1", "--socket", daemon.socketPath])
        #expect(byEntity.status == 0, "\(byEntity.stderr)")
        #expect(byEntity.stdout.contains("prediction_id") && byEntity.stdout.contains("PRESENT"))
        let byValues = try runCommand(
            DaemonProcess.motectlPath,
            ["predict", "failure", "--input", #"{"sensors:temp": 91.5, "sensors:vibration": 0.8, "sensors:mode": "run"}"#, "--socket", daemon.socketPath])
        #expect(byValues.status == 0, "\(byValues.stderr)")
        #expect(byValues.stdout.contains("label") && byValues.stdout.contains("true"), "\(byValues.stdout)")
        let ghost = try runCommand(DaemonProcess.motectlPath, ["predict", "failure", "--entity", "machine_id=ghost", "--socket", daemon.socketPath])
        #expect(ghost.status == 1)
        #expect(ghost.stdout.contains("NOT_FOUND"))
        let show = try runCommand(DaemonProcess.motectlPath, ["models", "show", "failure", "--socket", daemon.socketPath])
        #expect(show.stdout.contains("serving") && show.stdout.contains("v2 (gbdt)"), "\(show.stdout)")
        #expect(show.stdout.contains("p50"))
        // Metrics per model and version.
        let metrics = try daemon.client().get("/metrics").text
        #expect(metrics.contains(#"mote_inference_requests_total{model="failure",version="2"}"#), "\(metrics.prefix(300))")
        #expect(metrics.contains(#"mote_inference_rows_total{model="failure",version="2"}"#))
        #expect(daemon.stop() == 0)
    }

    /// `n` rows of the three inputs; `shift` moves the temperatures.
    static func rows(_ n: Int, seed: UInt64, shift: Double) -> String {
        var s = seed
        func next() -> Double {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) / Double(UInt64(1) << 53)
        }
        var temps: [String] = []
        var vibrations: [String] = []
        var modes: [String] = []
        for i in 0..<n {
            temps.append(String(40 + next() * 60 + shift))
            vibrations.append(String(next()))
            modes.append("\"\(["idle", "run", "boost"][i % 3])\"")
        }
        return #"{"inputs":[{"name":"sensors:temp","shape":[\#(n)],"datatype":"FP64","data":[\#(temps.joined(separator: ","))]},{"name":"sensors:vibration","shape":[\#(n)],"datatype":"FP64","data":[\#(vibrations.joined(separator: ","))]},{"name":"sensors:mode","shape":[\#(n)],"datatype":"BYTES","data":[\#(modes.joined(separator: ","))]}]}"#
    }

    @Test("moving champion under load swaps versions with no failed request; a damaged version is refused as champion and the old one keeps serving")
    func hotSwap() throws {
        let daemon = try trainedDaemon()
        let admin = daemon.client()
        #expect(try admin.send("PUT", "/v1/models/failure/aliases/champion", body: Array(#"{"version":1}"#.utf8), contentType: "application/json").status == 200)
        let stop = ManagedAtomicFlag()
        let results = LockedResults()
        let workers = (0..<3).map { worker in
            Thread {
                let client = daemon.client()
                while !stop.isSet {
                    do {
                        // By entity key: versions 1 and 2 read different features, the caller need not know.
                        let r = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":["m1"]}}"#.utf8))
                        results.add(worker: worker, status: r.status, version: (try? r.json())?["model_version"]?.stringValue ?? "")
                    } catch {
                        results.add(worker: worker, status: -1, version: "")
                    }
                }
            }
        }
        for w in workers { w.start() }
        usleep(300_000)
        // The version as MLflow's REST API sends it: a string of digits (anything else is refused).
        #expect(try admin.send("PUT", "/v1/models/failure/aliases/champion", body: Array(#"{"version":"2"}"#.utf8), contentType: "application/json").status == 200)
        for bad in [#"{"version":"2a"}"#, #"{"version":"-2"}"#, #"{"version":""}"#, #"{"version":2.5}"#] {
            let refused = try admin.send("PUT", "/v1/models/failure/aliases/staging", body: Array(bad.utf8), contentType: "application/json")
            #expect(refused.status == 422 && refused.apiError?.code == "invalid_shape", "\(bad): \(refused.text)")
        }
        #expect(try admin.get("/v1/models/failure").json()["model"]?["aliases"]?["staging"] == nil)
        usleep(500_000)
        // Damage version 1's artifact, then point champion at it: refused, version 2 keeps serving.
        let v1 = try admin.get("/v1/models/failure/versions/1").json()["version"]?["artifact_digest"]?.stringValue ?? ""
        let path = daemon.stateDir + "/artifacts/sha256/" + v1
        chmod(path, 0o644)
        try "not a model".write(toFile: path, atomically: false, encoding: .utf8)
        let refused = try admin.send("PUT", "/v1/models/failure/aliases/champion", body: Array(#"{"version":1}"#.utf8), contentType: "application/json")
        #expect(refused.status == 409 && refused.apiError?.code == "version_not_servable", "\(refused.text)")
        #expect(try admin.get("/v1/models/failure/versions/champion").json()["version"]?["version"] == 2, "champion did not move")
        usleep(200_000)
        stop.set()
        for w in workers { while !w.isFinished { usleep(10_000) } }
        let (statuses, versions) = results.snapshot
        #expect(statuses.count > 50, "requests made: \(statuses.count)")
        #expect(statuses.allSatisfy { $0 == 200 }, "\(Set(statuses))")
        #expect(versions.first == "1")
        #expect(versions.last == "2", "the damaged version 1 never replaced version 2")
        // On each connection, once version 2 answered, version 1 never came back (requests of
        // different connections may finish in another order than they started).
        for worker in 0..<3 {
            let mine = results.versions(of: worker)
            if let firstTwo = mine.firstIndex(of: "2") { #expect(!mine[firstTwo...].contains("1"), "worker \(worker)") }
        }
        #expect(daemon.log().contains("event=model_swapped"))
        #expect(try admin.get("/v2/models/failure/versions/1/ready").status == 503)
        // The damaged version itself answers 503 artifact_corrupt (not 500), for inference and export.
        let corrupt = try admin.post("/v2/models/failure/versions/1/infer", json: Array(Self.oneRow.utf8))
        #expect(corrupt.status == 503 && corrupt.apiError?.code == "artifact_corrupt", "\(corrupt.text)")
        let export = try admin.get("/v1/models/failure/versions/1/export")
        #expect(export.status == 503 && export.apiError?.code == "artifact_corrupt", "\(export.text)")
        #expect(try admin.post("/v2/models/failure/versions/2/infer", json: Array(Self.oneRow.utf8)).status == 200)
        #expect(daemon.stop() == 0)
    }
}

/// A flag set once, read by worker threads.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Statuses and versions seen by worker threads, in order.
final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [Int] = []
    private var versions: [String] = []
    private var workers: [Int] = []
    func add(worker: Int, status: Int, version: String) {
        lock.withLock {
            statuses.append(status)
            versions.append(version)
            workers.append(worker)
        }
    }
    func versions(of worker: Int) -> [String] {
        lock.withLock { zip(workers, versions).filter { $0.0 == worker }.map(\.1) }
    }
    var snapshot: ([Int], [String]) { lock.withLock { (statuses, versions) } }
}
