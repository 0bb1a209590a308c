import Foundation
import MoteClient
import MoteCore
import Testing

/// The systemd contract without systemd as PID 1: this test plays the service manager.
@Suite("systemd contract", .serialized)
struct SystemdContractTests {
    @Test("READY with STATUS, WATCHDOG pings at half the interval, RELOADING then READY on SIGHUP, STOPPING and exit 0 on SIGTERM")
    func notifyProtocol() throws {
        let daemon = DaemonProcess(config: "[daemon]\nlog_level = \"info\"\n")
        let notify = try NotifyListener(directory: daemon.directory)
        try daemon.start(
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "600000"], waitUntilReady: false)
        let pid = daemon.process.pid
        // WATCHDOG_PID must name the daemon for sd_watchdog_enabled to accept it; without it any pid is accepted.
        _ = pid
        guard let ready = notify.wait(for: "READY", value: "1") else {
            Issue.record("no READY=1; log:\n\(daemon.log())")
            return
        }
        #expect(notify.messages[ready].fields["STATUS"]?.contains("serving on \(daemon.socketPath)") == true)
        #expect(notify.messages[ready].fields["MAINPID"] == String(pid))
        // The socket answers by the time READY arrives.
        #expect(try daemon.client().get("/v2/health/ready").status == 200)

        // Watchdog: at 300 ms, about 3 pings in a second.
        Thread.sleep(forTimeInterval: 1.2)
        notify.drain()
        #expect(notify.count(of: "WATCHDOG") >= 3)

        daemon.signal(SIGHUP)
        guard let reloading = notify.wait(for: "RELOADING", value: "1", after: ready) else {
            Issue.record("no RELOADING=1")
            return
        }
        #expect(notify.messages[reloading].fields["MONOTONIC_USEC"] != nil)
        #expect(notify.wait(for: "READY", value: "1", after: reloading) != nil)
        #expect(try daemon.client().get("/v2/health/ready").status == 200)

        daemon.signal(SIGTERM)
        #expect(notify.wait(for: "STOPPING", value: "1", after: reloading) != nil)
        #expect(daemon.waitForExit() == 0)
    }

    @Test("a reload with a broken config keeps serving with the old one and says so")
    func brokenReload() throws {
        let daemon = DaemonProcess()
        let notify = try NotifyListener(directory: daemon.directory)
        try daemon.start(environment: ["NOTIFY_SOCKET": notify.path])
        try "[limits\nbroken".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let before = notify.wait(for: "READY") ?? -1
        daemon.signal(SIGHUP)
        let after = notify.wait(for: "READY", after: before)
        #expect(after != nil)
        if let after { #expect(notify.messages[after].fields["STATUS"]?.contains("last reload failed") == true) }
        #expect(daemon.log().contains("event=reload_failed"))
        #expect(try daemon.client().get("/v2/health/ready").status == 200)
        #expect(daemon.stop() == 0)
    }

    @Test("SIGTERM lets a request in flight finish, then exits 0")
    func gracefulDrain() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        // A request half sent is in flight: its head is read, its body is still coming.
        let body = #"{"toml": "[[entity]]\nname = \"m\"\njoin_key = \"k\"\n"}"#
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("POST /v1/apply HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        socket.send(String(body.prefix(10)))
        Thread.sleep(forTimeInterval: 0.3)
        daemon.signal(SIGTERM)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(daemon.process.isRunning, "moted quit with a request in flight")
        socket.send(String(body.dropFirst(10)))
        let answer = socket.readToClose()
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        #expect(answer.contains("connection: close"))
        #expect(daemon.waitForExit() == 0)
        #expect(daemon.log().contains("event=stopped"))
        // What the request did is stored: the next start has the definitions.
        let again = DaemonProcess(directory: daemon.directory)
        try again.start()
        #expect(try again.client().get("/v1/definitions").json()["version"] == 1)
        again.stop()
    }

    @Test("socket activation: moted adopts the socket systemd-socket-activate passes (LISTEN_FDS, fd name api)",
          .enabled(if: which("systemd-socket-activate") != nil, "systemd-socket-activate is not installed"))
    func socketActivation() throws {
        let directory = DaemonProcess.makeTemporaryDirectory()
        let daemon = DaemonProcess(directory: directory)
        let notify = try NotifyListener(directory: directory)
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        _ = FileManager.default.createFile(atPath: daemon.logPath, contents: nil)
        let activator = try ChildProcess(
            which("systemd-socket-activate")!,
            [
                "-l", daemon.socketPath, "--fdname=api", "-E", "NOTIFY_SOCKET",
                DaemonProcess.motedPath, "--config", daemon.configPath, "--state-dir", daemon.stateDir, "--log-stderr",
                // A --socket pointing elsewhere must lose to the passed socket.
                "--socket", directory + "/unused.sock",
            ],
            environment: env, stderr: daemon.logPath)
        defer { activator.killGroup() }
        #expect(eventually { FileManager.default.fileExists(atPath: daemon.socketPath) })
        // It execs moted only on the first connection; that connection is served.
        let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 20)
        let status = try client.get("/v1/status").json()
        #expect(status["socket"]?["listener"]?.stringValue == "activated fd 3 (api)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/unused.sock"))
        #expect(notify.wait(for: "READY", value: "1") != nil)
        activator.signal(SIGTERM)
        #expect(activator.wait(timeout: 15) == 0)
        // The passed socket file is systemd's: moted leaves it in place.
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
    }
}

