import Foundation
import MoteClient
import MoteCore
import OracleModels
import Testing

/// Loaded models in the real daemon: a model without traffic is unloaded and answers its next
/// request as before (the request waits for the load, it does not fail); `preload` models stay;
/// loaded versions are held within `inference.max_loaded_mib`, the least recently used going
/// first; `/metrics` shows what is loaded and its bytes.
@Suite("loaded models: idle unload and the memory bound", .serialized)
struct LoadedModelsTests {
    let names = ["a": "lgb_binary", "b": "xgb_binary_json", "c": "lgb_regression"]

    /// `mote_models_loaded` and the per-version bytes from `/metrics`.
    func loaded(_ client: MoteClient) throws -> (count: Int, bytes: [String: Int]) {
        let text = try client.get("/metrics").text
        var count = -1
        var bytes: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            if parts[0] == "mote_models_loaded" { count = Int(Double(parts[1]) ?? -1) }
            if parts[0].hasPrefix("mote_model_loaded_bytes{"), let m = parts[0].range(of: "model=\"") {
                let name = parts[0][m.upperBound...].prefix { $0 != "\"" }
                bytes[String(name)] = Int(Double(parts[1]) ?? 0)
            }
        }
        return (count, bytes)
    }

    func infer(_ client: MoteClient, _ model: String) throws -> String {
        let e = try OracleModels.entry(names[model]!)
        let r = try client.post("/v2/models/\(model)/infer", json: ImportTests.inferBody(Array(e.rows.prefix(4)), width: 6))
        guard r.status == 200 else { throw TestFailure("\(model): \(r.status) \(r.text)") }
        return RolloutTests.outputs(r.text)
    }

    @Test("idle models unload and answer again; preload stays; the least recently used go over the bound")
    func idleAndBound() throws {
        let imports = ImportTests()
        let daemon = DaemonProcess(config: "[inference]\npreload = [\"a\"]\nidle_unload = \"1s\"\n")
        try daemon.start()
        let client = daemon.client()
        for (name, entry) in names.sorted(by: { $0.key < $1.key }) {
            #expect(try imports.motectl(daemon, ["models", "import", try OracleModels.entry(entry).file, "--name", name, "--alias", "champion"]).status == 0)
        }
        let first = try ["a", "b", "c"].map { try infer(client, $0) }
        let all = try loaded(client)
        #expect(all.count == 3 && all.bytes.keys.sorted() == ["a", "b", "c"] && all.bytes.values.allSatisfy { $0 > 1000 }, "\(all)")

        // No traffic for a second: b and c go, a (preload) stays; each answers again, the same.
        #expect(eventually(timeout: 10) { (try? loaded(client).count) == 1 })
        #expect(try loaded(client).bytes.keys.sorted() == ["a"])
        #expect(daemon.log().contains("event=model_unloaded") && daemon.log().contains("reason=idle"))
        #expect(try ["a", "b", "c"].map { try infer(client, $0) } == first)
        #expect(try loaded(client).count >= 2)

        // A bound that holds a and one more: loading the third unloads the least recently used
        // of the others (a, preloaded, stays).
        let room = Double(all.bytes["a"]! + max(all.bytes["b"]!, all.bytes["c"]!)) + 1000
        #expect(try daemon.reload("[inference]\npreload = [\"a\"]\nidle_unload = \"0s\"\nmax_loaded_mib = \(room / 1_048_576)\n"))
        _ = try infer(client, "b")
        _ = try infer(client, "c")
        #expect(eventually(timeout: 10) { (try? loaded(client).count) == 2 })
        let bounded = try loaded(client)
        #expect(bounded.bytes.keys.sorted() == ["a", "c"], "\(bounded)")
        #expect(daemon.log().contains("reason=memory"))
        #expect(try infer(client, "b") == first[1])
        #expect(try loaded(client).bytes.keys.sorted() == ["a", "b"])
        #expect(daemon.stop() == 0)
    }
}
