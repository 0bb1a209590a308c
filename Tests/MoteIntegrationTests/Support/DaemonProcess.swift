import Foundation
import MoteClient
import MoteCore
import Testing

/// A real `moted` process on a temporary socket and state directory, for tests that talk to
/// it over the socket like any client would.
final class DaemonProcess: @unchecked Sendable {
    let directory: String
    let socketPath: String
    let stateDir: String
    let configPath: String
    let logPath: String
    private var child: ChildProcess?

    /// The running (or ended) moted; a test that reads it before `start` fails loudly.
    var process: ChildProcess {
        guard let child else { preconditionFailure("DaemonProcess.start was not called") }
        return child
    }

    /// Where the built executables are: beside the test bundle in `.build/<config>/`.
    static var binDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    static var motedPath: String { binDirectory + "/moted" }
    static var motectlPath: String { binDirectory + "/motectl" }

    /// Makes a fresh directory (world-traversable, so tests can connect as `nobody`).
    static func makeTemporaryDirectory(_ prefix: String = "mote-test") -> String {
        let path = "/tmp/\(prefix)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o755)
        return path
    }

    /// Prepares (does not start) a daemon with `config` as its moted.toml.
    init(config: String = "", directory: String? = nil) {
        self.directory = directory ?? DaemonProcess.makeTemporaryDirectory()
        socketPath = self.directory + "/mote.sock"
        stateDir = self.directory + "/state"
        configPath = self.directory + "/moted.toml"
        logPath = self.directory + "/moted.log"
        try? config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts moted and waits until it answers on its socket.
    func start(
        extraArguments: [String] = [], environment: [String: String] = [:], logToStderr: Bool = true,
        waitUntilReady: Bool = true
    ) throws {
        var arguments = ["--config", configPath, "--state-dir", stateDir, "--socket", socketPath]
        if logToStderr { arguments.append("--log-stderr") }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NOTIFY_SOCKET")
        env.removeValue(forKey: "LISTEN_FDS")
        for (k, v) in environment { env[k] = v }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        child = try ChildProcess(
            DaemonProcess.motedPath, arguments + extraArguments, environment: env, stdout: logPath, stderr: logPath)
        if waitUntilReady { try waitForSocket() }
    }

    /// Waits until `/v2/health/ready` answers 200.
    func waitForSocket(timeout: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = process.terminationStatus {
                throw TestFailure("moted exited with \(status) before answering:\n\(log())")
            }
            let client = MoteClient(socketPath: socketPath, timeoutSeconds: 2)
            if let response = try? client.get("/v2/health/ready"), response.status == 200 { return }
            usleep(20_000)
        }
        throw TestFailure("moted did not answer on \(socketPath) within \(timeout)s:\n\(log())")
    }

    /// A client of this daemon.
    func client() -> MoteClient { MoteClient(socketPath: socketPath, timeoutSeconds: 10) }

    /// Applies definitions with `motectl apply -f` (the text written to a file in the daemon's
    /// directory); motectl's status and output.
    @discardableResult
    func apply(_ definitions: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let file = directory + "/defs.toml"
        try definitions.write(toFile: file, atomically: true, encoding: .utf8)
        return try runCommand(DaemonProcess.motectlPath, ["apply", "-f", file, "--socket", socketPath])
    }

    /// What moted wrote to stderr.
    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends a signal.
    func signal(_ sig: Int32) { process.signal(sig) }

    /// Writes `config`, sends SIGHUP and waits until the reload is logged; false when it was not.
    @discardableResult
    func reload(_ config: String) throws -> Bool {
        let before = log().components(separatedBy: "event=reloaded").count
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        signal(SIGHUP)
        return eventually { log().components(separatedBy: "event=reloaded").count > before }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    @discardableResult
    func stop(timeout: Double = 20) -> Int32 {
        guard let child else { return -1 }
        if child.isRunning { child.signal(SIGTERM) }
        return waitForExit(timeout: timeout)
    }

    /// Waits for the process to end (SIGKILL after `timeout`); returns its status.
    func waitForExit(timeout: Double = 20) -> Int32 {
        guard let child else { return -1 }
        if let status = child.wait(timeout: timeout) { return status }
        child.killGroup()
        return -9
    }

    deinit {
        child?.killGroup()
        // MOTE_KEEP_TEST_DIRS=1 keeps the directory (the daemon's log, its state) to read after a failure.
        if ProcessInfo.processInfo.environment["MOTE_KEEP_TEST_DIRS"] == nil { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// A test precondition that failed, with the details to read.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command and returns its exit status, stdout and stderr. A command still running
/// after `timeout` seconds is killed with its process group and reported as status 124.
@discardableResult
func runCommand(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 120
) throws -> (status: Int32, stdout: String, stderr: String) {
    let directory = DaemonProcess.makeTemporaryDirectory("mote-cmd")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let child = try ChildProcess(
        executable, arguments, environment: environment, stdout: directory + "/out", stderr: directory + "/err")
    var status = child.wait(timeout: timeout)
    var note = ""
    if status == nil {
        child.killGroup(grace: 20)
        status = 124
        note = "\n[test harness] \(executable) \(arguments.joined(separator: " ")) killed after \(Int(timeout)) s"
    }
    let out = (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? ""
    return (status ?? 124, out, err + note)
}

/// Finds an executable on PATH (or an absolute path), nil when absent.
func which(_ name: String) -> String? {
    if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin:/usr/sbin:/sbin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Whether this process runs as root (several tests switch user or start journald).
var isRoot: Bool { getuid() == 0 }
