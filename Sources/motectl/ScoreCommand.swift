import ArgumentParser
import MoteClient
import MoteCore

/// `motectl score [JOB] [--wait]`: runs an applied scoring job now, or lists them.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Run an applied [[scoring_job]] now (--wait follows it with progress); without a name, list the jobs and their last runs.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Scoring job name.") var job: String?
    @Flag(name: .long, help: "Follow the run until it ends; exit 1 unless it succeeds.") var wait = false

    func run() throws {
        guard let job else {
            try list()
            return
        }
        let queued = try CLIOutput.call(global.client(), "POST", "/v1/scoring-jobs/\(CLIOutput.pathEscape(job))/runs").json()["job"] ?? .null
        let id = queued["id"]?.stringValue ?? ""
        guard wait else {
            if global.output == .json { print(CLIOutput.prettyJSON(queued)) } else { print("queued run \(id) of scoring job \(job)") }
            return
        }
        try JobsCommand.follow(id, global: global)
    }

    private func list() throws {
        let result = try CLIOutput.call(global.client(), "GET", "/v1/scoring-jobs").json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(result))
            return
        }
        var rows = [["JOB", "MODEL", "ENTITIES", "TO", "EVERY", "LAST RUN", "STATUS", "MESSAGE"]]
        for s in result["scoring_jobs"]?.arrayValue ?? [] {
            let entities = s["entities_from"]?.stringValue.map { "view \($0)" } ?? s["entities_csv"]?.stringValue
                ?? "\(s["entities"]?.arrayValue?.count ?? 0) listed"
            let to = [s["to_view"]?.stringValue.map { "view \($0)" }, s["to_file"]?.stringValue].compactMap { $0 }.joined(separator: ", ")
            let every = s["every_ns"]?.int64Value.flatMap { $0 > 0 ? DurationText.format(nanos: $0) : nil } ?? "-"
            let last = s["last_run"]
            rows.append([
                s["name"]?.stringValue ?? "", (s["model"]?.stringValue ?? "") + (s["reference"]?.stringValue.map { "@\($0)" } ?? ""), entities, to, every,
                last?["created_at"]?.stringValue ?? "never", last?["status"]?.stringValue ?? "-",
                String((last?["last_event"]?["message"]?.stringValue ?? "").prefix(70)),
            ])
        }
        print(CLIOutput.table(rows))
    }
}
