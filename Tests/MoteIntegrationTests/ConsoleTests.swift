import Foundation
import MoteClient
import MoteCore
import Testing

/// The Python with Selenium (`MOTE_CONSOLE_PYTHON`, set by `make test`).
let consolePython: String? = {
    let path = ProcessInfo.processInfo.environment["MOTE_CONSOLE_PYTHON"] ?? ""
    return FileManager.default.isExecutableFile(atPath: path) ? path : nil
}()

/// The web console in a real browser (Debian's Chromium driven by Selenium, Tests/console):
/// through `motectl ui` to a real daemon holding trained models, runs, drift and jobs, each
/// page shows the API's numbers and the charts the data has; an admin's action changes the box
/// and is audited, a reader's is refused; an empty box says what to do first. Screenshots of
/// each page go to bench/console for the docs.
@Suite(
    "the web console in a browser", .serialized,
    .enabled(if: consolePython != nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "needs Chromium and the console venv (make test-deps)"))
struct ConsoleTests {
    static let config = "[monitoring]\ninterval = \"1s\"\nbucket = \"1s\"\nmin_rows = 50\ndata_interval = \"1s\"\n"

    /// A loopback port nothing listens on now.
    func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A daemon with the fixture's data (Tests/console/fixture.py), checked until its
    /// monitoring has judged drift a few times.
    func boxWithData(config: String = ConsoleTests.config) throws -> DaemonProcess {
        let daemon = DaemonProcess(config: config)
        try daemon.start()
        let made = try runCommand(consolePython!, [Repository.path("Tests/console/fixture.py"), DaemonProcess.motectlPath, daemon.socketPath], timeout: 300)
        #expect(made.status == 0, "\(made.stdout)\(made.stderr)")
        #expect(eventually(timeout: 20) {
            ((try? daemon.client().get("/v1/models/failure/monitoring").json()["history"]?.arrayValue?.count) ?? 0) >= 3
        })
        return daemon
    }

    /// `motectl ui` on a free port (as `user` through setpriv when given); waits until it answers.
    func bridge(_ daemon: DaemonProcess, asNobody: Bool = false) throws -> (ChildProcess, Int) {
        let port = freePort()
        let arguments = ["ui", "--port", String(port), "--socket", daemon.socketPath]
        let child =
            asNobody
            ? try ChildProcess(which("setpriv")!, ["--reuid=65534", "--regid=65534", "--clear-groups", "--", try readableCopy(of: DaemonProcess.motectlPath, in: daemon.directory)] + arguments,
                stdout: daemon.directory + "/ui.out", stderr: daemon.directory + "/ui.err")
            : try ChildProcess(DaemonProcess.motectlPath, arguments, stdout: daemon.directory + "/ui.out", stderr: daemon.directory + "/ui.err")
        #expect(eventually(timeout: 10) { ((try? String(contentsOfFile: daemon.directory + "/ui.out", encoding: .utf8)) ?? "").contains("http://localhost:\(port)/ui/") })
        return (child, port)
    }

    /// A copy of `file` in `directory` (world-traversable) that `nobody` can read and run: the
    /// clone may be in a directory only root can enter.
    func readableCopy(of file: String, in directory: String) throws -> String {
        let copy = directory + "/" + URL(fileURLWithPath: file).lastPathComponent
        try FileManager.default.copyItem(atPath: file, toPath: copy)
        chmod(copy, 0o755)
        return copy
    }

    /// Tests/console/console_test.py in MODE against the bridge (as nobody when asked).
    func browse(_ mode: String, port: Int, daemon: DaemonProcess, shots: String? = nil, asNobody: Bool = false) throws -> (status: Int32, stdout: String, stderr: String) {
        var arguments = [Repository.path("Tests/console/console_test.py"), mode, "http://localhost:\(port)", daemon.socketPath]
        if let shots { arguments.append(shots) }
        guard asNobody else { return try runCommand(consolePython!, arguments, timeout: 300) }
        // Chromium wants a home it can write; the scripts are copied there, since the clone may
        // be in a directory nobody cannot read.
        let home = DaemonProcess.makeTemporaryDirectory("mote-browser")
        chmod(home, 0o777)
        defer { try? FileManager.default.removeItem(atPath: home) }
        _ = try readableCopy(of: Repository.path("Tests/console/udsclient.py"), in: home)
        arguments[0] = try readableCopy(of: Repository.path("Tests/console/console_test.py"), in: home)
        return try runCommand(
            which("setpriv")!, ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/env", "HOME=\(home)", consolePython!] + arguments,
            timeout: 300)
    }

    @Test("every page shows the API's numbers, its charts the data's bars and points; an admin's promote and rollback are asked, done and audited")
    func pages() throws {
        let daemon = try boxWithData()
        let (child, port) = try bridge(daemon)
        defer { _ = child.killGroup() }
        let shots = Repository.path("bench/console")
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let result = try browse("pages", port: port, daemon: daemon, shots: shots)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 failures"), "\(result.stdout)")
        // Every page was drawn, with its data, and timed in the browser.
        let timings = result.stdout.split(separator: "\n").filter { $0.hasPrefix("timing ") }
        #expect(timings.count >= 13 && timings.allSatisfy { $0.contains("drawn_ms=") && !$0.contains("drawn_ms=None") }, "\(timings)")
        for name in ["overview", "features", "feature-view", "runs", "run", "runs-compare", "models", "model", "monitoring", "jobs", "job", "sync"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/\(name).png"), "screenshot \(name)")
        }
        #expect(daemon.stop() == 0)
    }

    @Test("a fresh box: the overview says what to do first; no page shows an empty chart")
    func emptyBox() throws {
        let daemon = DaemonProcess()
        try daemon.start()
        let (child, port) = try bridge(daemon)
        defer { _ = child.killGroup() }
        let result = try browse("empty", port: port, daemon: daemon, shots: Repository.path("bench/console"))
        #expect(result.status == 0 && result.stdout.contains("0 failures"), "\(result.stdout)\(result.stderr)")
        #expect(daemon.stop() == 0)
    }

    @Test(
        "a reader's action from the console is refused (403) and changes nothing; another user cannot use someone's bridge",
        .enabled(if: isRoot && which("setpriv") != nil, "needs root and setpriv to act as nobody"))
    func readerRefused() throws {
        let daemon = try boxWithData(config: Self.config + "[socket]\nmode = \"0666\"\n[access]\ndefault_role = \"read\"\n")
        let (child, port) = try bridge(daemon, asNobody: true)
        defer { _ = child.killGroup() }
        let result = try browse("reader", port: port, daemon: daemon, asNobody: true)
        #expect(result.status == 0 && result.stdout.contains("0 failures"), "\(result.stdout)\(result.stderr)")
        #expect(try daemon.client().get("/v1/models/failure").json()["model"]?["aliases"]?["champion"] == 2)
        // Root's own connection to nobody's bridge is refused by the bridge: the role stays with its user.
        let borrowed = try runCommand(which("curl")!, ["-s", "-m", "5", "http://localhost:\(port)/v1/status"])
        #expect(borrowed.stdout.isEmpty, "\(borrowed.stdout)")
        #expect(daemon.stop() == 0)
    }
}
