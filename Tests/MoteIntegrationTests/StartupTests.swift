import Foundation
import MoteClient
import MoteCore
import Testing

/// Starting moted: config checks, the socket file, storage refusals.
@Suite("moted start-up", .serialized)
struct StartupTests {
    @Test("--check-config accepts the shipped config and names the key and line of a mistake")
    func checkConfig() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/mote/moted.toml").path
        let ok = try runCommand(DaemonProcess.motedPath, ["--check-config", "--config", shipped])
        #expect(ok.status == 0, "\(ok.stderr)")

        let daemon = DaemonProcess(config: "[daemon]\nlog_level = \"info\"\n\n[limits]\nmax_body_bytes = \"big\"\n")
        let bad = try runCommand(DaemonProcess.motedPath, ["--check-config", "--config", daemon.configPath])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("line 5"))
        #expect(bad.stderr.contains("limits.max_body_bytes"))

        try "[limits]\nmax_bdy_bytes = 10\n".write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let typo = try runCommand(DaemonProcess.motedPath, ["--check-config", "--config", daemon.configPath])
        #expect(typo.status == 78)
        #expect(typo.stderr.contains("limits.max_bdy_bytes"))
        #expect(typo.stderr.contains("unknown key"))

        let missing = try runCommand(DaemonProcess.motedPath, ["--check-config", "--config", "/nonexistent/moted.toml"])
        #expect(missing.status == 78)
        // The default file missing is not "ok" either: there is nothing to check.
        if !FileManager.default.fileExists(atPath: "/etc/mote/moted.toml") {
            let none = try runCommand(DaemonProcess.motedPath, ["--check-config"])
            #expect(none.status == 78 && none.stderr.contains("no such file") && !none.stdout.contains("ok"), "\(none.stdout)\(none.stderr)")
        }
    }

    @Test("moted refuses to start with an invalid config (exit 78) and says why")
    func invalidConfigRefused() throws {
        let daemon = DaemonProcess(config: "[storage]\nsynchronous = \"sometimes\"\n")
        try daemon.start(waitUntilReady: false)
        #expect(daemon.waitForExit() == 78)
        #expect(daemon.log().contains("storage.synchronous"))
    }

    @Test("a stale socket file is removed; a second moted on a live socket refuses to start")
    func staleAndLiveSockets() throws {
        let daemon = DaemonProcess()
        // A stale socket: bound, then its process is gone.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = UnixSocketAddress(daemon.socketPath)!
        _ = address.bind(fd)
        close(fd)
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
        try daemon.start()

        let second = DaemonProcess()
        let result = try runCommand(
            DaemonProcess.motedPath, ["--state-dir", second.stateDir, "--socket", daemon.socketPath, "--log-stderr"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("another process"))
        // The first daemon is untouched.
        #expect(try daemon.client().get("/v2/health/live").status == 200)
        #expect(daemon.stop() == 0)
        // A socket moted bound itself is removed on a clean stop.
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test("a second moted on the same state directory refuses to start (exit 75, naming the holder) and changes nothing; after a kill -9 the directory is free")
    func stateDirectoryLock() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        #expect(try daemon.client().post("/v1/models", json: Array(#"{"name":"kept"}"#.utf8)).status == 201)
        let other = DaemonProcess()
        let result = try runCommand(
            DaemonProcess.motedPath, ["--state-dir", daemon.stateDir, "--socket", other.socketPath, "--log-stderr"])
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("in use by another moted (pid "), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other.socketPath))
        // The first daemon is untouched and still writes.
        #expect(try daemon.client().post("/v1/models", json: Array(#"{"name":"after"}"#.utf8)).status == 201)
        // kill -9 releases the lock with the process: the next moted starts and finds both models.
        daemon.signal(SIGKILL)
        _ = daemon.waitForExit()
        let next = DaemonProcess(directory: daemon.directory)
        try next.start()
        let models = try next.client().get("/v1/models").json()["models"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(Set(models) == ["kept", "after"], "\(models)")
        #expect(next.stop() == 0)
    }

    @Test("the socket gets the configured mode")
    func socketMode() throws {
        let daemon = DaemonProcess(config: "[socket]\nmode = \"0640\"\n")
        try daemon.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: daemon.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        daemon.stop()
    }

    @Test("a database written by a newer moted is refused (exit 65) and left unchanged")
    func newerSchemaRefused() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        #expect(daemon.stop() == 0)
        let registry = daemon.stateDir + "/db/registry.sqlite"
        let sql = "INSERT INTO mote_migrations (id, applied_at_ns, moted_version) VALUES ('9999_from_the_future', 0, '99.0.0');"
        let inserted = try runCommand(which("python3")!, ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", registry, sql])
        #expect(inserted.status == 0, "\(inserted.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: registry))

        let again = DaemonProcess(directory: daemon.directory)
        try again.start(waitUntilReady: false)
        #expect(again.waitForExit() == 65)
        #expect(again.log().contains("newer moted"))
        #expect(again.log().contains("9999_from_the_future"))
        let after = try Data(contentsOf: URL(fileURLWithPath: registry))
        #expect(before == after)
    }
}
