import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl monitor MODEL [--watch]`: drift per input with reference and live histograms side
/// by side, dataset drift, and live metrics from feedback against the holdout's.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Show a model's drift per input (reference vs live histograms) and its live metrics.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Model name.") var model: String
    @Option(name: .long, help: "A version number or alias (default: the served version).") var version: String?
    @Flag(name: .long, help: "Refresh until interrupted.") var watch = false
    @Option(name: .long, help: "Seconds between refreshes with --watch.") var every: Double = 2

    func run() throws {
        let client = global.client()
        var path = "/v1/models/\(CLIOutput.pathEscape(model))/monitoring"
        if let version { path += "?version=\(CLIOutput.pathEscape(version))" }
        repeat {
            let report = try CLIOutput.call(client, "GET", path).json()
            let text = global.output == .json ? CLIOutput.prettyJSON(report) : Self.render(report)
            if watch {
                // Clear the screen and go home, then the report.
                print("\u{1B}[2J\u{1B}[H" + text)
                // Each refresh goes out at once, also through a pipe (stdout is block-buffered there).
                fflush(nil)  // every output stream: stdout without naming the global
                usleep(UInt32(max(0.2, every) * 1_000_000))
            } else {
                print(text)
            }
        } while watch
    }

    /// Eight-level bars for shares (the tallest bin of either side fills a cell).
    static func bars(_ shares: [Double], scale: Double) -> String {
        let levels = Array(" ▁▂▃▄▅▆▇█")
        return String(shares.map { s in levels[min(8, Int((s / max(scale, 1e-12) * 8).rounded()))] })
    }

    static func number(_ v: JSONValue?) -> String {
        guard let d = v?.doubleValue else { return "-" }
        if d != 0, abs(d) < 0.001 { return CLIOutput.format(d, "%.2e") }
        return CLIOutput.format(d, "%.4g")
    }

    static func render(_ r: JSONValue) -> String {
        var out: [String] = []
        let window = r["window"]
        out.append("model \(r["model"]?.stringValue ?? "") version \(r["version"]?.int64Value ?? 0) (\(r["task"]?.stringValue ?? ""))")
        out.append(
            "window: \(window?["rows"]?.int64Value ?? 0) rows with inputs, \(window?["predictions"]?.int64Value ?? 0) predictions, "
                + "\(window?["from"]?.stringValue ?? "-") .. \(window?["to"]?.stringValue ?? "-") (at most \(window?["max_rows"]?.int64Value ?? 0) rows, \(window?["max_age"]?.stringValue ?? ""))")
        if r["judged"] != .bool(true) {
            if r["verdict"] == "no_reference" {
                out.append("drift not judged: this version has no reference profile")
            } else {
                out.append("dataset drift: not enough data yet (\(r["window_rows"]?.int64Value ?? 0) of \(r["min_rows"]?.int64Value ?? 0) live rows; monitoring.min_rows, monitoring.window)")
            }
        } else {
            let share = (r["drift_share"]?.doubleValue ?? 0) * 100
            out.append(
                "dataset drift: \(r["dataset_drift"] == .bool(true) ? "YES" : "no") (\(CLIOutput.format(share, "%.0f"))% of inputs drift, threshold \(CLIOutput.format((r["drift_share_threshold"]?.doubleValue ?? 0) * 100, "%.0f"))%)")
        }
        var rows = [["INPUT", "METHOD", "SCORE", "THRESHOLD", "DRIFT", "REFERENCE", "LIVE", "REF MEAN", "LIVE MEAN"]]
        var categoryLines: [String] = []
        var features = r["features"]?.arrayValue ?? []
        if let p = r["prediction"], p != .null { features.append(p) }
        for f in features {
            var reference = ""
            var live = ""
            if let h = f["histogram"] {
                let rs = (h["reference"]?.arrayValue ?? []).compactMap(\.doubleValue)
                let ls = (h["live"]?.arrayValue ?? []).compactMap(\.doubleValue)
                let scale = max(rs.max() ?? 0, ls.max() ?? 0)
                reference = bars(rs, scale: scale)
                let below = (h["live_below"]?.doubleValue ?? 0) > 0 ? "<" : " "
                let above = (h["live_above"]?.doubleValue ?? 0) > 0 ? ">" : " "
                live = below + bars(ls, scale: scale) + above
                reference = " " + reference + " "
            } else if let cats = f["categories"]?.arrayValue {
                let top = Array(cats.prefix(10))
                let rs = top.compactMap { $0["reference"]?.doubleValue }
                let ls = top.compactMap { $0["live"]?.doubleValue }
                let scale = max(rs.max() ?? 0, ls.max() ?? 0)
                reference = bars(rs, scale: scale)
                live = bars(ls, scale: scale)
                // The bars' categories, in bar order, with their shares (reference/live).
                let named = top.map { c in
                    "\(c["value"]?.stringValue ?? "-") \(CLIOutput.format((c["reference"]?.doubleValue ?? 0) * 100, "%.0f"))/\(CLIOutput.format((c["live"]?.doubleValue ?? 0) * 100, "%.0f"))%"
                }
                categoryLines.append("\(f["name"]?.stringValue ?? ""): \(named.joined(separator: ", "))")
            }
            rows.append([
                f["name"]?.stringValue ?? "", f["method"]?.stringValue ?? "", number(f["score"]), number(f["threshold"]),
                f["drifted"] == .bool(true) ? "YES" : "no", reference, live, number(f["reference"]?["mean"]), number(f["live"]?["mean"]),
            ])
        }
        if rows.count > 1 { out.append(CLIOutput.table(rows)) }
        if !categoryLines.isEmpty {
            out.append("categories, in bar order (reference/live share):\n" + categoryLines.map { "  " + $0 }.joined(separator: "\n"))
        }
        let metrics = r["metrics"]
        let live = metrics?["live"]?.objectValue
        let holdout = metrics?["holdout"]?.objectValue
        let degraded = Set((metrics?["degraded"]?.arrayValue ?? []).compactMap(\.stringValue))
        if let live, live.count > 0 {
            var m = [["METRIC", "LIVE", "HOLDOUT", "STATE"]]
            for member in live {
                m.append([member.key, number(member.value), number(holdout?[member.key]), degraded.contains(member.key) ? "DEGRADED" : "ok"])
            }
            out.append("live metrics over \(metrics?["feedback_rows"]?.int64Value ?? 0) predictions with feedback:")
            out.append(CLIOutput.table(m))
        } else {
            out.append("live metrics: \(metrics?["feedback_rows"]?.int64Value ?? 0) predictions with feedback (need \(metrics?["min_feedback"]?.int64Value ?? 0))")
        }
        if let rollout = r["rollout"], rollout != .null {
            out.append("rollout " + ModelsCommand.rolloutText(r["model"]?.stringValue ?? "", rollout))
        }
        out.append(contentsOf: dataQualityLines(r["data_quality"]?.arrayValue ?? []))
        return out.joined(separator: "\n")
    }

    /// One line per input view: its failing fields in words, and its stale entities.
    static func dataQualityLines(_ views: [JSONValue]) -> [String] {
        views.map { q in
            let name = q["feature_view"]?.stringValue ?? ""
            var facts: [String] = []
            for f in q["fields"]?.arrayValue ?? [] where f["failing"] == .bool(true) {
                let field = f["name"]?.stringValue ?? ""
                let rows = f["rows"]?.int64Value ?? 0
                if f["null_share_exceeded"] == .bool(true) {
                    facts.append("\(CLIOutput.format((f["null_share"]?.doubleValue ?? 0) * 100, "%.0f"))% of \(field) values null")
                }
                for member in f["broken"]?.objectValue?.members ?? [] {
                    let n = member.value.int64Value ?? 0
                    let share = rows > 0 ? Double(n) / Double(rows) * 100 : 0
                    facts.append("\(CLIOutput.format(share, "%.0f"))% of \(field) values break \(member.key) (\(n) of \(rows))")
                }
            }
            if let stale = q["stale_entities"]?.int64Value, stale > 0 {
                facts.append("\(stale) of \(q["entities"]?.int64Value ?? 0) entities stale")
            }
            let window = q["window"]?.stringValue ?? ""
            return "data \(name): " + (facts.isEmpty ? "ok over the last \(window)" : facts.joined(separator: "; ") + " in the last \(window)")
        }
    }
}
