/// A push's rows as the inbox stores them: entity keys, times, and each row in the online
/// cache's binary form (`OnlineRow`: the cache and a restart copy these bytes; the merge
/// writes the history's form), all rows' bytes back to back in one buffer.
struct InboxRows: Sendable {
    var viewID: Int
    /// Where the rows go when merged: 1 history, 2 online, 3 both (`feature_inbox.target`).
    var target: Int64
    var keys: [String]
    var eventNanos: [Int64]
    var createdNanos: [Int64]
    /// Every row's encoded bytes; row `i` is `bytes[start(i)..<ends[i]]`.
    var bytes: [UInt8]
    var ends: [Int]

    var count: Int { keys.count }

    func start(_ i: Int) -> Int { i == 0 ? 0 : ends[i - 1] }

    /// The stored code of a push target.
    static func code(_ target: PushTarget) -> Int64 {
        switch target {
        case .offline: 1
        case .online: 2
        case .onlineAndOffline: 3
        }
    }

    /// Encodes a validated batch (one buffer for all rows, no allocation per row).
    init(_ batch: PushBatch) {
        viewID = batch.view.id
        target = Self.code(batch.target)
        keys = batch.keys
        eventNanos = batch.eventNanos
        createdNanos = batch.createdNanos
        bytes = []
        bytes.reserveCapacity(batch.count * (2 + batch.columns.count * 9))
        ends = []
        ends.reserveCapacity(batch.count)
        for row in 0..<batch.count {
            OnlineRow.append(width: batch.columns.count, to: &bytes) { batch.columns[$0][row] }
            ends.append(bytes.count)
        }
    }
}
