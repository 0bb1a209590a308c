public import MoteCore

/// `[daemon]`: the process itself. `log_level` and `shutdown_timeout` are live on reload;
/// the state directory and the thread counts need a restart.
public struct DaemonSettings: SettingsSection {
    public static let section = "daemon"

    /// Where databases and artifacts live (`StateDirectory=mote`).
    public var stateDir = "/var/lib/mote"
    /// Minimum level logged.
    public var logLevel = LogLevel.info
    /// Event loop threads; 0 means one per CPU core.
    public var eventLoopThreads = 0
    /// Threads for blocking work (database, files).
    public var blockingThreads = 2
    /// How long in-flight requests may take to finish after SIGTERM.
    public var shutdownTimeoutNanos: Int64 = 10_000_000_000

    public init() {}

    /// swift-log level names as written in config and on the command line.
    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.string("state_dir", nonEmpty: true) { stateDir = v }
        if let v = try t.enumeration("log_level", LogLevel.self) { logLevel = v }
        if let v = try t.int("event_loop_threads", 0...64) { eventLoopThreads = v }
        if let v = try t.int("blocking_threads", 1...64) { blockingThreads = v }
        if let v = try t.duration("shutdown_timeout") { shutdownTimeoutNanos = v }
    }
}
