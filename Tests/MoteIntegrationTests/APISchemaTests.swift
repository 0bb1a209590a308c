import Foundation
import MoteClient
import MoteCore
import Testing

/// The whole API from docs/openapi.yaml, property-tested by Schemathesis (from PyPI, in a
/// venv `make test-deps` caches) against a real moted holding a trained model: thousands of
/// generated requests, valid and invalid, and not one 5xx, undocumented status, or answer
/// that does not match its schema.
@Suite("API against its OpenAPI document", .serialized, .enabled(if: schemathesisPython != nil, "needs the Schemathesis venv (make test-deps)"))
struct APISchemaTests {
    @Test("every operation: no 5xx, documented statuses, answers match the schema")
    func schemathesis() throws {
        // Any caller of this test daemon is admin, so every operation is reached (the
        // forwarder Schemathesis talks through connects with the test's own uid).
        let daemon = try InferenceTests().trainedDaemon(config: "[socket]\nmode = \"0600\"\n[access]\ndefault_role = \"admin\"\n")
        let reports = daemon.directory + "/schemathesis"
        let result = try runCommand(
            schemathesisPython!,
            [Repository.path("Tests/scripts/api_schema_check.py"), daemon.socketPath, Repository.path("docs/openapi.yaml"), "60", reports],
            timeout: 600)
        let summary = result.stdout.split(separator: "\n").filter { $0.contains("passed") || $0.contains("failed") || $0.contains("generated") }
        print("schemathesis: " + summary.joined(separator: " | "))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("77/77"), "every operation of the document was tested: \(summary)")
        // The daemon is still whole afterwards.
        #expect(try daemon.client().get("/v2/health/ready").status == 200)
        #expect(!daemon.log().contains("level=error component=server"), "no request failed inside moted")
        #expect(daemon.stop() == 0)
    }
}

/// The Python of the Schemathesis venv (`MOTE_SCHEMATHESIS_PYTHON`, set by `make test`).
let schemathesisPython: String? = {
    let path = ProcessInfo.processInfo.environment["MOTE_SCHEMATHESIS_PYTHON"] ?? ""
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()
