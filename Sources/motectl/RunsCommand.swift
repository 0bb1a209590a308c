import ArgumentParser
import MoteClient
import MoteCore
import MoteML

/// `motectl runs ...`: experiment tracking.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List, show and compare tracked runs.", subcommands: [List.self, Show.self, Compare.self])

    /// `motectl runs list [--experiment E] [--filter F] [--order-by K]`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs, newest first, or filtered and ordered like MLflow's search.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Only runs of this experiment (repeatable).") var experiment: [String] = []
        @Option(name: .long, help: "e.g. \"metrics.rmse < 0.5 and params.depth = '6'\"") var filter: String = ""
        @Option(name: .customLong("order-by"), help: "e.g. \"metrics.rmse ASC\" (repeatable).") var orderBy: [String] = []
        @Option(name: .long, help: "At most this many runs.") var limit: Int = 100

        func run() throws {
            var w = JSONWriter()
            w.beginObject()
            w.key("experiments"); w.beginArray(); for e in experiment { w.string(e) }; w.endArray()
            w.key("filter"); w.string(filter)
            w.key("order_by"); w.beginArray(); for o in orderBy { w.string(o) }; w.endArray()
            w.key("max_results"); w.int(limit)
            w.endObject()
            let result = try CLIOutput.call(global.client(), "POST", "/v1/runs/search", body: w.bytes).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            let runs = result["runs"]?.arrayValue ?? []
            let metricKeys = Array(Set(runs.flatMap { $0["metrics"]?.objectValue?.keys ?? [] })).sorted().prefix(4)
            var rows = [["RUN", "EXPERIMENT", "NAME", "STATUS", "STARTED"] + metricKeys.map { $0.uppercased() }]
            for r in runs {
                rows.append(
                    [String((r["id"]?.stringValue ?? "").prefix(12)), r["experiment"]?.stringValue ?? "", r["name"]?.stringValue ?? "",
                     r["status"]?.stringValue ?? "", r["start"]?.stringValue ?? ""]
                        + metricKeys.map { key in r["metrics"]?[key]?["value"].map(CLIOutput.cell) ?? "-" })
            }
            print(CLIOutput.table(rows))
        }
    }

    /// `motectl runs show ID`
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A run's params, metrics, tags and source.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Run id.") var id: String

        func run() throws {
            let run = try CLIOutput.call(global.client(), "GET", "/v1/runs/\(CLIOutput.pathEscape(id))").json()["run"] ?? .null
            if global.output == .json {
                print(CLIOutput.prettyJSON(run))
                return
            }
            var rows: [[String]] = [
                ["run", run["id"]?.stringValue ?? ""], ["experiment", run["experiment"]?.stringValue ?? ""],
                ["name", run["name"]?.stringValue ?? ""], ["status", run["status"]?.stringValue ?? ""],
                ["started", run["start"]?.stringValue ?? ""], ["ended", run["end"]?.stringValue ?? "-"],
            ]
            for (label, key) in [("param", "params"), ("tag", "tags")] {
                for member in run[key]?.objectValue ?? JSONObject() { rows.append([label, "\(member.key) = \(CLIOutput.cell(member.value))"]) }
            }
            for member in run["metrics"]?.objectValue ?? JSONObject() {
                rows.append(["metric", "\(member.key) = \(member.value["value"].map(CLIOutput.cell) ?? "") (step \(member.value["step"]?.int64Value ?? 0))"])
            }
            print(CLIOutput.table(rows))
        }
    }

    /// `motectl runs compare A B`
    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Params and metrics of two runs side by side; the better metric in bold (marked * when not a terminal).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "First run id.") var first: String
        @Argument(help: "Second run id.") var second: String

        /// The catalog metric a run's metric key names (`holdout_auc`, `roc_auc` -> auc), if any;
        /// unknown metrics are taken for errors or losses (smaller is better).
        static func metric(named key: String) -> Metric? {
            let lower = key.lowercased()
            return Metric.allCases.first { lower == $0.rawValue || lower.hasSuffix("_" + $0.rawValue) }
        }

        func run() throws {
            let client = global.client()
            let a = try CLIOutput.call(client, "GET", "/v1/runs/\(CLIOutput.pathEscape(first))").json()["run"] ?? .null
            let b = try CLIOutput.call(client, "GET", "/v1/runs/\(CLIOutput.pathEscape(second))").json()["run"] ?? .null
            if global.output == .json {
                print(CLIOutput.prettyJSON(.object(JSONObject([("first", a), ("second", b)]))))
                return
            }
            var rows = [["", a["name"]?.stringValue ?? first, b["name"]?.stringValue ?? second]]
            let params = Set((a["params"]?.objectValue?.keys ?? []) + (b["params"]?.objectValue?.keys ?? [])).sorted()
            for key in params {
                rows.append(["params.\(key)", a["params"]?[key].map(CLIOutput.cell) ?? "-", b["params"]?[key].map(CLIOutput.cell) ?? "-"])
            }
            let metrics = Set((a["metrics"]?.objectValue?.keys ?? []) + (b["metrics"]?.objectValue?.keys ?? [])).sorted()
            for key in metrics {
                let x = a["metrics"]?[key]?["value"]?.doubleValue
                let y = b["metrics"]?[key]?["value"]?.doubleValue
                var cells = [x.map { CLIOutput.cell(.double($0)) } ?? "-", y.map { CLIOutput.cell(.double($0)) } ?? "-"]
                if let x, let y, x != y {
                    let higher = Compare.metric(named: key).map { !$0.smallerIsBetter } ?? false
                    let firstWins = higher ? x > y : x < y
                    cells[firstWins ? 0 : 1] = CLIOutput.bold(cells[firstWins ? 0 : 1])
                }
                rows.append(["metrics.\(key)"] + cells)
            }
            print(CLIOutput.table(rows))
        }
    }
}
