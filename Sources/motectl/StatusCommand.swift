import ArgumentParser
import MoteClient
import MoteCore

/// `motectl status`: what the daemon is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the daemon's state, storage and load.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let response = try CLIOutput.call(global.client(), "GET", "/v1/status")
        let status = try response.json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(status))
            return
        }
        print(StatusCommand.render(status))
    }

    static func render(_ s: JSONValue) -> String {
        let text = { (v: JSONValue?) in v?.stringValue ?? "-" }
        let int = { (v: JSONValue?) in v?.int64Value ?? 0 }
        var rows: [[String]] = []
        rows.append(["moted", "\(text(s["version"]))  \(text(s["state"]))  pid \(int(s["pid"]))  up \(CLIOutput.duration(seconds: s["uptime_seconds"]?.doubleValue ?? 0))"])
        rows.append(["socket", "\(text(s["socket"]?["path"])) (\(text(s["socket"]?["listener"])))"])
        rows.append(["state dir", text(s["state_dir"])])
        let databases = (s["databases"]?.arrayValue ?? []).map { db in
            "\(text(db["name"])) \(CLIOutput.bytes(int(db["bytes"])))"
        }
        rows.append(["databases", databases.joined(separator: ", ")])
        rows.append([
            "disk",
            "\(CLIOutput.bytes(int(s["disk"]?["total_bytes"]))) (artifacts \(CLIOutput.bytes(int(s["disk"]?["artifacts_bytes"]))))",
        ])
        rows.append(["load", "\(int(s["counts"]?["connections"])) connection(s), \(int(s["counts"]?["requests"])) request(s) answered"])
        if let config = s["config"]?.objectValue {
            let summary = config.members.map { member -> String in
                switch member.value {
                case .string(let v): return "\(member.key)=\(v)"
                case .integer(let v): return "\(member.key)=\(v)"
                default: return "\(member.key)=\(member.value)"
                }
            }
            rows.append(["config", summary.joined(separator: " ")])
        }
        return CLIOutput.table(rows)
    }
}
