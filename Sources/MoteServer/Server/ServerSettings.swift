import MoteCore
import Synchronization

/// The server settings that a reload (SIGHUP) can change while connections stay open.
/// Immutable and shared: a request takes a reference, not a copy.
public final class ServerSettings: Sendable {
    public let limits: LimitSettings
    public let policy: AccessPolicy

    public init(limits: LimitSettings, policy: AccessPolicy) {
        self.limits = limits
        self.policy = policy
    }
}

/// Holds the current `ServerSettings`; read at each request head, replaced on reload.
public final class ServerSettingsBox: Sendable {
    private let value: Mutex<ServerSettings>

    public init(_ settings: ServerSettings) {
        value = Mutex(settings)
    }

    /// The settings now in force.
    public var current: ServerSettings {
        value.withLock { $0 }
    }

    /// Replaces the settings; requests that already started keep the old ones.
    public func replace(_ settings: ServerSettings) {
        value.withLock { $0 = settings }
    }
}
