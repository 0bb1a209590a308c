import Synchronization

/// The daemon's lifecycle phase, read by `/v2/health/ready` and `/v1/status`.
public final class Readiness: Sendable {
    /// A phase of the daemon.
    public enum Phase: Int, Sendable {
        case starting = 0, ready, reloading, stopping

        public var name: String {
            switch self {
            case .starting: return "starting"
            case .ready: return "ready"
            case .reloading: return "reloading"
            case .stopping: return "stopping"
            }
        }
    }

    private let raw = Atomic<Int>(Phase.starting.rawValue)

    public init() {}

    public var phase: Phase {
        get { Phase(rawValue: raw.load(ordering: .acquiring)) ?? .starting }
        set { raw.store(newValue.rawValue, ordering: .releasing) }
    }

    /// Ready to serve: up and not stopping (a reload keeps serving).
    public var isReady: Bool {
        let p = phase
        return p == .ready || p == .reloading
    }
}
