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
        let file = daemon.directory + "/defs.toml"
        try Self.definitions.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try runCommand(DaemonProcess.motectlPath, ["apply", "-f", file, "--socket", daemon.socketPath]).status == 0)

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
}
