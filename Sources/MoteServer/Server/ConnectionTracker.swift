public import NIOCore
import Synchronization

/// Open connections: enforces `max_connections` and lets shutdown reach every connection.
public final class ConnectionTracker: Sendable {
    private let channels: Mutex<[ObjectIdentifier: any Channel]>

    public init() {
        channels = Mutex([:])
    }

    /// Registers `channel` unless `limit` connections are already open. Returns false when refused.
    public func admit(_ channel: any Channel, limit: Int) -> Bool {
        let admitted = channels.withLock { table -> Bool in
            guard table.count < limit else { return false }
            table[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [weak self] _ in
                _ = self?.channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return admitted
    }

    /// Open connections now.
    public var count: Int { channels.withLock { $0.count } }

    /// A snapshot of the open connections.
    public var all: [any Channel] { channels.withLock { Array($0.values) } }
}
