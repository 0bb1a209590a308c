import Foundation
import MoteCore
import Testing

/// moted's native journald entries, read back with journalctl.
@Suite("journald logging", .serialized,
       .enabled(if: isRoot && which("journalctl") != nil && FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-journald"),
                "needs root, journalctl and systemd-journald"))
struct JournaldTests {
    /// Entries (one JSON object per line) matching `match` fields.
    func entries(_ match: [String]) throws -> [JSONValue] {
        _ = try runCommand(which("journalctl")!, ["--sync"])
        let result = try runCommand(which("journalctl")!, ["-o", "json", "--no-pager"] + match)
        return result.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    @Test("entries carry MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=moted, CODE_* and MOTE_* fields")
    func nativeEntries() throws {
        let up = try runCommand("/bin/bash", [Repository.path("Tests/scripts/journald-up.sh")])
        #expect(up.status == 0, "\(up.stderr)")
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0666\"\n")
        try daemon.start(logToStderr: false)
        // A refused call is a warning with the caller's uid and pid.
        if let setpriv = which("setpriv"), let curl = which("curl") {
            _ = try runCommand(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", "--", curl, "-s", "--unix-socket", daemon.socketPath, "http://x/v1/status"])
        }
        #expect(daemon.stop() == 0)

        var ready: [JSONValue] = []
        _ = eventually(timeout: 10) {
            ready = (try? entries(["MOTE_EVENT=ready", "MOTE_STATE_DIR=\(daemon.stateDir)"])) ?? []
            return !ready.isEmpty
        }
        let entry = try #require(ready.first, "no ready entry in the journal; moted log:\n\(daemon.log())")
        #expect(entry["SYSLOG_IDENTIFIER"] == "moted")
        #expect(entry["PRIORITY"] == "5")
        #expect(entry["MESSAGE"] == "ready")
        #expect(entry["MOTE_COMPONENT"] == "daemon")
        #expect(entry["MOTE_VERSION"]?.stringValue == MoteVersion.string)
        #expect(entry["CODE_FILE"]?.stringValue?.contains("APIService.swift") == true)
        #expect(entry["CODE_LINE"] != nil && entry["CODE_FUNC"] != nil)
        #expect(entry["_TRANSPORT"] == "journal")
        let pid = entry["_PID"]?.stringValue ?? ""
        #expect(pid == String(daemon.process.pid))

        let denied = try entries(["MOTE_EVENT=access_denied", "_PID=\(pid)"])
        if which("setpriv") != nil {
            let d = try #require(denied.first)
            #expect(d["PRIORITY"] == "4")
            #expect(d["MOTE_UID"] == "65534")
            #expect(d["MOTE_PID"] != nil)
        }
        let stopped = try entries(["MOTE_EVENT=stopped", "_PID=\(pid)"])
        #expect(stopped.count == 1)
        // Nothing went to stderr: with a journal there, logs go to the journal.
        #expect(!daemon.log().contains("level=notice"))
    }
}
