import Foundation
import MoteClient
import MoteCore
import Testing

/// Batch scoring through the real daemon: a scheduled job fills a view that is then read
/// online with the same numbers `/v1/predict` gives; entities whose features are past their TTL
/// are skipped and listed; the results file carries prediction ids the log and feedback know;
/// the run is tracked; bad declarations are refused at apply and change nothing.
@Suite("batch scoring through the daemon", .serialized)
struct ScoringTests {
    static let scoring = """

        [[feature_view]]
        name = "risk"
        entity = "machine"
        fields = [{ name = "prediction", type = "float64" }, { name = "label", type = "string" }]

        [[scoring_job]]
        name = "risk_now"
        model = "failure"
        alias = "champion"
        entities_from = "sensors"
        to_view = "risk"
        to_file = "risk.csv"
        every = "1h"
        """

    /// The training definitions with a one-hour TTL on the sensors (the training rows are
    /// from 2025: past it) and the scoring job.
    static var definitions: String {
        TrainingTests.definitions.replacingOccurrences(
            of: "name = \"sensors\"\nentity = \"machine\"\n", with: "name = \"sensors\"\nentity = \"machine\"\nttl = \"1h\"\n") + scoring
    }

    @Test("a scheduled job scores the fresh entities into a view read online and a file; stale ones are skipped and listed; the run is tracked")
    func scheduledIntoView() throws {
        let daemon = try InferenceTests().trainedDaemon(config: "[scoring]\nschedule_interval = \"1s\"\n")
        let client = daemon.client()
        // Ten machines report now; the other 1990 last reported in 2025.
        let now = Int(Date().timeIntervalSince1970)
        let fresh = (0..<10).map { "m\($0)" }
        let temps = (0..<10).map { String(60.0 + Double($0) * 4) }
        let body = #"{"feature_view":"sensors","df":{"machine_id":[\#(fresh.map { "\"\($0)\"" }.joined(separator: ","))],"event_timestamp":[\#(fresh.map { _ in "\(now)" }.joined(separator: ","))],"temp":[\#(temps.joined(separator: ","))],"vibration":[\#(fresh.indices.map { String(0.1 * Double($0)) }.joined(separator: ","))],"mode":[\#(fresh.indices.map { $0 % 2 == 0 ? "\"run\"" : "\"boost\"" }.joined(separator: ","))]}}"#
        #expect(try client.post("/v1/push", json: Array(body.utf8)).status == 200)
        let applied = try daemon.apply(Self.definitions)
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")

        // The schedule queues the job that never ran; it succeeds.
        var run = JSONValue.null
        #expect(eventually(timeout: 30) {
            run = (try? client.get("/v1/scoring-jobs/risk_now/runs").json()["jobs"]?.arrayValue?.first) ?? .null
            return run["status"] == "succeeded"
        }, "\(run)")
        #expect(run["trigger"] == "schedule" && run["kind"] == "scoring" && run["version"] == 2, "\(run)")

        // Read online: the predictions /v1/predict gives for the same machines, to the last bit.
        let keys = fresh.map { "\"\($0)\"" }.joined(separator: ",")
        let online = try client.post("/v1/get-online-features", json: Array(#"{"features":["risk:prediction","risk:label"],"entities":{"machine_id":[\#(keys),"m500"]}}"#.utf8)).json()
        let predicted = try client.post("/v1/predict/failure", json: Array(#"{"entities":{"machine_id":[\#(keys)]}}"#.utf8)).json()
        let probabilities = predicted["outputs"]?.arrayValue?.first { $0["name"] == "probabilities" }?["data"]?.arrayValue ?? []
        let labels = predicted["outputs"]?.arrayValue?.first { $0["name"] == "label" }?["data"]?.arrayValue ?? []
        let results = online["results"]?.arrayValue ?? []
        // results[0] is the join key column (as Feast answers), then the features.
        let values = results.dropFirst().first?["values"]?.arrayValue ?? []
        let statuses = results.dropFirst().first?["statuses"]?.arrayValue ?? []
        #expect(values.count == 11 && probabilities.count == 20, "\(online) \(predicted)")
        for k in 0..<10 {
            let p = probabilities[k * 2 + 1].doubleValue ?? .nan
            #expect(abs((values[k].doubleValue ?? .nan) - p) < 1e-12, "row \(k): \(values[k]) vs \(p)")
            #expect(results.last?["values"]?.arrayValue?[k] == labels[k], "row \(k)")
        }
        // A machine past the TTL was not scored (nothing written for it).
        #expect(statuses[10] == "NOT_FOUND", "\(statuses)")

        // The job's events say how many were skipped; the run lists them by key and reason.
        let events = try client.get("/v1/training-jobs/\(run["id"]?.stringValue ?? "")/events").text
        #expect(events.contains("1990 of 2000 entities not scored") && events.contains("scored 10 of 2000 entities"), "\(events)")
        let runID = run["run_id"]?.stringValue ?? ""
        let tracked = try client.get("/v1/runs/\(runID)").text
        // The run waits in the outbox for the central server, as every run does.
        let outbox = try client.get("/v1/sync/outbox?limit=1000").json()["entries"]?.arrayValue ?? []
        let synced = Set(outbox.filter { $0["subject"]?.stringValue?.contains(runID) == true }.compactMap { $0["kind"]?.stringValue })
        #expect(synced.isSuperset(of: ["run_created", "run_logged", "run_finished", "run_artifact"]), "\(synced)")
        #expect(tracked.contains("rows_scored") && tracked.contains("rows_skipped") && tracked.contains("skipped.csv"), "\(tracked)")
        let digest = try #require(tracked.firstMatch(of: /"skipped.csv"[^}]*"digest":"([0-9a-f]{64})"/)?.1 ?? tracked.firstMatch(of: /"digest":"([0-9a-f]{64})"[^}]*"skipped.csv"/)?.1)
        let skipped = try String(contentsOfFile: daemon.stateDir + "/artifacts/sha256/" + digest, encoding: .utf8)
        #expect(skipped.split(separator: "\n").count == 1991 && skipped.contains("m500,feature 'sensors:temp' is OUTSIDE_MAX_AGE"), "\(skipped.prefix(300))")

        // The file: one line per scored machine, with a prediction id the log and feedback know.
        let csv = try String(contentsOfFile: daemon.stateDir + "/scoring/risk.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "machine_id,prediction,label,model_version,prediction_id,scored_at" && csv.count == 11, "\(csv)")
        let first = csv[1].split(separator: ",")
        #expect(first[0] == "m0" && abs(Double(first[1])! - (probabilities[1].doubleValue ?? .nan)) < 1e-12 && first[3] == "2", "\(first)")
        let feedback = try client.post("/v1/feedback", json: Array(#"{"labels":[{"prediction_id":"\#(first[4])","label":true}]}"#.utf8)).json()
        #expect(feedback["stored"] == 1, "\(feedback)")

        // On demand, with progress; the list says when it last ran.
        let manual = try runCommand(DaemonProcess.motectlPath, ["score", "risk_now", "--wait", "--socket", daemon.socketPath])
        #expect(manual.status == 0 && manual.stdout.contains("scored 10 of 2000 entities"), "\(manual.stdout)\(manual.stderr)")
        let listed = try runCommand(DaemonProcess.motectlPath, ["score", "--socket", daemon.socketPath])
        #expect(listed.stdout.contains("risk_now") && listed.stdout.contains("view sensors") && listed.stdout.contains("succeeded"), "\(listed.stdout)")
        #expect(try client.get("/v1/scoring-jobs/risk_now/runs").json()["jobs"]?.arrayValue?.count == 2)
        #expect(daemon.stop() == 0)
    }

    @Test("a declaration that does not fit is refused at apply, naming the key, and changes nothing; an unknown job is 404")
    func refusals() throws {
        let daemon = try InferenceTests().trainedDaemon()
        let client = daemon.client()
        for (bad, key) in [
            ("to_view = \"risk\"", "to_view = \"labels\""),  // no prediction field
            ("entities_from = \"sensors\"", "entities_from = \"nope\""),
            ("to_file = \"risk.csv\"", "to_file = \"../risk.csv\""),
            ("entities_from = \"sensors\"", "entities_from = \"sensors\"\nentities = [\"m1\"]"),
            ("alias = \"champion\"", "alias = \"champion\"\nversion = 2"),
        ] {
            let r = try daemon.apply(TrainingTests.definitions + Self.scoring.replacingOccurrences(of: bad, with: key))
            #expect(r.status != 0, "\(key): \(r.stdout)")
            #expect(try client.get("/v1/scoring-jobs").json()["scoring_jobs"]?.arrayValue?.isEmpty == true)
        }
        let unknown = try client.post("/v1/scoring-jobs/nope/runs", json: [])
        #expect(unknown.status == 404 && unknown.text.contains("no scoring job"), "\(unknown.text)")
        #expect(daemon.stop() == 0)
    }
}
