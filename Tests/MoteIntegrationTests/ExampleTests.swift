import Foundation
import MoteClient
import MoteCore
import Testing

/// examples/predictive-maintenance/run.sh, the loop README.md shows after the set-up
/// commands, against a real moted: every step does what it prints, in under a minute.
@Suite("the predictive-maintenance example", .serialized)
struct ExampleTests {
    @Test("run.sh applies, pushes, trains, predicts, sends feedback and monitors in under a minute; run again, it still works")
    func wholeLoop() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        var environment = ProcessInfo.processInfo.environment
        environment["MOTE_SOCKET"] = daemon.socketPath
        let started = Date()
        let run = try runCommand(Repository.path("examples/predictive-maintenance/run.sh"), [], environment: environment, timeout: 300)
        let seconds = Date().timeIntervalSince(started)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let out = run.stdout
        #expect(out.contains("applied: definitions version 1"), "\(out)")
        #expect(out.contains("pushed 9600 rows to sensors") && out.contains("pushed 1600 rows to failures"), "\(out)")
        #expect(out.contains("promote: version 1 is champion"), "\(out)")
        #expect(out.contains("-- m042") && out.contains("features       PRESENT, PRESENT, PRESENT"), "\(out)")
        #expect(out.contains("stored 200 label(s) for failure; pushed 200 to failures"), "\(out)")
        #expect(out.contains("dataset drift: ") && out.contains("live metrics over 200 predictions with feedback"), "\(out)")
        #expect(seconds < 60, "the loop took \(seconds) s")
        // The model is better than chance on the holdout, and live.
        let report = try daemon.client().get("/v1/models/failure/monitoring").json()
        #expect((report["metrics"]?["holdout"]?["auc"]?.doubleValue ?? 0) > 0.75, "\(report)")
        #expect((report["metrics"]?["live"]?["auc"]?.doubleValue ?? 0) > 0.75, "\(report)")
        // Again: the same rows replace themselves, a second version is trained and judged.
        let again = try runCommand(Repository.path("examples/predictive-maintenance/run.sh"), [], environment: environment, timeout: 300)
        #expect(again.status == 0 && again.stdout.contains("= unchanged"), "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("registered failure version 2"), "\(again.stdout)")
        #expect(daemon.stop() == 0)
    }
}
