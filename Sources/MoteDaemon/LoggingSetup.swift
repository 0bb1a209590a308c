public import Logging
import MoteCore
public import MoteSystemd

/// Builds moted's loggers: native journald entries when a journal is there (and not
/// `--log-stderr`), logfmt on stderr otherwise. No global bootstrap, so tests can run
/// several daemons in one process.
public struct LoggingSetup: Sendable {
    public let control: LogLevelControl
    public let useJournal: Bool

    public init(level: DaemonSettings.LogLevel, forceStderr: Bool) {
        control = LogLevelControl(Logger.Level(level))
        useJournal = !forceStderr && JournaldLogHandler.isAvailable
    }

    /// A logger for one component (`server`, `storage`, `daemon`, ...).
    public func logger(_ component: String) -> Logger {
        let control = self.control
        if useJournal {
            return Logger(label: component) { label in JournaldLogHandler(label: label, control: control) }
        }
        return Logger(label: component) { label in LogfmtLogHandler(label: label, control: control) }
    }
}

extension Logger.Level {
    /// The swift-log level for a config level name.
    public init(_ name: DaemonSettings.LogLevel) {
        switch name {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
