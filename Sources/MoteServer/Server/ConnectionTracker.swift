public import NIOCore
import Synchronization

/// Open connections: enforces `max_connections` and the per-caller share, and lets shutdown
/// reach every connection.
public final class ConnectionTracker: Sendable {
    private struct Table {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var perUID: [UInt32: Int] = [:]
    }

    /// The outcome of `admit`.
    public enum Admission: Sendable, Equatable {
        case admitted
        /// `limit` connections are open.
        case overTotal
        /// The caller has its share open.
        case overShare
    }

    private let table = Mutex(Table())

    public init() {}

    /// Registers `channel` of caller `uid` unless `limit` connections in all, or `perUID` of
    /// this caller, are already open.
    public func admit(_ channel: any Channel, uid: UInt32, limit: Int, perUID: Int) -> Admission {
        let key = ObjectIdentifier(channel)
        let admission = table.withLock { table -> Admission in
            guard table.channels.count < limit else { return .overTotal }
            let mine = table.perUID[uid, default: 0]
            guard mine < perUID else { return .overShare }
            table.channels[key] = channel
            table.perUID[uid] = mine + 1
            return .admitted
        }
        if admission == .admitted {
            channel.closeFuture.whenComplete { [weak self] _ in
                self?.table.withLock { table in
                    guard table.channels.removeValue(forKey: key) != nil else { return }
                    let left = table.perUID[uid, default: 1] - 1
                    table.perUID[uid] = left > 0 ? left : nil
                }
            }
        }
        return admission
    }

    /// Open connections now.
    public var count: Int { table.withLock { $0.channels.count } }

    /// A snapshot of the open connections.
    public var all: [any Channel] { table.withLock { Array($0.channels.values) } }
}
