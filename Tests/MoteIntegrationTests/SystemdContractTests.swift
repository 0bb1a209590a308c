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
        let pid = daemon.process.processIdentifier
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
        // Keep a connection open and busy-ish: a request sent just before SIGTERM is answered.
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send("GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        daemon.signal(SIGTERM)
        let answer = socket.readToClose()
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(daemon.waitForExit() == 0)
        #expect(daemon.log().contains("event=stopped"))
    }

    @Test("socket activation: moted adopts the socket systemd-socket-activate passes (LISTEN_FDS, fd name api)",
          .enabled(if: which("systemd-socket-activate") != nil, "systemd-socket-activate is not installed"))
    func socketActivation() throws {
        let directory = DaemonProcess.makeTemporaryDirectory()
        let daemon = DaemonProcess(directory: directory)
        let notify = try NotifyListener(directory: directory)
        let activator = Process()
        activator.executableURL = URL(fileURLWithPath: which("systemd-socket-activate")!)
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        activator.environment = env
        activator.arguments = [
            "-l", daemon.socketPath, "--fdname=api", "-E", "NOTIFY_SOCKET",
            DaemonProcess.motedPath, "--config", daemon.configPath, "--state-dir", daemon.stateDir, "--log-stderr",
            // A --socket pointing elsewhere must lose to the passed socket.
            "--socket", directory + "/unused.sock",
        ]
        _ = FileManager.default.createFile(atPath: daemon.logPath, contents: nil)
        activator.standardError = FileHandle(forWritingAtPath: daemon.logPath)
        try activator.run()
        defer {
            if activator.isRunning { kill(activator.processIdentifier, SIGKILL) }
        }
        #expect(eventually { FileManager.default.fileExists(atPath: daemon.socketPath) })
        // It execs moted only on the first connection; that connection is served.
        let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 20)
        let status = try client.get("/v1/status").json()
        #expect(status["socket"]?["listener"]?.stringValue == "activated fd 3 (api)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/unused.sock"))
        #expect(notify.wait(for: "READY", value: "1") != nil)
        kill(activator.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while activator.isRunning, Date() < deadline { usleep(10_000) }
        #expect(!activator.isRunning)
        #expect(activator.terminationStatus == 0)
        // The passed socket file is systemd's: moted leaves it in place.
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
    }
}
