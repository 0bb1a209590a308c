import MoteCore

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

    /// One view's entities behind its own lock.
    final class ViewTable: Sendable {
        let rows = LockedValue<[String: Entry]>([:])
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

    /// Stores `entry` unless a newer one is there (a late, older event never overwrites).
    public func upsert(viewID: Int, key: String, _ entry: Entry) {
        let t = table(viewID)
        t.rows.withLock { rows in
            if let existing = rows[key], !entry.supersedes(existing) { return }
            rows[key] = entry
        }
    }

    /// Stores many entries under one lock.
    public func upsert(viewID: Int, _ entries: [(key: String, entry: Entry)]) {
        let t = table(viewID)
        t.rows.withLock { rows in
            for (key, entry) in entries {
                if let existing = rows[key], !entry.supersedes(existing) { continue }
                rows[key] = entry
            }
        }
    }

    /// Runs `body` with read access to a view's rows (one lock for a whole request).
    public func withRows<T>(viewID: Int, _ body: ([String: Entry]) throws -> T) rethrows -> T {
        let t = table(viewID)
        return try t.rows.withLock { try body($0) }
    }

    /// The entry of `key`, if any.
    public func lookup(viewID: Int, key: String) -> Entry? {
        table(viewID).rows.withLock { $0[key] }
    }

    /// Entities cached for a view.
    public func count(viewID: Int) -> Int {
        table(viewID).rows.withLock { $0.count }
    }

    /// The newest event time in a view (for freshness), nil when empty.
    public func newestEvent(viewID: Int) -> Int64? {
        table(viewID).rows.withLock { rows in rows.values.map(\.eventNanos).max() }
    }
}
