import Foundation
import MoteClient
import MoteCore
import Testing

/// docs/definitions.md is the reference of the definitions file: every example in it is
/// applied, in order, to a fresh moted; the ones marked refused must be refused and change
/// nothing.
@Suite("the definitions reference", .serialized)
struct DefinitionsDocTests {
    /// The page's TOML blocks marked `apply` or `refused=REASON`, in order (the reason: words
    /// the refusal's message must contain).
    static func examples() throws -> [(apply: Bool, reason: String, toml: String)] {
        let text = try String(contentsOfFile: Repository.path("docs/definitions.md"), encoding: .utf8)
        var out: [(Bool, String, String)] = []
        var current: (Bool, String, [String])?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let block = current {
                if line == "```" {
                    out.append((block.0, block.1, block.2.joined(separator: "\n") + "\n"))
                    current = nil
                } else {
                    current?.2.append(String(line))
                }
            } else if line == "```toml apply" {
                current = (true, "", [])
            } else if line.hasPrefix("```toml refused=") {
                current = (false, String(line.dropFirst("```toml refused=".count)), [])
            }
        }
        return out
    }

    @Test("every example of docs/definitions.md applies as shown; the refused ones are refused and store nothing")
    func examplesApply() throws {
        let examples = try Self.examples()
        #expect(examples.filter(\.apply).count >= 6 && examples.filter { !$0.apply }.count >= 2, "examples found: \(examples.count)")
        let daemon = DaemonProcess()
        try daemon.start()
        let client = daemon.client()
        var version: Int64 = 0
        var file = ""
        for (k, example) in examples.enumerated() {
            // An applied block joins the file built so far; a refused one is tried on its own.
            if example.apply { file += "\n" + example.toml }
            var w = JSONWriter()
            w.value(.object(JSONObject([("toml", .string(example.apply ? file : example.toml))])))
            let answer = try client.post("/v1/apply", json: w.bytes)
            if example.apply {
                #expect(answer.status == 200, "example \(k + 1): \(answer.text)\n\(example.toml)")
                let applied = try answer.json()
                #expect(applied["applied"] == true && (applied["version"]?.int64Value ?? 0) == version + 1, "example \(k + 1) is a new version: \(applied)")
                version = applied["version"]?.int64Value ?? version
            } else {
                #expect([409, 422].contains(answer.status), "example \(k + 1) must be refused: \(answer.text)\n\(example.toml)")
                #expect(answer.text.contains(example.reason), "example \(k + 1) is refused for its reason, '\(example.reason)': \(answer.text)")
                #expect(try client.get("/v1/definitions").json()["version"]?.int64Value == version, "a refused file changes nothing")
            }
        }
        // What the page built is there: the views, the services, the specs.
        let definitions = try client.get("/v1/definitions").json()["definitions"]
        #expect(definitions?["feature_views"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sensors", "line_sensors", "failures", "failure_risk"])
        #expect(definitions?["scorings"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["risk-every-30m"])
        #expect(definitions?["feature_services"]?.arrayValue?.count == 2)
        #expect(definitions?["trainings"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["failure-gbdt", "failure-logistic", "vibration-anomalies"])
        #expect(daemon.stop() == 0)
    }
}
