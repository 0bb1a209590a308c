import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl status`: what the daemon is doing.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the daemon's state, storage and load.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Wait until moted is ready (starting, or not started yet: `make run &` builds first), then show the status.")
    var wait = false
    @Option(name: .long, help: "With --wait: give up after this many seconds (exit 2).")
    var timeout: Double = 120

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout is seconds, more than 0 and at most 86400") }
    }

    func run() throws {
        if wait { try waitUntilReady() }
        let response = try CLIOutput.call(global.client(), "GET", "/v1/status")
        let status = try response.json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(status))
            return
        }
        print(StatusCommand.render(status))
    }

    /// Polls `/v2/health/ready` until it answers 200: a missing socket, a refused connection
    /// and 503 (starting) are waited out; any other answer (403: no role) ends the wait at once.
    func waitUntilReady() throws {
        let deadline = SystemClock.monotonicNanos() + UInt64(timeout * 1e9)
        var last = "no answer"
        while true {
            let client = global.client()
            client.timeoutSeconds = max(1, Int(timeout))
            do {
                let answer = try client.get("/v2/health/ready")
                if answer.status == 200 { return }
                if answer.status != 503 { throw CLIOutput.refused(answer) }
                last = "moted answers 503 (starting)"
            } catch let error as MoteClientError {
                last = error.description
            }
            guard SystemClock.monotonicNanos() < deadline else {
                CLIOutput.error("not ready after \(Int(timeout)) s: \(last)")
                throw ExitCode(ExitStatus.unreachable)
            }
            usleep(200_000)
        }
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
