import ArgumentParser
import MoteClient
import MoteCore

/// `motectl models shadow|canary|promote|rollout`: rolling a version out beside the champion
/// and promoting it on live evidence.
extension ModelsCommand {
    /// `--when metric=auc,min_labels=200,margin=0.01[,max_labels=2000][,automatic=false]` as the
    /// rollout's `policy` object; nil when the text is not such a list.
    static func policy(_ text: String) -> JSONValue? {
        var policy = JSONObject()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingPrefix(" ") }
            guard pair.count == 2, !pair[1].isEmpty else { return nil }
            let key = String(pair[0]).replacing(" ", with: "")
            let value = String(pair[1]).replacing(" ", with: "")
            switch key {
            case "metric": policy["metric"] = .string(value)
            case "min_labels", "labels", "max_labels":
                guard let n = Int64(value) else { return nil }
                policy[key == "labels" ? "min_labels" : key] = .integer(n)
            case "margin":
                guard let d = Double(value) else { return nil }
                policy["margin"] = .double(d)
            case "automatic":
                guard let b = Bool(value) else { return nil }
                policy["automatic"] = .bool(b)
            default: return nil
            }
        }
        return .object(policy)
    }

    static let whenHelp: ArgumentHelp =
        "The policy: metric=NAME,min_labels=N,margin=X[,max_labels=N][,automatic=false] (defaults from [rollout] and the task's metric)."

    /// Starts a rollout and prints it.
    static func startRollout(_ global: GlobalOptions, name: String, mode: String, version: Int, share: Double?, when: String?) throws {
        var body = JSONObject([("mode", .string(mode)), ("version", .integer(Int64(version)))])
        if let share { body["share"] = .double(share) }
        if let when { body["policy"] = policy(when) ?? .null }
        var w = JSONWriter()
        w.value(.object(body))
        let result = try CLIOutput.call(global.client(), "PUT", "/v1/models/\(CLIOutput.pathEscape(name))/rollout", body: w.bytes).json()
        printRollout(result, global: global)
    }

    /// A rollout answer as a table (or JSON with `-o json`).
    static func printRollout(_ result: JSONValue, global: GlobalOptions) {
        if global.output == .json {
            print(CLIOutput.prettyJSON(result))
            return
        }
        let name = result["model"]?.stringValue ?? ""
        if let r = result["rollout"], r != .null {
            print(rolloutText(name, r))
        } else {
            print("\(name): no rollout")
        }
        let decisions = result["decisions"]?.arrayValue ?? []
        if !decisions.isEmpty {
            var rows = [["AT", "DECISION", "VERSION", "REASON"]]
            for d in decisions.prefix(5) {
                rows.append([d["at"]?.stringValue ?? "", d["decision"]?.stringValue ?? "", "v\(d["version"]?.int64Value ?? 0)", d["reason"]?.stringValue ?? ""])
            }
            print(CLIOutput.table(rows))
        }
    }

    /// A rollout's comparison in words and a table: each side's version, rows, labels and live
    /// metrics (the policy's metric first), agreement, prediction drift and the policy.
    static func rolloutText(_ name: String, _ r: JSONValue) -> String {
        let metric = r["policy"]?["metric"]?.stringValue ?? ""
        let mode = r["mode"]?.stringValue ?? ""
        var lines = [
            "\(name): \(mode) of v\(r["version"]?.int64Value ?? 0) beside champion v\(r["champion_version"]?.int64Value ?? 0)"
                + (r["share"].map { " (\(CLIOutput.cell($0)) of entities)" } ?? "")
        ]
        let challenger = r["challenger"]?["live"]?.objectValue ?? JSONObject()
        let champion = r["champion"]?["live"]?.objectValue ?? JSONObject()
        let metrics = [metric] + (challenger.keys + champion.keys).filter { $0 != metric }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        var rows = [["", mode.uppercased(), "CHAMPION"]]
        rows.append(["version", "v\(r["version"]?.int64Value ?? 0)", "v\(r["champion_version"]?.int64Value ?? 0)"])
        rows.append(["rows", CLIOutput.cell(r["challenger"]?["rows"] ?? .null), CLIOutput.cell(r["champion"]?["rows"] ?? .null)])
        rows.append(["labels", CLIOutput.cell(r["challenger"]?["labels"] ?? .null), CLIOutput.cell(r["champion"]?["labels"] ?? .null)])
        for m in metrics { rows.append([m, CLIOutput.cell(challenger[m] ?? .null), CLIOutput.cell(champion[m] ?? .null)]) }
        lines.append(CLIOutput.table(rows))
        var facts: [String] = []
        if let a = r["agreement"]?.doubleValue { facts.append("agreement \(Double(Int(a * 10000)) / 100)%") }
        if let d = r["prediction_drift"]?["statistic"]?.doubleValue { facts.append("prediction drift KS \(Double(Int(d * 10000)) / 10000)") }
        if let p = r["policy"] {
            facts.append("judged by \(metric) after \(CLIOutput.cell(p["min_labels"] ?? .null)) labels, promoted when better by > \(CLIOutput.cell(p["margin"] ?? .null))"
                + (p["automatic"]?.boolValue == false ? " (compare only)" : ""))
        }
        if !facts.isEmpty { lines.append(facts.joined(separator: "; ")) }
        return lines.joined(separator: "\n")
    }

    struct Shadow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score every answered prediction of NAME with VERSION too (alias 'shadow'), off the request path, and compare them live.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "The version to shadow the champion with.") var version: Int
        @Option(name: .long, help: ModelsCommand.whenHelp) var when: String?

        func validate() throws {
            if let when, ModelsCommand.policy(when) == nil { throw ValidationError("--when takes metric=NAME,min_labels=N,margin=X,...") }
        }

        func run() throws { try ModelsCommand.startRollout(global, name: name, mode: "shadow", version: version, share: nil, when: when) }
    }

    struct Canary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer a share of NAME's entities with VERSION (alias 'canary'; an entity keeps one version) and compare it live.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "The version to answer the share with.") var version: Int
        @Option(name: .long, help: "Share of entities, above 0 and at most 1 (default: rollout.canary_share).") var share: Double?
        @Option(name: .long, help: ModelsCommand.whenHelp) var when: String?

        func validate() throws {
            if let when, ModelsCommand.policy(when) == nil { throw ValidationError("--when takes metric=NAME,min_labels=N,margin=X,...") }
            if let share, !(share > 0 && share <= 1) { throw ValidationError("--share is above 0 and at most 1, such as 0.1") }
        }

        func run() throws { try ModelsCommand.startRollout(global, name: name, mode: "canary", version: version, share: share, when: when) }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make VERSION the champion: now, or with --when once live evidence shows it better (shadowed first, or canaried with --canary).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number.") var version: Int
        @Option(name: .long, help: ModelsCommand.whenHelp) var when: String?
        @Option(name: .long, help: "With --when: answer this share of entities with it meanwhile (a canary) instead of shadowing.") var canary: Double?

        func validate() throws {
            if let when, ModelsCommand.policy(when) == nil { throw ValidationError("--when takes metric=NAME,min_labels=N,margin=X,...") }
            if canary != nil, when == nil { throw ValidationError("--canary goes with --when") }
        }

        func run() throws {
            if let when {
                try ModelsCommand.startRollout(global, name: name, mode: canary == nil ? "shadow" : "canary", version: version, share: canary, when: when)
                return
            }
            let result = try CLIOutput.call(
                global.client(), "PUT", "/v1/models/\(CLIOutput.pathEscape(name))/aliases/champion", body: Array("{\"version\":\(version)}".utf8)
            ).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            print("\(name)@champion: \(result["previous_version"]?.int64Value.map { "v\($0)" } ?? "nothing") -> v\(version)")
        }
    }

    struct Rollout: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "NAME's rollout compared live with the champion, and its decisions; --check judges it now, --stop ends it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Flag(name: .long, help: "Judge it now by its policy.") var check = false
        @Flag(name: .long, help: "End it; the champion serves alone.") var stop = false

        func validate() throws {
            if check && stop { throw ValidationError("give --check or --stop, not both") }
        }

        func run() throws {
            let path = "/v1/models/\(CLIOutput.pathEscape(name))/rollout"
            let client = global.client()
            let result: JSONValue
            if stop {
                result = try CLIOutput.call(client, "DELETE", path).json()
            } else if check {
                result = try CLIOutput.call(client, "POST", path + "/check", body: Array("{}".utf8)).json()
            } else {
                result = try CLIOutput.call(client, "GET", path).json()
            }
            ModelsCommand.printRollout(result, global: global)
        }
    }
}
