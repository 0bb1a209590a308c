import ArgumentParser
import MoteClient
import MoteCore

/// `motectl fleet status | poll [--wait] | pin MODEL VERSION | unpin MODEL`: centrally
/// approved models pulled from the MLflow Model Registry.
struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Centrally approved models this box follows (an alias in the MLflow Model Registry).",
        subcommands: [Status.self, Poll.self, Pin.self, Unpin.self], defaultSubcommand: Status.self)

    static func printStatus(_ s: JSONValue, json: Bool) {
        if json {
            print(CLIOutput.prettyJSON(s))
            return
        }
        func text(_ v: JSONValue?) -> String {
            guard let v, v != .null else { return "-" }
            return v.stringValue ?? v.int64Value.map(String.init) ?? "\(v)"
        }
        print(CLIOutput.table([
            ["enabled", s["enabled"] == .bool(true) ? "yes" : "no"],
            ["server", text(s["url"])],
            ["device id", text(s["device_id"])],
            ["alias followed", text(s["alias"])],
            ["gate", s["trust_central"] == .bool(true) ? "trust the centre (fleet.trust_central)" : "on this box's labelled data"],
            ["last poll", text(s["last_poll"])],
            ["last success", text(s["last_success"])],
            ["last error", text(s["last_error"])],
            ["next poll", text(s["next_poll"])],
        ]))
        let models = s["models"]?.arrayValue ?? []
        guard !models.isEmpty else {
            print("\nno model followed yet (a poll finds the central models carrying the alias)")
            return
        }
        var rows = [["MODEL", "CENTRAL", "CHAMPION", "PINNED", "LAST DECISION", "WHY"]]
        for m in models {
            let d = m["last_decision"]
            let decision = d == nil || d == .null ? "-" : "\(text(d?["decision"])) v\(text(d?["central_version"])) -> local \(text(d?["local_version"]))"
            rows.append([
                text(m["model"]), text(m["central_version"]), text(m["champion"]), text(m["pinned_version"]), decision,
                d == nil || d == .null ? "-" : text(d?["reason"]),
            ])
        }
        print("")
        print(CLIOutput.table(rows))
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Followed models: central and local versions, the last decision and why.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            FleetCommand.printStatus(try CLIOutput.call(global.client(), "GET", "/v1/fleet").json(), json: global.output == .json)
        }
    }

    struct Poll: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Poll the central registry now.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "Wait until the poll ends (up to 10 minutes).") var wait = false

        func run() throws {
            let client = global.client()
            let s = try CLIOutput.triggerPass(client, "/v1/fleet/poll", wait: wait, ended: "polled")
            FleetCommand.printStatus(s, json: global.output == .json)
        }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hold a model on a local version: champion moves there and polls leave it alone until unpin (audited).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var model: String
        @Argument(help: "Local version number.") var version: Int

        func run() throws {
            let body = Array("{\"version\":\(version)}".utf8)
            let s = try CLIOutput.call(global.client(), "PUT", "/v1/fleet/pins/\(CLIOutput.pathEscape(model))", body: body).json()
            if global.output == .json { print(CLIOutput.prettyJSON(s)) } else { print("\(model) pinned to version \(version)") }
        }
    }

    struct Unpin: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a pinned model follow the centre again (a poll starts; audited).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var model: String

        func run() throws {
            let s = try CLIOutput.call(global.client(), "DELETE", "/v1/fleet/pins/\(CLIOutput.pathEscape(model))").json()
            if global.output == .json { print(CLIOutput.prettyJSON(s)) } else { print("\(model) follows the centre again") }
        }
    }
}
