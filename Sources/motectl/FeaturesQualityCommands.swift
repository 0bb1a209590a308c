import ArgumentParser
import MoteClient
import MoteCore

/// `motectl features quality VIEW`: per field over a window, rows, null share and the values
/// that broke each rule; the view's entities and how many are stale.
struct FeaturesQuality: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality", abstract: "Null share and broken values per field of a view, and its stale entities.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Feature view name.") var view: String
    @Option(help: "The last span to count (such as 10m; at most the hour kept).") var window: String?

    func run() throws {
        var path = "/v1/feature-views/\(CLIOutput.pathEscape(view))/quality"
        if let window { path += "?window=\(CLIOutput.pathEscape(window))" }
        let q = try CLIOutput.call(global.client(), "GET", path).json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(q))
            return
        }
        let stale = q["stale_entities"]?.int64Value.map { "\($0) of \(q["entities"]?.int64Value ?? 0) stale (expected every \(q["expect_every"]?.stringValue ?? ""))" }
        print("view \(q["feature_view"]?.stringValue ?? view) over the last \(q["window"]?.stringValue ?? ""), on_invalid \(q["on_invalid"]?.stringValue ?? "")")
        print("entities \(q["entities"]?.int64Value ?? 0)" + (stale.map { ", \($0)" } ?? "")
            + ((q["freshness_seconds"]?.doubleValue).map { ", newest event \(CLIOutput.duration(seconds: $0)) ago" } ?? ""))
        var rows = [["FIELD", "ROWS", "NULLS", "BROKEN", "STATE"]]
        for f in q["fields"]?.arrayValue ?? [] {
            let broken = (f["broken"]?.objectValue?.members ?? []).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.int64Value ?? 0)" }
            rows.append([
                f["name"]?.stringValue ?? "", String(f["rows"]?.int64Value ?? 0),
                CLIOutput.format((f["null_share"]?.doubleValue ?? 0) * 100, "%.1f") + "%" + (f["null_share_exceeded"] == .bool(true) ? " (over max)" : ""),
                broken.isEmpty ? "-" : broken.joined(separator: ", "), f["failing"] == .bool(true) ? "FAILING" : "ok",
            ])
        }
        print(CLIOutput.table(rows))
    }
}

/// `motectl features stale VIEW`: the entities silent for longer than the view's `expect_every`.
struct FeaturesStale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stale", abstract: "Entities of a view that have not reported within its expect_every, longest silent first.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Feature view name.") var view: String
    @Option(help: "At most this many entities.") var limit = 100

    func run() throws {
        let s = try CLIOutput.call(global.client(), "GET", "/v1/feature-views/\(CLIOutput.pathEscape(view))/stale?limit=\(limit)").json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(s))
            return
        }
        let listed = s["stale_entities"]?.arrayValue ?? []
        let total = s["stale"]?.int64Value ?? 0
        print("\(total) of \(s["entities"]?.int64Value ?? 0) entities of \(s["feature_view"]?.stringValue ?? view) are stale (expected every \(s["expect_every"]?.stringValue ?? ""))")
        guard !listed.isEmpty else { return }
        var rows = [["ENTITY", "LAST EVENT", "SILENT"]]
        for e in listed {
            rows.append([
                e["entity"]?.stringValue ?? "", e["last_event"]?.stringValue ?? "", CLIOutput.duration(seconds: e["silent_seconds"]?.doubleValue ?? 0),
            ])
        }
        print(CLIOutput.table(rows))
        if Int64(listed.count) < total { print("(\(total - Int64(listed.count)) more; --limit to list them)") }
    }
}
