public import MoteCore
import MoteServer

/// How moted was started: the config file and the flags that override it.
public struct DaemonOptions: Sendable {
    /// The config file. When `configExplicit` is false and the file is missing, defaults apply.
    public var configPath = "/etc/mote/moted.toml"
    public var configExplicit = false
    /// `--state-dir`: overrides `daemon.state_dir`.
    public var stateDir: String?
    /// `--socket`: overrides `socket.path`.
    public var socketPath: String?
    /// `--log-level`: overrides `daemon.log_level`.
    public var logLevel: DaemonSettings.LogLevel?
    /// `--log-stderr`: logfmt on stderr even when a journal is there.
    public var logToStderr = false

    public init() {}

    /// Reads the config file (or the defaults) and applies the flags.
    public func loadConfig() throws(MoteError) -> MoteConfig {
        var config = MoteConfig()
        if FileSystem.exists(configPath) || configExplicit {
            let text = try FileSystem.readText(configPath)
            do {
                config = try MoteConfig.load(text)
            } catch {
                throw MoteError(.config, "\(configPath): \(error)")
            }
        }
        if let stateDir { config.daemon.stateDir = FileSystem.absolute(stateDir) }
        if let socketPath {
            guard FileSystem.absolute(socketPath).utf8.count < 108 else {
                throw MoteError(.config, "--socket: a Unix socket path must be shorter than 108 bytes")
            }
            config.socket.path = FileSystem.absolute(socketPath)
        }
        if let logLevel { config.daemon.logLevel = logLevel }
        return config
    }
}
