import MoteCore
import Synchronization

/// Data quality of the pushed rows of views that declare expectations: per field, over the
/// last `window`, rows, nulls and the values that broke each rule, kept in one-minute buckets
/// (whole oldest buckets leave the window). Views without expectations cost nothing.
public final class DataQuality: Sendable {
    /// One field's counts in one bucket.
    public struct Counts: Sendable, Equatable {
        public var rows = 0
        public var nulls = 0
        /// Values that broke each rule (`min`, `max`, `allowed`, `not_null`).
        public var broken: [String: Int] = [:]

        public init() {}

        mutating func add(_ other: Counts) {
            rows += other.rows
            nulls += other.nulls
            for (k, v) in other.broken { broken[k, default: 0] += v }
        }
    }

    static let bucketNanos: Int64 = 60_000_000_000
    public let windowNanos: Int64
    /// view -> bucket start -> field -> counts.
    private let buckets = Mutex<[String: [Int64: [String: Counts]]]>([:])

    public init(windowNanos: Int64 = 3_600_000_000_000) {
        self.windowNanos = windowNanos
    }

    /// Counts a stored batch of a view that declares expectations at `now`.
    public func record(_ batch: PushBatch, violations: [ExpectationViolation], now: Int64) {
        let view = batch.view
        var counts: [String: Counts] = [:]
        for (k, field) in view.fields.enumerated() where k < batch.columns.count {
            var c = Counts()
            c.rows = batch.count
            for value in batch.columns[k] where value.isNull { c.nulls += 1 }
            counts[field.name] = c
        }
        for v in violations { counts[v.field, default: Counts()].broken[v.rule, default: 0] += 1 }
        let bucket = now - now % Self.bucketNanos
        buckets.withLock { all in
            var byBucket = all[view.name] ?? [:]
            for key in byBucket.keys where key <= now - windowNanos { byBucket[key] = nil }
            var fields = byBucket[bucket] ?? [:]
            for (name, c) in counts { fields[name, default: Counts()].add(c) }
            byBucket[bucket] = fields
            all[view.name] = byBucket
        }
    }

    /// A view's counts per field over the last `window` (at most the kept window) ending at
    /// `now`, in whole one-minute buckets.
    public func report(view: String, now: Int64, window: Int64? = nil) -> [String: Counts] {
        let span = min(window ?? windowNanos, windowNanos)
        return buckets.withLock { all in
            var out: [String: Counts] = [:]
            for (start, fields) in all[view] ?? [:] where start > now - span - Self.bucketNanos && start > now - windowNanos {
                for (name, c) in fields { out[name, default: Counts()].add(c) }
            }
            return out
        }
    }
}
