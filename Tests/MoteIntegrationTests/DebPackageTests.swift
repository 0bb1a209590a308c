import Foundation
import Testing

/// The Debian package `make deb` builds (`make test` builds it first and names it in MOTE_DEB):
/// lintian's verdict, what it installs where, and its man pages. Installing it with apt under
/// a real systemd is `RealSystemdTests`.
@Suite("Debian package", .serialized)
struct DebPackageTests {
    static let deb = ProcessInfo.processInfo.environment["MOTE_DEB"]

    /// The package, or nil when it was not built (a test fails in CI, where it must be).
    static func package() throws -> String? {
        guard let deb, FileManager.default.fileExists(atPath: deb) else {
            print("SKIPPED Debian package tests: no package (make deb; make test sets MOTE_DEB)")
            try #require(ProcessInfo.processInfo.environment["CI"] != "true", "CI must test the Debian package (MOTE_DEB)")
            return nil
        }
        return deb
    }

    /// The package's files unpacked into a temporary directory.
    static func unpacked(_ deb: String) throws -> String {
        let directory = DaemonProcess.makeTemporaryDirectory("mote-deb")
        let result = try runCommand("/usr/bin/dpkg-deb", ["-x", deb, directory])
        guard result.status == 0 else { throw TestFailure("dpkg-deb -x: \(result.stderr)") }
        return directory
    }

