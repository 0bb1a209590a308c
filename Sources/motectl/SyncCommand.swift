import ArgumentParser
import MoteClient
import MoteCore

/// `motectl sync status | now [--wait] | pending | parked | retry [--seq N]`: the outbox to
/// the central MLflow server.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "The outbox to the central host (an MLflow server).",
        subcommands: [Status.self, Now.self, Pending.self, Parked.self, Retry.self], defaultSubcommand: Status.self)

    static func printStatus(_ s: JSONValue, json: Bool) {
        if json {
            print(CLIOutput.prettyJSON(s))
            return
        }
        func text(_ v: JSONValue?) -> String { v?.stringValue ?? "-" }
        print(CLIOutput.table([
            ["enabled", s["enabled"] == .bool(true) ? "yes" : "no"],
            ["server", text(s["url"])],
            ["device id", text(s["device_id"])],
            ["pending", String(s["pending"]?.int64Value ?? 0)],
            ["parked", String(s["parked"]?.int64Value ?? 0) + ((s["parked"]?.int64Value ?? 0) > 0 ? "  (motectl sync parked)" : "")],
            ["last success", text(s["last_success"])],
            ["last attempt", text(s["last_attempt"])],
            ["last error", s["last_error"]?.stringValue.map { "\($0) (\(text(s["last_error_at"])))" } ?? "-"],
            ["failures in a row", String(s["consecutive_failures"]?.int64Value ?? 0)],
            ["next attempt", text(s["next_attempt"])],
            ["sent since start", String(s["sent"]?.int64Value ?? 0)],
        ]))
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Last success, last error, pending and parked rows, next attempt.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            SyncCommand.printStatus(try CLIOutput.call(global.client(), "GET", "/v1/sync").json(), json: global.output == .json)
        }
    }

    struct Now: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drain the outbox now.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .long, help: "Wait until the drain ends (up to 10 minutes); exit 1 when rows are still pending after it.")
        var wait = false

        func run() throws {
            let client = global.client()
            let s = try CLIOutput.triggerPass(client, "/v1/sync", wait: wait, ended: "drained")
            SyncCommand.printStatus(s, json: global.output == .json)
            if wait, (s["pending"]?.int64Value ?? 0) > 0 { throw ExitCode(ExitStatus.apiError) }
        }
    }

    struct Pending: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Changes waiting to be sent, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "At most this many entries.") var limit: Int = 50

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/sync/outbox?limit=\(limit)").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["SEQ", "WHEN", "KIND", "SUBJECT", "ATTEMPTS", "LAST ERROR"]]
            for e in result["entries"]?.arrayValue ?? [] {
                rows.append([
                    String(e["seq"]?.int64Value ?? 0), e["at"]?.stringValue ?? "", e["kind"]?.stringValue ?? "", e["subject"]?.stringValue ?? "",
                    String(e["attempts"]?.int64Value ?? 0), e["last_error"]?.stringValue ?? "-",
                ])
            }
            print(CLIOutput.table(rows))
            print("\(result["pending"]?.int64Value ?? 0) pending")
        }
    }

    struct Parked: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rows the server refused, with the reason.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/sync/parked").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["SEQ", "KIND", "SUBJECT", "PARKED", "REASON"]]
            for p in result["parked"]?.arrayValue ?? [] {
                rows.append([
                    String(p["seq"]?.int64Value ?? 0), p["kind"]?.stringValue ?? "", p["subject"]?.stringValue ?? "", p["parked_at"]?.stringValue ?? "",
                    p["reason"]?.stringValue ?? "",
                ])
            }
            print(CLIOutput.table(rows))
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put parked rows back in line (after fixing what the server refused).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Only this row.") var seq: Int?

        func run() throws {
            let result = try CLIOutput.call(global.client(), "POST", "/v1/sync/parked/retry" + (seq.map { "?seq=\($0)" } ?? "")).json()
            print("\(result["requeued"]?.int64Value ?? 0) rows back in line")
        }
    }
}
