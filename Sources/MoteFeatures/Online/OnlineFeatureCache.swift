import MoteCore
import Synchronization

/// The latest row per (view, entity), in memory: the online read path never touches SQLite.
/// Rebuilt from the `online` table at start; updated after each push commits.
public final class OnlineFeatureCache: Sendable {
    /// The newest row of one entity in one view, copied out of the cache.
    public struct Entry: Sendable, Equatable {
        public var eventNanos: Int64
        public var createdNanos: Int64
        /// The row in its cached form (`OnlineRow`).
        var row: [UInt8]

        public init(eventNanos: Int64, createdNanos: Int64, values: [FeatureValue]) {
            self.eventNanos = eventNanos
            self.createdNanos = createdNanos
            self.row = OnlineRow.make(values)
        }

        init(eventNanos: Int64, createdNanos: Int64, row: UnsafeRawBufferPointer) {
            self.eventNanos = eventNanos
            self.createdNanos = createdNanos
            self.row = Array(row)
        }

        /// How many values the row has (rows pushed before a field was added have fewer).
        public var width: Int { row.withUnsafeBytes { OnlineRow.Reader($0).width } }

        /// Value `field` (null past the row's width).
        public func value(_ field: Int) -> FeatureValue {
            row.withUnsafeBytes { OnlineRow.Reader($0).value(field) }
        }

        /// Value `field` read as `type` (null past the row's width or when it is not of it).
        public func value(_ field: Int, as type: FeatureType) -> FeatureValue {
            FeatureValues.convert(value(field), to: type) ?? .null
        }
    }

    /// One view's entities behind its own lock, and the newest event time seen (for freshness,
    /// kept on write so that reading it never scans the entities).
    final class ViewTable: Sendable {
        let rows = LockedValue(CachedRowTable())
        let newestEvent = Atomic<Int64>(Int64.min)

        func noteEvent(_ nanos: Int64) {
            var current = newestEvent.load(ordering: .relaxed)
            while nanos > current {
                let (exchanged, original) = newestEvent.compareExchange(expected: current, desired: nanos, ordering: .relaxed)
                if exchanged { return }
                current = original
            }
        }
    }

    private let tables = LockedValue<[Int: ViewTable]>([:])

    public init() {}

    /// A cache no store uses, for references resolved outside a store (joins do not read it).
    static let detached = OnlineFeatureCache()

    func table(_ viewID: Int) -> ViewTable {
        tables.withLock { all in
            if let t = all[viewID] { return t }
            let t = ViewTable()
            all[viewID] = t
            return t
        }
    }

    /// Stores pushed rows under one lock, each unless a newer one is there (a late, older
    /// event never overwrites).
    func upsert(_ rows: InboxRows) {
        let t = table(rows.viewID)
        var newest = Int64.min
        // Keys are hashed before the lock is taken.
        let hashes = rows.keys.map { CachedRowTable.hash($0) }
        rows.bytes.withUnsafeBytes { bytes in
            hashes.withUnsafeBufferPointer { hashes in
                t.rows.withLock { table in
                    table.warm(hashes)
                    for i in 0..<rows.count {
                        let row = UnsafeRawBufferPointer(rebasing: bytes[rows.start(i)..<rows.ends[i]])
                        newest = max(newest, rows.eventNanos[i])
                        var key = rows.keys[i]
                        key.withUTF8 { key in
                            table.upsert(
                                UnsafeRawBufferPointer(key), hash: hashes[i], eventNanos: rows.eventNanos[i],
                                createdNanos: rows.createdNanos[i], rowBytes: row.count
                            ) { $0.copyMemory(from: row.baseAddress!, byteCount: row.count) }
                        }
                    }
                }
            }
        }
        t.noteEvent(newest)
    }

    /// Runs `body` on a view's table under its lock (bulk fills at start); `body` returns the
    /// newest event time it stored (`Int64.min` for none), noted for freshness.
    func fill(viewID: Int, _ body: (CachedRowTable) throws -> Int64) rethrows {
        let t = table(viewID)
        t.noteEvent(try t.rows.withLock { try body($0) })
    }

    /// The entry of `key`, if any.
    public func lookup(viewID: Int, key: String) -> Entry? {
        table(viewID).rows.withLock { table in
            table.find(key).map { Entry(eventNanos: $0.eventNanos, createdNanos: $0.createdNanos, row: $0.row) }
        }
    }

    /// Bytes the cache holds in memory (records and indexes).
    public var bytes: Int {
        let all = tables.withLock { Array($0.values) }
        return all.reduce(0) { sum, t in sum + t.rows.withLock { $0.bytes } }
    }

    /// Entities cached for a view.
    public func count(viewID: Int) -> Int {
        table(viewID).rows.withLock { $0.count }
    }

    /// The entities of a view whose newest event is before `nanos`, with that event time, and
    /// how many entities the view has (one pass under the view's lock; keys are copied only
    /// for the entities returned).
    public func entities(viewID: Int, eventBefore nanos: Int64) -> (matching: [(key: String, eventNanos: Int64)], total: Int) {
        table(viewID).rows.withLock { table in
            var out: [(key: String, eventNanos: Int64)] = []
            table.forEachEntity { key, event in
                if event < nanos { out.append((String(decoding: key, as: UTF8.self), event)) }
            }
            return (out, table.count)
        }
    }

    /// Calls `body` with value `field` of every entity of a view (under the view's lock: keep
    /// it short).
    public func forEachValue(viewID: Int, field: Int, _ body: (FeatureValue) -> Void) {
        table(viewID).rows.withLock { table in
            table.forEachRecord { _, _, row in body(OnlineRow.Reader(row).value(field)) }
        }
    }

    /// How many entities of a view have their newest event before `nanos` (no key is copied).
    public func count(viewID: Int, eventBefore nanos: Int64) -> Int {
        table(viewID).rows.withLock { table in
            var n = 0
            table.forEachEntity { _, event in if event < nanos { n += 1 } }
            return n
        }
    }

    /// Every entity key of a view, copied out under its lock.
    public func keys(viewID: Int) -> [String] {
        table(viewID).rows.withLock { table in
            var out: [String] = []
            out.reserveCapacity(table.count)
            table.forEachEntity { key, _ in out.append(String(decoding: key, as: UTF8.self)) }
            return out
        }
    }

    /// The newest event time stored online for a view (for freshness), nil when empty.
    public func newestEvent(viewID: Int) -> Int64? {
        let newest = table(viewID).newestEvent.load(ordering: .relaxed)
        return newest == Int64.min ? nil : newest
    }
}
