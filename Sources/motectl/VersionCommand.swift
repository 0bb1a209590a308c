import ArgumentParser
import MoteClient
import MoteCore

/// `motectl version`: this CLI's version and, when reachable, the daemon's.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print the motectl version and the daemon's, if it answers.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let client = global.client()
        var daemonVersion: String?
        var reason: String?
        do {
            let response = try client.get("/v2")
            daemonVersion = (try? response.json())?["version"]?.stringValue
            if daemonVersion == nil { reason = "answered \(response.status)" }
        } catch {
            reason = error.description
        }
        if global.output == .json {
            var w = JSONWriter()
            w.beginObject()
            w.key("motectl"); w.string(MoteVersion.string)
            w.key("moted")
            if let daemonVersion { w.string(daemonVersion) } else { w.null() }
            w.endObject()
            print(String(decoding: w.bytes, as: UTF8.self))
            return
        }
        print("motectl \(MoteVersion.string)")
        if let daemonVersion {
            print("moted   \(daemonVersion) (\(client.socketPath))")
        } else {
            print("moted   not reachable: \(reason ?? "unknown")")
        }
    }
}
