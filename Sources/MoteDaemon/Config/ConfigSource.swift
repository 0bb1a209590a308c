import Logging
import MoteSystemd
public import MoteCore
public import MoteServer
import Synchronization

/// The configuration in force and the one path that replaces it on reload. Modules read
/// their section through `live(_:)`, so the assignment of a new config is all a reload
/// needs for them; the few things built from settings (the server's access policy, the log
/// level) are rebuilt here too.
public final class ConfigSource: Sendable {
    /// One immutable config, shared by reference: a read takes the lock for one retain.
    private final class Snapshot: Sendable {
        let config: MoteConfig
        init(_ config: MoteConfig) { self.config = config }
    }

    private let snapshot: Mutex<Snapshot>
    /// Limits and access policy as the HTTP server reads them at each request head.
    public let server: ServerSettingsBox
    private let logging: LoggingSetup

    init(_ config: MoteConfig, logging: LoggingSetup) {
        snapshot = Mutex(Snapshot(config))
        server = ServerSettingsBox(ServerSettings(limits: config.limits, policy: AccessPolicy(config.access)))
        self.logging = logging
    }

    /// The configuration in force now.
    public var current: MoteConfig {
        snapshot.withLock { $0 }.config
    }

    /// A section (or any part) of the configuration, read live.
    public func live<Part: Sendable>(_ part: @escaping @Sendable (MoteConfig) -> Part) -> Live<Part> {
        // `part` borrows the snapshot's config: no copy of the sections it does not read
        // (hot paths read their limits through here on every request).
        Live { [self] in
            let current = snapshot.withLock { $0 }
            return part(current.config)
        }
    }

    /// Warnings about the access policy in force (group names that do not exist).
    public var accessWarnings: [String] { server.current.policy.warnings }

    /// Applies a reload: `new` replaces the config in force, except the keys that need a
    /// restart, which keep their running values. Returns what changed.
    func apply(_ new: MoteConfig) -> ConfigChange {
        let change = ConfigChange(old: current, new: new)
        server.replace(ServerSettings(limits: change.applied.limits, policy: AccessPolicy(change.applied.access)))
        logging.control.level = Logger.Level(change.applied.daemon.logLevel)
        snapshot.withLock { $0 = Snapshot(change.applied) }
        return change
    }
}
