import Foundation
import MoteClient
import MoteCore
import Testing

/// Tracking and the model registry over the socket.
@Suite("registry over the socket", .serialized)
struct RegistrySocketTests {
    func post(_ client: MoteClient, _ path: String, _ body: String, method: String = "POST") throws -> (Int, JSONValue) {
        let response = try client.send(method, path, body: Array(body.utf8), contentType: "application/json")
        return (response.status, (try? response.json()) ?? .null)
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
        let (changed, _) = try post(client, "/v1/runs/\(runs[0])/log", #"{"params":{"depth":99}}"#)
        #expect(changed == 409)
        #expect(try post(client, "/v1/runs/\(runs[1])/finish", #"{"status":"FINISHED"}"#).0 == 200)
        let (_, found) = try post(client, "/v1/runs/search", #"{"experiments":["press-7"],"filter":"metrics.rmse < 0.8 and params.depth >= 5","order_by":["metrics.rmse ASC"]}"#)
        let names = found["runs"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["r1", "r2"])
        #expect(try post(client, "/v1/runs/search", #"{"filter":"metrics.rmse <"}"#).0 == 400)

        // An artifact placed in the store (the trainer writes them in-process).
        let model = Array("tree ensemble".utf8)
        let digest = SHA256.hex(of: model)
        try Data(model).write(to: URL(fileURLWithPath: daemon.stateDir + "/artifacts/sha256/" + digest))
        let (created, version) = try post(client, "/v1/models/press/versions", #"{"run_id":"\#(runs[1])","artifact_digest":"\#(digest)","format":"mote-gbdt","metrics":{"rmse":0.4}}"#)
        #expect(created == 201 && version["version"]?["version"] == 1)
        #expect(try post(client, "/v1/models/press/versions", #"{"artifact_digest":"\#(String(repeating: "0", count: 64))","format":"x"}"#).0 == 404)
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
        #expect(kinds.suffix(3) == ["model_created", "version_registered", "alias_set"])
        #expect(outbox["pending"]?.int64Value == Int64(kinds.count))
        #expect(daemon.stop() == 0)
    }
}
