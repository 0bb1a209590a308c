import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl train SPEC [--wait]`: queues a training job for an applied spec.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Queue a training job for an applied [[training_spec]]; --wait follows it with a progress bar.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Training spec name (see motectl jobs specs).") var spec: String
    @Flag(name: .long, help: "Follow the job until it ends; exit 1 unless it succeeds.") var wait = false

    func run() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("spec"); w.string(spec)
        w.endObject()
        let job = try CLIOutput.call(global.client(), "POST", "/v1/training-jobs", body: w.bytes).json()["job"] ?? .null
        let id = job["id"]?.stringValue ?? ""
        guard wait else {
            if global.output == .json { print(CLIOutput.prettyJSON(job)) } else { print("queued job \(id) for spec \(spec)") }
            return
        }
        try JobsCommand.follow(id, global: global)
    }
}

/// `motectl jobs list|show|cancel|events|specs`
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Training jobs: list, show, follow, cancel; and the applied training specs.",
        subcommands: [List.self, Show.self, Events.self, Cancel.self, Specs.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Only jobs of this spec.") var spec: String?
        @Option(name: .long, help: "At most this many jobs.") var limit: Int = 50

        func run() throws {
            var path = "/v1/training-jobs?limit=\(limit)"
            if let spec { path += "&spec=\(CLIOutput.pathEscape(spec))" }
            let result = try CLIOutput.call(global.client(), "GET", path).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["JOB", "SPEC", "MODEL", "STATUS", "VERSION", "PROMOTED", "CREATED", "REASON"]]
            for j in result["jobs"]?.arrayValue ?? [] {
                rows.append([
                    j["id"]?.stringValue ?? "", j["spec"]?.stringValue ?? "", j["model"]?.stringValue ?? "", j["status"]?.stringValue ?? "",
                    j["version"]?.int64Value.map { String($0) } ?? "-", j["promoted"].map(CLIOutput.cell) ?? "-",
                    j["created_at"]?.stringValue ?? "", String((j["reason"]?.stringValue ?? "").prefix(60)),
                ])
            }
            print(CLIOutput.table(rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: state, outcome, last event and its spec.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var id: String

        func run() throws {
            let job = try CLIOutput.call(global.client(), "GET", "/v1/training-jobs/\(CLIOutput.pathEscape(id))").json()["job"] ?? .null
            if global.output == .json {
                print(CLIOutput.prettyJSON(job))
                return
            }
            var rows: [[String]] = []
            for key in ["id", "spec", "model", "status", "reason", "trigger", "created_at", "started_at", "finished_at", "run_id", "version", "promoted"] {
                rows.append([key, job[key].map(CLIOutput.cell) ?? "-"])
            }
            rows.append(["last event", job["last_event"]?["message"]?.stringValue ?? "-"])
            print(CLIOutput.table(rows))
        }
    }

    struct Events: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A job's events (NDJSON with -o json); --follow until it ends.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var id: String
        @Flag(name: .long, help: "Keep reading until the job ends.") var follow = false

        func run() throws {
            if follow, global.output != .json {
                try JobsCommand.follow(id, global: global)
                return
            }
            _ = try CLIOutput.call(global.client(), "GET", "/v1/training-jobs/\(CLIOutput.pathEscape(id))/events\(follow ? "?follow=true" : "")") { piece in
                var bytes = piece
                bytes.withUnsafeMutableBytes { raw in _ = write(STDOUT_FILENO, raw.baseAddress, raw.count) }
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a queued job, or a running one at its next iteration.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Job id.") var id: String

        func run() throws {
            let job = try CLIOutput.call(global.client(), "DELETE", "/v1/training-jobs/\(CLIOutput.pathEscape(id))").json()["job"] ?? .null
            if global.output == .json { print(CLIOutput.prettyJSON(job)) } else { print("job \(id): \(job["status"]?.stringValue ?? "")") }
        }
    }

    struct Specs: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The applied training specs.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/training-specs").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["SPEC", "MODEL", "ALGORITHM", "TASK", "LABEL", "FEATURES", "PROMOTION"]]
            for s in result["training_specs"]?.arrayValue ?? [] {
                let p = s["promotion"]
                rows.append([
                    s["name"]?.stringValue ?? "", s["model"]?.stringValue ?? "", s["algorithm"]?.stringValue ?? "", s["task"]?.stringValue ?? "",
                    s["label"]?.stringValue ?? "-", String((s["features"]?.arrayValue?.count ?? 0)),
                    p?["metric"]?.stringValue.map { "\($0) \(p?["direction"]?.stringValue ?? "") +\(CLIOutput.cell(p?["min_improvement"] ?? 0))" } ?? "always",
                ])
            }
            print(CLIOutput.table(rows))
        }
    }

    /// Follows a job's events with a progress line; prints the outcome; exit 1 unless it succeeded.
    static func follow(_ id: String, global: GlobalOptions) throws {
        var pending: [UInt8] = []
        var status = ""
        var lastLine = ""
        let terminal = isatty(STDERR_FILENO) == 1
        _ = try CLIOutput.call(global.client(), "GET", "/v1/training-jobs/\(CLIOutput.pathEscape(id))/events?follow=true") { piece in
            pending.append(contentsOf: piece)
            while let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                guard !line.isEmpty, let event = try? JSONParser.parse(line) else { continue }
                let phase = event["phase"]?.stringValue ?? ""
                let message = event["message"]?.stringValue ?? ""
                if phase == "fit", let i = event["iteration"]?.int64Value, let n = event["total"]?.int64Value, n > 1 {
                    var text = CLIOutput.bar(i, of: n) + " \(i)/\(n)"
                    if let v = event["valid_loss"]?.doubleValue { text += " valid loss \(CLIOutput.cell(.double((v * 10000).rounded() / 10000)))" }
                    if let eta = event["eta_seconds"]?.doubleValue { text += " eta \(CLIOutput.duration(seconds: eta))" }
                    if terminal { CLIOutput.progress(text) } else if i == n { print(text) }
                    continue
                }
                if phase == "score", let done = event["done"]?.int64Value, let total = event["total"]?.int64Value, total > 0 {
                    var text = CLIOutput.bar(done, of: total) + " \(done)/\(total) entities, \(event["skipped"]?.int64Value ?? 0) skipped"
                    if let eta = event["eta_seconds"]?.doubleValue { text += " eta \(CLIOutput.duration(seconds: eta))" }
                    if terminal { CLIOutput.progress(text) } else if done == total { print(text) }
                    continue
                }
                if terminal { CLIOutput.progress(nil) }
                if ["succeeded", "failed", "cancelled"].contains(phase) { status = phase }
                lastLine = "\(phase): \(message)"
                print(lastLine)
            }
        }
        if terminal { CLIOutput.progress(nil) }
        guard status == "succeeded" else {
            CLIOutput.error("job \(id) \(status.isEmpty ? "ended without an outcome" : status)")
            throw ExitCode(1)
        }
    }
}