/// What `make install` lays out, without the release build (`make install-files`).
@Suite("installed files")
struct InstalledFilesTests {
    @Test("installed with PREFIX=/usr, the units start /usr/bin/moted and their Documentation= names files that are installed")
    func unitsFollowPrefix() throws {
        let destination = DaemonProcess.makeTemporaryDirectory("mote-install")
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let make = try runCommand(which("make") ?? "/usr/bin/make", ["-s", "-C", Repository.root, "install-files", "DESTDIR=\(destination)", "PREFIX=/usr"])
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        for unit in ["moted.service", "moted.socket"] {
            let text = try String(contentsOfFile: destination + "/usr/lib/systemd/system/" + unit, encoding: .utf8)
            #expect(!text.contains("/usr/local"), "\(unit): \(text)")
            let documented = DocumentationLinks.files(inUnit: text)
            #expect(!documented.isEmpty, "\(unit) names a file in Documentation=")
            for path in documented {
                #expect(FileManager.default.fileExists(atPath: destination + path), "\(unit) documents \(path), which is installed")
            }
            if unit == "moted.service" { #expect(text.contains("ExecStart=/usr/bin/moted ")) }
        }
        #expect(FileManager.default.fileExists(atPath: destination + "/etc/mote/moted.toml"))
        #expect(FileManager.default.fileExists(atPath: destination + "/usr/lib/sysusers.d/mote.conf"))
        #expect(FileManager.default.fileExists(atPath: destination + "/usr/share/doc/mote/openapi.yaml"))
    }
}

/// The links of a unit's `Documentation=` lines (space-separated URIs, systemd.unit(5)).
enum DocumentationLinks {
    static func uris(inUnit text: String) -> [String] {
        text.split(separator: "\n").filter { $0.hasPrefix("Documentation=") }
            .flatMap { $0.dropFirst("Documentation=".count).split(separator: " ").map(String.init) }
    }

    /// Paths of the `file://` links.
    static func files(inUnit text: String) -> [String] {
        uris(inUnit: text).filter { $0.hasPrefix("file://") }.map { String($0.dropFirst("file://".count)) }
    }

    /// `man:moted(8)` as ("moted", "8").
    static func manPages(inUnit text: String) -> [(name: String, section: String)] {
        uris(inUnit: text).compactMap { uri in
            guard uri.hasPrefix("man:"), let open = uri.firstIndex(of: "("), uri.hasSuffix(")") else { return nil }
            let name = String(uri[uri.index(uri.startIndex, offsetBy: 4)..<open])
            let section = String(uri[uri.index(after: open)..<uri.index(before: uri.endIndex)])
            return (name, section)
        }
    }
}
