import ArgumentParser
import MoteCore
import MoteDaemon

#if canImport(Glibc)
import Glibc
#endif

/// `moted`: the mote daemon. Parses flags and hands over to `MoteDaemon`.
@main
struct Moted: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moted",
        abstract: "The mote daemon: feature cache, training, registry and inference on one edge box.",
        discussion: """
            SIGHUP re-reads the config, SIGTERM stops. Exit status: 0 stopped cleanly, 1 failure, \
            65 a database written by a newer moted, 69 another process on the socket, 75 the state \
            directory held by another moted, 78 invalid configuration. More: moted(8), moted.toml(5).
            """,
        version: MoteVersion.string)

    @Option(name: .long, help: "Config file (default /etc/mote/moted.toml; defaults apply when it is missing).")
    var config: String?

    @Option(name: .long, help: "State directory (overrides daemon.state_dir).")
    var stateDir: String?

    @Option(name: .long, help: "API socket path when not socket-activated (overrides socket.path).")
    var socket: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (overrides daemon.log_level).")
    var logLevel: String?

    @Flag(name: .long, help: "Log logfmt lines to stderr even when a journal is there.")
    var logStderr = false

    @Flag(name: .long, help: "Check the config file and exit: 0 when valid, 78 with the key and line when not.")
    var checkConfig = false

    func run() async throws {
        var options = DaemonOptions()
        if let config {
            options.configPath = config
            options.configExplicit = true
        }
        options.stateDir = stateDir
        options.socketPath = socket
        options.logToStderr = logStderr
        if let logLevel {
            guard let level = DaemonSettings.LogLevel(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of \(DaemonSettings.LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.logLevel = level
        }
        if checkConfig {
            throw ExitCode(ConfigCheck.run(options))
        }
        let code = await Daemon.run(options: options)
        if code != 0 { throw ExitCode(code) }
    }
}
