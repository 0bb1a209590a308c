import ArgumentParser
import MoteClient
import MoteCore

/// `motectl apply -f FILE [--dry-run]`: registers entities and feature views, like `feast apply`.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Apply a definitions file (entities, feature views); idempotent.")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("f"), .long], help: "The definitions file (TOML), or - for stdin.")
    var file: String

    @Flag(name: .long, help: "Show the plan without changing anything.")
    var dryRun = false

    func run() throws {
        let text: String
        do {
            text = file == "-" ? String(decoding: try FileSystem.readBytes("/dev/stdin"), as: UTF8.self) : try FileSystem.readText(file)
        } catch {
            CLIOutput.error(error.message)
            throw ExitCode(ExitStatus.apiError)
        }
        var w = JSONWriter()
        w.beginObject()
        w.key("toml"); w.string(text)
        w.key("dry_run"); w.bool(dryRun)
        w.endObject()
        let response = try CLIOutput.call(global.client(), "POST", "/v1/apply", body: w.bytes)
        let result = try response.json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(result))
            return
        }
        for item in result["plan"]?.arrayValue ?? [] {
            let action = item["action"]?.stringValue ?? ""
            let mark = action == "create" ? "+" : action == "change" ? "~" : "="
            let details = (item["details"]?.arrayValue ?? []).compactMap(\.stringValue)
            let suffix = details.isEmpty ? "" : ": " + details.joined(separator: "; ")
            print("\(mark) \(action == "unchanged" ? "unchanged" : action) \(item["kind"]?.stringValue ?? "") \(item["name"]?.stringValue ?? "")\(suffix)")
        }
        let version = result["version"]?.int64Value ?? 0
        let hash = String((result["hash"]?.stringValue ?? "").prefix(12))
        if result["applied"] == .bool(true) {
            print("applied: definitions version \(version) (\(hash))")
        } else if dryRun, result["changes"] == .bool(true) {
            print("dry run: nothing changed (definitions stay at version \(version))")
        } else {
            print("no changes: definitions version \(version) (\(hash))")
        }
    }
}
