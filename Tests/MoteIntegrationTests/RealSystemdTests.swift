import Foundation
import Testing

/// The units under a real systemd, and their static checks.
@Suite("systemd units", .serialized)
struct RealSystemdTests {
    static let rootfs = ProcessInfo.processInfo.environment["MOTE_E2E_ROOTFS"] ?? "/var/cache/mote-ci/rootfs-bookworm-v1"

    static var e2eSkipReason: String? {
        if !isRoot { return "needs root" }
        if which("systemd-nspawn") == nil { return "systemd-nspawn is missing (apt-get install systemd-container)" }
        if which("jq") == nil { return "jq is missing" }
        if !FileManager.default.isExecutableFile(atPath: rootfs + "/lib/systemd/systemd") {
            return "no Debian tree at \(rootfs) (make e2e-rootfs)"
        }
        if DebPackageTests.deb.map({ FileManager.default.fileExists(atPath: $0) }) != true {
            return "no Debian package (make deb; make test sets MOTE_DEB)"
        }
        return nil
    }

    @Test("the package under systemd in nspawn: apt install, roles of the groups, conffile, socket activation, active with STATUS, reload, watchdog restart, clean stop, remove, purge")
    func endToEnd() throws {
        if let reason = RealSystemdTests.e2eSkipReason {
            print("SKIPPED real-systemd e2e: \(reason)")
            try #require(ProcessInfo.processInfo.environment["CI"] != "true", "CI must run the real-systemd test: \(reason)")
            return
        }
        let result = try runCommand(
            "/bin/bash",
            [Repository.path("Tests/scripts/e2e-nspawn.sh"), RealSystemdTests.rootfs, DebPackageTests.deb ?? ""], timeout: 600)
        print(result.stdout)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("e2e: all passed"))
    }

    /// The unit files with ExecStart pointing at the built binary (verify needs it to exist).
    func unitCopies() throws -> String {
        let directory = DaemonProcess.makeTemporaryDirectory("mote-units")
        let service = try String(contentsOfFile: Repository.path("systemd/moted.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/moted", with: DaemonProcess.motedPath)
        try service.write(toFile: directory + "/moted.service", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Repository.path("systemd/moted.socket"), toPath: directory + "/moted.socket")
        return directory
    }

    @Test("systemd-analyze verify passes without a warning",
          .enabled(if: which("systemd-analyze") != nil, "systemd-analyze is missing"))
    func verify() throws {
        let directory = try unitCopies()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try runCommand(
            // The man page a Documentation= names is checked in the package (DebPackageTests).
            which("systemd-analyze")!, ["verify", "--man=no", directory + "/moted.service", directory + "/moted.socket"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }

    @Test("systemd-analyze security --offline scores moted.service at most 1.5",
          .enabled(if: which("systemd-analyze") != nil, "systemd-analyze is missing"))
    func securityScore() throws {
        let result = try runCommand(
            which("systemd-analyze")!,
            ["security", "--offline=true", "--threshold=15", "--no-pager", Repository.path("systemd/moted.service")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let line = (result.stdout + result.stderr).split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        print(line)
        let score = Double(line.split(separator: ":").last?.split(separator: " ").first ?? "") ?? 99
        #expect(score <= 1.5)
    }
}
