import MoteCore
import MoteServer

#if canImport(Glibc)
import Glibc
#endif

/// `moted --check-config`: validates the config file and prints the verdict.
public enum ConfigCheck {
    /// Prints `ok` or the error (file, line, key) and returns the exit code.
    /// A missing file is not "ok": there is nothing to check (moted itself starts with the
    /// built-in defaults when the default file is missing, and says so in its log).
    public static func run(_ options: DaemonOptions) -> Int32 {
        guard FileSystem.exists(options.configPath) else {
            printErr("moted: \(options.configPath): no such file (nothing to check; without it moted runs on the built-in defaults, see etc/mote/moted.toml)")
            return Daemon.ExitCode.config
        }
        do {
            let config = try options.loadConfig()
            let policy = AccessPolicy(config.access)
            for warning in policy.warnings { printErr("warning: \(warning)") }
            print("\(options.configPath): ok")
            return Daemon.ExitCode.ok
        } catch {
            printErr("moted: \(error.message)")
            return Daemon.ExitCode.config
        }
    }
}

/// Writes a line to stderr.
func printErr(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    bytes.withUnsafeMutableBytes { raw in _ = write(STDERR_FILENO, raw.baseAddress, raw.count) }
}
