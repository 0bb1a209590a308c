import Foundation
import MoteCore
import Testing

/// The motectl binary against a real daemon.
@Suite("motectl", .serialized)
struct MotectlTests {
    @Test("status prints a readable table, and JSON with -o json")
    func status() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let table = try runCommand(DaemonProcess.motectlPath, ["status", "--socket", daemon.socketPath])
        #expect(table.status == 0)
        #expect(table.stdout.contains("moted"))
        #expect(table.stdout.contains("ready"))
        #expect(table.stdout.contains(daemon.stateDir))
        #expect(table.stdout.contains("registry"))

        // Global options before the subcommand, and MOTE_SOCKET.
        let json = try runCommand(DaemonProcess.motectlPath, ["--socket", daemon.socketPath, "-o", "json", "status"])
        #expect(json.status == 0)
        let parsed = try JSONParser.parse(json.stdout)
        #expect(parsed["state"] == "ready")

        var env = ProcessInfo.processInfo.environment
        env["MOTE_SOCKET"] = daemon.socketPath
        let viaEnv = try runCommand(DaemonProcess.motectlPath, ["status", "-o", "json"], environment: env)
        #expect(viaEnv.status == 0)
        daemon.stop()
    }

    @Test("status --wait waits for a daemon that is not started yet, then shows it; --timeout gives up with exit 2")
    func statusWait() throws {
        let daemon = DaemonProcess()
        let starter = Thread {
            usleep(1_500_000)
            try? daemon.start()
        }
        starter.start()
        let waited = try runCommand(DaemonProcess.motectlPath, ["status", "--wait", "--timeout", "60", "--socket", daemon.socketPath], timeout: 90)
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stdout.contains("ready"), "\(waited.stdout)")
        while !starter.isFinished { usleep(10_000) }
        #expect(daemon.stop() == 0)
        let started = Date()
        let gaveUp = try runCommand(DaemonProcess.motectlPath, ["status", "--wait", "--timeout", "1", "--socket", "/tmp/no-such-moted.sock"])
        #expect(gaveUp.status == 2 && gaveUp.stderr.contains("not ready after 1 s"), "\(gaveUp.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try runCommand(DaemonProcess.motectlPath, ["status", "--wait", "--timeout", "0"]).status == 64)
    }

    @Test("usage mistakes exit 64 with the command's own usage: an unknown command (with --help too), a wrong combination; --version once")
    func usageMistakes() throws {
        let ctl = DaemonProcess.motectlPath
        let unknown = try runCommand(ctl, ["feedbak", "--help"])
        #expect(unknown.status == 64 && unknown.stderr.contains("unknown command 'feedbak'") && unknown.stdout.isEmpty, "\(unknown.stdout)\(unknown.stderr)")
        let both = try runCommand(ctl, ["predict", "failure", "--entity", "machine_id=m1", "--input", "{}"])
        #expect(both.status == 64 && both.stderr.contains("Usage: motectl predict"), "\(both.stderr)")
        let shell = try runCommand(ctl, ["completion", "tcsh"])
        #expect(shell.status == 64 && shell.stderr.contains("Usage: motectl completion"), "\(shell.stderr)")
        let version = try runCommand(ctl, ["--version"])
        #expect(version.status == 0 && version.stdout == MoteVersion.string + "\n")
        // One --version on predict and monitor: the model version.
        let help = try runCommand(ctl, ["predict", "--help"])
        #expect(help.stdout.components(separatedBy: "--version").count - 1 == 2, "usage line and one option: \(help.stdout)")
        #expect(try runCommand(ctl, ["feedback", "--help"]).stdout.contains("motectl feedback"))
    }

    @Test("an unreachable daemon gives one line naming the socket and what to check, and exit code 2")
    func unreachable() throws {
        let result = try runCommand(DaemonProcess.motectlPath, ["status", "--socket", "/tmp/no-such-moted.sock"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(result.stderr.contains("/tmp/no-such-moted.sock"))
        #expect(result.stderr.contains("systemctl status moted"))
    }

    @Test("version prints both versions; completion prints scripts for bash, zsh and fish")
    func versionAndCompletion() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let version = try runCommand(DaemonProcess.motectlPath, ["version", "--socket", daemon.socketPath, "-o", "json"])
        #expect(version.status == 0)
        let parsed = try JSONParser.parse(version.stdout)
        #expect(parsed["motectl"]?.stringValue == MoteVersion.string)
        #expect(parsed["moted"]?.stringValue == MoteVersion.string)
        daemon.stop()

        for shell in ["bash", "zsh", "fish"] {
            let script = try runCommand(DaemonProcess.motectlPath, ["completion", shell])
            #expect(script.status == 0)
            #expect(script.stdout.contains("status"))
        }
        #expect(try runCommand(DaemonProcess.motectlPath, ["completion", "tcsh"]).status != 0)
    }
}
