import Foundation
import MoteClient
import MoteCore
import Testing

/// The Python of the client venv (`MOTE_CLIENTS_PYTHON`, set by `make test`): the Feast SDK,
/// tritonclient, the KServe client and httpx, from PyPI.
let clientsPython: String? = {
    let path = ProcessInfo.processInfo.environment["MOTE_CLIENTS_PYTHON"] ?? ""
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// The clients people already use, against a real moted: every example of docs/clients.md
/// runs and prints what the page shows; the Feast-shaped routes keep their rules.
@Suite("client libraries", .serialized)
struct ClientLibraryTests {
    @Test(
        "docs/clients.md: the Feast SDK, tritonclient (binary and JSON), the KServe client, httpx, curl and MoteClient print what the page shows",
        .enabled(if: clientsPython != nil, "needs the client venv (make test-deps)"))
    func documentedExamples() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        var environment = ProcessInfo.processInfo.environment
        environment["MOTE_SOCKET"] = daemon.socketPath
        environment["PATH"] = DaemonProcess.binDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let result = try runCommand(
            clientsPython!,
            [Repository.path("Tests/scripts/doc_examples.py"), Repository.path("docs/clients.md"),
             "--workdir", daemon.directory + "/clients", "--port", String(MLflowServer.freePort())],
            environment: environment, timeout: 600)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "ran: ").count - 1 == 10, "every example ran: \(result.stdout)")
        // What Feast pushed is in the box's history too, not only the online cache.
        let joined = try daemon.client().post(
            "/v1/historical-features",
            json: Array(#"{"feature_service":"failure_inputs","entity_df":{"machine_id":["m3"],"event_timestamp":["2026-11-30T10:00:00Z"]},"format":"jsonl"}"#.utf8))
        #expect(joined.status == 200 && joined.text.contains(#""temp":78.0"#), "\(joined.text)")
        #expect(daemon.stop() == 0)
    }

    static let definitions = """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "sensors"
        entity = "machine"
        fields = [{ name = "temp", type = "float64" }, { name = "vibration", type = "float64" }]

        [[feature_service]]
        name = "both"
        features = ["sensors"]

        [[feature_service]]
        name = "temp_only"
        features = ["sensors:temp"]
        """

    func apply(_ daemon: DaemonProcess, _ text: String) throws {
        let body = JSONValue.object(JSONObject([("toml", .string(text))]))
        var w = JSONWriter()
        w.value(body)
        let applied = try daemon.client().post("/v1/apply", json: w.bytes)
        #expect(applied.status == 200, "\(applied.text)")
    }

    @Test("Feast's write route: naive times are UTC, a created column, Feast's keys accepted; an unknown key or column is refused and stores nothing")
    func feastWrites() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon, Self.definitions)
        let client = daemon.client()
        let write = try client.post("/v1/write-to-online-store", json: Array(#"""
            {"feature_view_name":"sensors","allow_registry_cache":false,"transform_on_write":true,
             "df":{"machine_id":["a","b"],"event_timestamp":["2026-11-30T08:00:00","2026-11-30T08:00:00.250000"],
                   "created":["2026-11-30T08:00:01",null],"temp":[20,21.5],"vibration":[0.1,null]}}
            """#.utf8))
        #expect(write.status == 200, "\(write.text)")
        #expect(try write.json()["to"]?.stringValue == "online_and_offline")
        let read = try client.post("/v1/get-online-features", json: Array(#"{"features":["sensors:temp","sensors:vibration"],"entities":{"machine_id":["a","b"]}}"#.utf8)).json()
        let results = read["results"]?.arrayValue ?? []
        // A naive time is UTC; a float64 keeps its fraction in JSON (Feast's SDK reads types from it).
        #expect(results[1]["event_timestamps"] == ["2026-11-30T08:00:00Z", "2026-11-30T08:00:00.250000Z"], "\(read)")
        #expect(results[1]["values"] == [.double(20), .double(21.5)])
        #expect(results[2]["statuses"] == ["PRESENT", "NULL_VALUE"])
        let text = try client.post("/v1/get-online-features", json: Array(#"{"features":["sensors:temp"],"entities":{"machine_id":["a"]}}"#.utf8)).text
        #expect(text.contains("[20.0]"), "\(text)")
        // Refused, and nothing stored: an unknown top-level key, an unknown column, a misspelt view key.
        for bad in [
            #"{"feature_view_name":"sensors","too":"online","df":{"machine_id":["c"],"event_timestamp":["2026-11-30T08:00:00"],"temp":[1.0]}}"#,
            #"{"feature_view_name":"sensors","df":{"machine_id":["c"],"event_timestamp":["2026-11-30T08:00:00"],"tmp":[1.0]}}"#,
            #"{"feature_view":"sensors","df":{"machine_id":["c"],"event_timestamp":["2026-11-30T08:00:00"],"temp":[1.0]}}"#,
            #"{"feature_view_name":"sensors","allow_registry_cache":"yes","df":{"machine_id":["c"],"event_timestamp":["2026-11-30T08:00:00"],"temp":[1.0]}}"#,
        ] {
            let refused = try client.post("/v1/write-to-online-store", json: Array(bad.utf8))
            #expect(refused.status == 422, "\(bad): \(refused.text)")
            #expect(["unknown_key", "invalid_shape"].contains(refused.apiError?.code ?? ""), "\(refused.text)")
        }
        let after = try client.post("/v1/get-online-features", json: Array(#"{"features":["sensors:temp"],"entities":{"machine_id":["c"]}}"#.utf8)).json()
        #expect(after["results"]?.arrayValue?[1]["statuses"] == ["NOT_FOUND"])
        // /v1/push takes Feast's push request whole (push_source_name, to, transform_on_write).
        let push = try client.post("/v1/push", json: Array(#"{"push_source_name":"sensors","to":"online","transform_on_write":false,"allow_registry_cache":true,"df":{"machine_id":["d"],"event_timestamp":["2026-11-30T08:00:00"],"temp":[3.5]}}"#.utf8))
        let pushed = try push.json()["to"]?.stringValue
        #expect(push.status == 200 && pushed == "online", "\(push.text)")
        #expect(daemon.stop() == 0)
    }

    @Test("Feast's read: feature services, view versions on request, unknown keys ignored, bad values of known keys refused")
    func feastReads() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        try apply(daemon, Self.definitions)
        let client = daemon.client()
        #expect(try client.post("/v1/push", json: Array(#"{"feature_view":"sensors","df":{"machine_id":["a"],"event_timestamp":["2026-11-30T08:00:00Z"],"temp":[20.5],"vibration":[0.25]}}"#.utf8)).status == 200)
        // What Feast's SDK sends: include_feature_view_version_metadata false, and a key of a newer SDK.
        let sdk = try client.post("/v1/get-online-features", json: Array(#"{"entities":{"machine_id":["a"]},"full_feature_names":false,"include_feature_view_version_metadata":false,"features":["sensors:temp"],"some_future_key":{"x":1}}"#.utf8))
        #expect(sdk.status == 200, "\(sdk.text)")
        #expect(try sdk.json()["results"]?.arrayValue?[1]["values"] == [.double(20.5)])
        // A feature service: a whole view, or one field; with full names.
        let both = try client.post("/v1/get-online-features", json: Array(#"{"feature_service":"both","entities":{"machine_id":["a"]},"full_feature_names":true}"#.utf8)).json()
        #expect(both["metadata"]?["feature_names"] == ["machine_id", "sensors__temp", "sensors__vibration"], "\(both)")
        #expect(both["results"]?.arrayValue?[2]["values"] == [.double(0.25)])
        let one = try client.post("/v1/get-online-features", json: Array(#"{"feature_service":"temp_only","features":[],"entities":{"machine_id":["a"]}}"#.utf8)).json()
        #expect(one["metadata"]?["feature_names"] == ["machine_id", "temp"])
        // Versions: the definitions version at which each view last changed.
        func versions() throws -> JSONValue? {
            try client.post("/v1/get-online-features", json: Array(#"{"feature_service":"both","entities":{"machine_id":["a"]},"include_feature_view_version_metadata":true}"#.utf8)).json()["metadata"]?["feature_view_metadata"]
        }
        #expect(try versions() == .array([.object(JSONObject([("name", "sensors"), ("version", .integer(1))]))]))
        try apply(daemon, Self.definitions.replacingOccurrences(of: #"{ name = "vibration", type = "float64" }"#, with: #"{ name = "vibration", type = "float64" }, { name = "load", type = "float64" }"#))
        #expect(try versions()?.arrayValue?.first?["version"] == .integer(2))
        // The service that names the whole view now has the new field too.
        let grown = try client.post("/v1/get-online-features", json: Array(#"{"feature_service":"both","entities":{"machine_id":["a"]}}"#.utf8)).json()
        #expect(grown["metadata"]?["feature_names"] == ["machine_id", "temp", "vibration", "load"])
        // Known keys still have types; a service that does not exist is 404; not both lists.
        for (bad, status) in [
            (#"{"feature_service":"nope","entities":{"machine_id":["a"]}}"#, 404),
            (#"{"feature_service":"both","features":["sensors:temp"],"entities":{"machine_id":["a"]}}"#, 422),
            (#"{"feature_service":3,"entities":{"machine_id":["a"]}}"#, 422),
            (#"{"features":["sensors:temp"],"include_feature_view_version_metadata":"yes","entities":{"machine_id":["a"]}}"#, 422),
        ] {
            let refused = try client.post("/v1/get-online-features", json: Array(bad.utf8))
            #expect(refused.status == status, "\(bad): \(refused.text)")
        }
        // A feature service that names a missing view or field is refused at apply, naming it.
        let body = JSONValue.object(JSONObject([("toml", .string(Self.definitions + "\n[[feature_service]]\nname = \"bad\"\nfeatures = [\"sensors:pressure\"]\n"))]))
        var w = JSONWriter()
        w.value(body)
        let refused = try client.post("/v1/apply", json: w.bytes)
        #expect(refused.status == 422 && refused.text.contains("pressure"), "\(refused.text)")
        #expect(daemon.stop() == 0)
    }
}
