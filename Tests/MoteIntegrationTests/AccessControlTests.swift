import Foundation
import MoteClient
import MoteCore
import Testing

/// Roles from SO_PEERCRED, checked by running the client as another user.
@Suite("access control by peer credentials", .serialized, .enabled(if: isRoot && which("setpriv") != nil, "needs root and setpriv to act as nobody"))
struct AccessControlTests {
    /// Runs curl as `nobody` against the socket; returns (HTTP status, body).
    func asNobody(_ daemon: DaemonProcess, _ path: String) throws -> (Int, String) {
        let result = try runCommand(
            which("setpriv")!,
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", which("curl")!, "-s", "-w", "\n%{http_code}",
             "--unix-socket", daemon.socketPath, "http://localhost\(path)"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? -1
        return (status, lines.dropLast().joined(separator: "\n"))
    }

    @Test("a uid without the role gets 403 with the error body, and the refusal is logged with uid and pid")
    func refusedWithoutRole() throws {
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0666\"\n")
        try daemon.start()
        let (status, body) = try asNobody(daemon, "/v1/status")
        #expect(status == 403)
        let error = try JSONParser.parse(body)
        #expect(error["code"] == "forbidden")
        #expect(error["error"]?.stringValue?.contains("uid 65534") == true)
        // Health stays open to anyone who can reach the socket.
        #expect(try asNobody(daemon, "/v2/health/ready").0 == 200)
        #expect(eventually { daemon.log().contains("event=access_denied") })
        let line = daemon.log().split(separator: "\n").first { $0.contains("event=access_denied") } ?? ""
        #expect(line.contains("uid=65534"))
        #expect(line.contains("pid="))
        #expect(line.contains("route=/v1/status"))
        // Root is admin.
        #expect(try daemon.client().get("/v1/status").status == 200)
        daemon.stop()
    }

    @Test("a uid granted a role in [access] is allowed, and a reload can take it away")
    func grantedByConfigAndReload() throws {
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0666\"\n[access]\nread = { uids = [65534] }\n")
        try daemon.start()
        #expect(try asNobody(daemon, "/v1/status").0 == 200)
        try "[socket]\nmode = \"0666\"\n[access]\nread = { uids = [] }\n".write(
            toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(eventually { (try? asNobody(daemon, "/v1/status").0) == 403 })
        #expect(daemon.log().contains("event=reloaded"))
        daemon.stop()
    }

    @Test("a group granted a role in [access] is allowed")
    func grantedByGroup() throws {
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0666\"\n[access]\nread = { groups = [\"nogroup\"] }\n")
        try daemon.start()
        #expect(try asNobody(daemon, "/v1/status").0 == 200)
        daemon.stop()
    }

    @Test("the user moted runs as is admin without a grant (make run as a normal user); other users are not")
    func ownerIsAdmin() throws {
        let directory = DaemonProcess.makeTemporaryDirectory()
        chown(directory, 65534, 65534)
        let socket = directory + "/mote.sock"
        try "[socket]\nmode = \"0666\"\n".write(toFile: directory + "/moted.toml", atomically: true, encoding: .utf8)
        let moted = try ChildProcess(
            which("setpriv")!,
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", DaemonProcess.motedPath, "--config", directory + "/moted.toml",
             "--state-dir", directory + "/state", "--socket", socket, "--log-stderr"],
            stdout: directory + "/moted.log", stderr: directory + "/moted.log")
        defer { _ = moted.killGroup() }
        #expect(eventually(timeout: 20) { FileManager.default.fileExists(atPath: socket) })
        func status(as uid: Int) throws -> String {
            try runCommand(
                which("setpriv")!,
                ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", DaemonProcess.motectlPath, "status", "--wait", "--timeout", "20", "--socket", socket]
            ).stdout
        }
        // nobody runs moted: nobody administers it (apply is admin).
        #expect(try status(as: 65534).contains("ready"))
        let apply = try runCommand(
            which("setpriv")!,
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", which("curl")!, "-s", "-w", "\n%{http_code}", "--unix-socket", socket,
             "-H", "content-type: application/json", "-d", #"{"toml":"[[entity]]\nname = \"m\"\njoin_key = \"id\"\n","dry_run":true}"#,
             "http://localhost/v1/apply"])
        #expect(apply.stdout.hasSuffix("\n200"), "\(apply.stdout)")
        // Another user gets the default role.
        let other = try runCommand(
            which("setpriv")!,
            ["--reuid=65533", "--regid=65533", "--clear-groups", "--", which("curl")!, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", socket,
             "http://localhost/v1/status"])
        #expect(other.stdout == "403", "\(other.stdout)")
    }

    @Test("default_role applies to callers no rule names")
    func defaultRole() throws {
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0666\"\n[access]\ndefault_role = \"read\"\n")
        try daemon.start()
        #expect(try asNobody(daemon, "/v1/status").0 == 200)
        daemon.stop()
    }

    @Test("a caller with no role cannot lock others out: refused at its head, held to its share, cut at head_timeout")
    func noLockout() throws {
        let daemon = DaemonProcess(
            config: "[socket]\nmode = \"0666\"\n[limits]\nmax_connections = 8\nmax_connections_per_uid = 4\nhead_timeout = \"2s\"\n")
        try daemon.start()
        // Ten slow connections from uid 65534: the old daemon let them take every slot.
        let result = try runCommand("/usr/bin/python3", [Repository.path("Tests/scripts/slow_callers.py"), daemon.socketPath, "10"], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONParser.parse(result.stdout)
        #expect(report["forbidden_status"]?.int64Value == 403)
        #expect(report["forbidden_code"] == "forbidden")
        #expect((report["forbidden_seconds"]?.doubleValue ?? 9) < 1, "the 403 did not wait for the body")
        #expect(report["held"]?.int64Value == 4)
        #expect(report["refused_per_uid"]?.int64Value == 6)
        #expect(report["root_status"]?.int64Value == 200, "root was served while the slow caller held its share")
        #expect(report["held_answers"]?.arrayValue?.map { $0.int64Value } == [408, 408, 408, 408])
        #expect((report["held_seconds"]?.doubleValue ?? 99) < 4)
        #expect(daemon.stop() == 0)
    }

    @Test("SIGTERM does not wait for a stalled body: after limits.stop_body_grace the caller gets 503 and moted exits")
    func stopDuringUpload() throws {
        let daemon = DaemonProcess(config: "[daemon]\nshutdown_timeout = \"30s\"\n")
        try daemon.start()
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"view\":")
        usleep(100_000)
        let started = Date()
        #expect(daemon.stop() == 0)
        #expect(Date().timeIntervalSince(started) < 3)
        let answer = socket.readToClose()
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
        #expect(answer.contains("shutting_down"))
    }
}