    static func field(_ deb: String, _ name: String) throws -> String {
        try runCommand("/usr/bin/dpkg-deb", ["-f", deb, name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("lintian finds no error and no warning")
    func lintianClean() throws {
        guard let deb = try DebPackageTests.package() else { return }
        guard let lintian = which("lintian") else {
            try #require(ProcessInfo.processInfo.environment["CI"] != "true", "CI must run lintian (apt-get install lintian)")
            return
        }
        let result = try runCommand(lintian, ["--fail-on", "error,warning", "--no-tag-display-limit", deb], timeout: 300)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let tags = result.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        #expect(tags.isEmpty, "\(tags.joined(separator: "\n"))")
    }

    @Test("control: the runtime libraries and the tools of the maintainer scripts are dependencies; the config is a conffile")
    func control() throws {
        guard let deb = try DebPackageTests.package() else { return }
        let depends = try DebPackageTests.field(deb, "Depends")
        for library in ["libsqlite3-0", "libsystemd0", "libc6", "init-system-helpers", "systemd-standalone-sysusers"] {
            #expect(depends.contains(library), "Depends: \(depends)")
        }
        #expect(try DebPackageTests.field(deb, "Version") == runCommand(DaemonProcess.motectlPath, ["--version"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines))
        let conffiles = try runCommand("/usr/bin/dpkg-deb", ["--info", deb, "conffiles"]).stdout
        #expect(conffiles.split(separator: "\n") == ["/etc/mote/moted.toml"])
        for script in ["postinst", "prerm", "postrm"] {
            let text = try runCommand("/usr/bin/dpkg-deb", ["--info", deb, script]).stdout
            #expect(text.hasPrefix("#!/bin/sh"), "\(script): \(text)")
        }
        let postinst = try runCommand("/usr/bin/dpkg-deb", ["--info", deb, "postinst"]).stdout
        #expect(postinst.contains("systemd-sysusers"))
        #expect(postinst.contains("daemon-reload"))
    }

    @Test("files: binaries, units naming installed docs and man pages, sysusers, config, docs, man pages, completions")
    func layout() throws {
        guard let deb = try DebPackageTests.package() else { return }
        let root = try DebPackageTests.unpacked(deb)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let expected = [
            "/usr/bin/moted", "/usr/bin/motectl",
            "/usr/lib/systemd/system/moted.service", "/usr/lib/systemd/system/moted.socket",
            "/usr/lib/sysusers.d/mote.conf", "/etc/mote/moted.toml",
            "/usr/share/doc/mote/README.md", "/usr/share/doc/mote/operations.md", "/usr/share/doc/mote/definitions.md",
            "/usr/share/doc/mote/openapi.yaml", "/usr/share/doc/mote/copyright", "/usr/share/doc/mote/changelog.gz",
            "/usr/share/man/man1/motectl.1.gz", "/usr/share/man/man8/moted.8.gz", "/usr/share/man/man5/moted.toml.5.gz",
            "/usr/share/bash-completion/completions/motectl", "/usr/share/zsh/vendor-completions/_motectl",
            "/usr/share/fish/vendor_completions.d/motectl.fish",
        ]
        for path in expected {
            #expect(FileManager.default.fileExists(atPath: root + path), "\(path) is in the package")
        }
        let shipped = try String(contentsOfFile: root + "/etc/mote/moted.toml", encoding: .utf8)
        #expect(shipped == (try String(contentsOfFile: Repository.path("etc/mote/moted.toml"), encoding: .utf8)))
        for unit in ["moted.service", "moted.socket"] {
            let text = try String(contentsOfFile: root + "/usr/lib/systemd/system/" + unit, encoding: .utf8)
            #expect(!text.contains("/usr/local"), "\(unit)")
            for path in DocumentationLinks.files(inUnit: text) {
                #expect(FileManager.default.fileExists(atPath: root + path), "\(unit) documents \(path)")
            }
            let pages = DocumentationLinks.manPages(inUnit: text)
            #expect(!pages.isEmpty, "\(unit) names its man page")
            for page in pages {
                let path = "/usr/share/man/man\(page.section)/\(page.name).\(page.section).gz"
                #expect(FileManager.default.fileExists(atPath: root + path), "\(unit) documents \(path)")
            }
        }
        let bash = try String(contentsOfFile: root + "/usr/share/bash-completion/completions/motectl", encoding: .utf8)
        #expect(bash.contains("complete") && bash.contains("feedback"), "the bash completion knows the commands")
    }

    /// A man page as `man` renders it, plain text.
    static func rendered(_ root: String, _ path: String) throws -> String {
        let result = try runCommand(
            "/bin/sh", ["-c", "gzip -dc '\(root + path)' | MANWIDTH=200 man -l -Tutf8 - | col -b"],
            environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"])
        return result.stdout
    }

    @Test("man pages: motectl(1) lists every command, moted(8) every flag and exit status, moted.toml(5) every key",
          .enabled(if: which("man") != nil, "man is missing"))
    func manPages() throws {
        guard let deb = try DebPackageTests.package() else { return }
        let root = try DebPackageTests.unpacked(deb)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let motectl = try DebPackageTests.rendered(root, "/usr/share/man/man1/motectl.1.gz")
        for command in ["status", "apply", "features", "runs", "models", "audit", "sync", "train", "jobs", "predict",
                        "feedback", "monitor", "version", "completion", "MOTE_SOCKET"] {
            #expect(motectl.contains(command), "motectl(1) mentions \(command)")
        }
        // moted(8) is written by hand: every flag `moted --help` shows, and every exit status
        // operations.md lists, must be on it.
        let moted = try DebPackageTests.rendered(root, "/usr/share/man/man8/moted.8.gz")
        #expect(moted.contains("MOTED(8)") && moted.contains("SIGHUP"))
        let help = try runCommand(DaemonProcess.motedPath, ["--help"]).stdout
        let flags = Set(help.split(whereSeparator: { " ,\n".contains($0) }).filter { $0.hasPrefix("--") }.map(String.init))
        #expect(flags.count >= 8, "\(flags)")
        for flag in flags { #expect(moted.contains(flag), "moted(8) describes \(flag)") }
        let operations = try String(contentsOfFile: Repository.path("docs/operations.md"), encoding: .utf8)
        let statuses = operations.components(separatedBy: "## Exit codes").last!.split(separator: "\n")
            .compactMap { line -> String? in
                let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                return cells.first.flatMap { Int($0) }.map(String.init)
            }
        #expect(statuses.count >= 6, "\(statuses)")
        let exitSection = moted.components(separatedBy: "EXIT STATUS").last?.components(separatedBy: "EXAMPLES").first ?? ""
        for status in statuses {
            #expect(exitSection.split(separator: "\n").contains { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first == Substring(status) },
                    "moted(8) explains exit status \(status)")
        }
        let config = try DebPackageTests.rendered(root, "/usr/share/man/man5/moted.toml.5.gz")
        #expect(config.contains("MOTED.TOML(5)"))
        // Every key of the shipped file, commented-out examples included, is described.
        let file = try String(contentsOfFile: Repository.path("etc/mote/moted.toml"), encoding: .utf8)
        var keys: [String] = []
        for line in file.split(separator: "\n") {
            let text = line.hasPrefix("# ") ? line.dropFirst(2) : line[...]
            guard let equals = text.firstIndex(of: "="), text.first?.isLetter == true else { continue }
            let key = text[..<equals].trimmingCharacters(in: .whitespaces)
            if key.allSatisfy({ $0.isLowercase || $0 == "_" }) { keys.append(key) }
        }
        #expect(keys.count > 60, "\(keys.count) keys read")
        for key in keys { #expect(config.contains("\(key) = "), "moted.toml(5) describes \(key)") }
        #expect(config.contains("[monitoring]") && config.contains("not_enough_data"))
    }
}
