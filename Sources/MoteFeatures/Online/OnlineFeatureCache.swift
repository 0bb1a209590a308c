import MoteCore
import Synchronization

/// The latest row per (view, entity), in memory: the online read path never touches SQLite.
/// Rebuilt from the `online` table at start; updated after each push commits.
public final class OnlineFeatureCache: Sendable {
    /// The newest row of one entity in one view.
    public struct Entry: Sendable {
        public var eventNanos: Int64
        public var createdNanos: Int64
        public var values: [FeatureValue]

        public init(eventNanos: Int64, createdNanos: Int64, values: [FeatureValue]) {
            self.eventNanos = eventNanos
            self.createdNanos = createdNanos
            self.values = values
        }

        /// Whether `self` replaces `other`: a later event, or the same event created later.
        @inlinable
        public func supersedes(_ other: Entry) -> Bool {
            eventNanos > other.eventNanos || (eventNanos == other.eventNanos && createdNanos >= other.createdNanos)
        }
    }

    /// One view's entities behind its own lock, and the newest event time seen (for freshness,
    /// kept on write so that reading it never scans the entities).
    final class ViewTable: Sendable {
        let rows = LockedValue<[String: Entry]>([:])
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

    /// Stores entries under one lock, each unless a newer one is there (a late, older event
    /// never overwrites).
    public func upsert(viewID: Int, _ entries: [(key: String, entry: Entry)]) {
        let t = table(viewID)
        var newest = Int64.min
        t.rows.withLock { rows in
            for (key, entry) in entries {
                newest = max(newest, entry.eventNanos)
                if let existing = rows[key], !entry.supersedes(existing) { continue }
                rows[key] = entry
            }
        }
        t.noteEvent(newest)
    }

    /// The entry of `key`, if any.
    public func lookup(viewID: Int, key: String) -> Entry? {
        table(viewID).rows.withLock { $0[key] }
    }

    /// Entities cached for a view.
    public func count(viewID: Int) -> Int {
        table(viewID).rows.withLock { $0.count }
    }

    /// The newest event time stored online for a view (for freshness), nil when empty.
    public func newestEvent(viewID: Int) -> Int64? {
        let newest = table(viewID).newestEvent.load(ordering: .relaxed)
        return newest == Int64.min ? nil : newest
    }
}
