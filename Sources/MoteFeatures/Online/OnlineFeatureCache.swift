import MoteCore
import Synchronization

/// The latest row per (view, entity), in memory: the online read path never touches SQLite.
/// Rebuilt from the `online` table at start; updated after each push commits.
public final class OnlineFeatureCache: Sendable {
    /// The newest row of one entity in one view. Values are kept as their JSON text, rendered
    /// once when pushed, so an online read copies bytes instead of formatting numbers; this
    /// packed form (one allocation per entity) is also less than half the size of an array
    /// of typed values.
    public struct Entry: Sendable {
        public var eventNanos: Int64
        public var createdNanos: Int64
        /// A little-endian UInt16 width, `width` little-endian UInt32 end offsets (into the
        /// text that follows), then the JSON text of each value back to back.
        @usableFromInline var packed: [UInt8]

        public init(eventNanos: Int64, createdNanos: Int64, values: [FeatureValue]) {
            self.init(eventNanos: eventNanos, createdNanos: createdNanos, width: values.count) { values[$0] }
        }

        /// An entry of `width` values, value `k` being `value(k)`.
        @inlinable
        public init(eventNanos: Int64, createdNanos: Int64, width: Int, value: (Int) -> FeatureValue) {
            self.eventNanos = eventNanos
            self.createdNanos = createdNanos
            let width = min(width, Int(UInt16.max))
            let base = 2 + width * 4
            var packed = [UInt8](repeating: 0, count: base)
            packed.reserveCapacity(base + width * 10)
            packed[0] = UInt8(truncatingIfNeeded: width)
            packed[1] = UInt8(truncatingIfNeeded: width >> 8)
            for k in 0..<width {
                value(k).append(to: &packed)
                let end = UInt32(packed.count - base)
                for b in 0..<4 { packed[2 + k * 4 + b] = UInt8(truncatingIfNeeded: end >> (8 * UInt32(b))) }
            }
            self.packed = packed
        }

        /// An entry from its stored packed form (the `online` table keeps exactly these bytes,
        /// so a restart copies instead of re-rendering); nil when the bytes are not well formed.
        public init?(eventNanos: Int64, createdNanos: Int64, packed: [UInt8]) {
            guard packed.count >= 2 else { return nil }
            let width = Int(packed[0]) | Int(packed[1]) << 8
            let base = 2 + width * 4
            guard packed.count >= base else { return nil }
            var previous = 0
            for k in 0..<width {
                let i = 2 + k * 4
                let end = Int(packed[i]) | Int(packed[i + 1]) << 8 | Int(packed[i + 2]) << 16 | Int(packed[i + 3]) << 24
                guard end >= previous, base + end <= packed.count else { return nil }
                previous = end
            }
            guard base + previous == packed.count else { return nil }
            self.eventNanos = eventNanos
            self.createdNanos = createdNanos
            self.packed = packed
        }

        /// The stored form (see `init(eventNanos:createdNanos:packed:)`).
        public var packedBytes: [UInt8] { packed }

        /// How many values the row has (rows pushed before a field was added have fewer).
        @inline(__always)
        public var width: Int { Int(packed[0]) | Int(packed[1]) << 8 }

        @inline(__always)
        private func end(_ k: Int) -> Int {
            let i = 2 + k * 4
            return Int(packed[i]) | Int(packed[i + 1]) << 8 | Int(packed[i + 2]) << 16 | Int(packed[i + 3]) << 24
        }

        /// The byte range of value `field` in `packed`, nil past the row's width.
        @inline(__always)
        func range(_ field: Int) -> Range<Int>? {
            let width = self.width
            guard field < width else { return nil }
            let base = 2 + width * 4
            return (base + (field == 0 ? 0 : end(field - 1)))..<(base + end(field))
        }

        /// Appends value `field` as JSON (`null` past the row's width).
        @inline(__always)
        func appendJSON(_ field: Int, to out: inout [UInt8]) {
            guard let range = range(field) else {
                out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
                return
            }
            packed.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
        }

        /// Whether value `field` is null (or past the row's width).
        @inline(__always)
        func isNull(_ field: Int) -> Bool {
            guard let range = range(field) else { return true }
            return range.count == 4 && packed[range.lowerBound] == 0x6E
        }

        /// Value `field` read back as `type` (null past the row's width).
        public func value(_ field: Int, as type: FeatureType) -> FeatureValue {
            guard let range = range(field),
                let parsed = try? JSONParser.parse(Array(packed[range])),
                let value = FeatureValues.convert(parsed, to: type)
            else { return .null }
            return value
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
                Self.keepNewer(&rows, key, entry)
            }
        }
        t.noteEvent(newest)
    }

    /// Grows a view's table to hold `additional` more entities without rehashing as they
    /// come (the replay of unmerged pushes at start).
    func reserve(viewID: Int, additional: Int) {
        table(viewID).rows.withLock { $0.reserveCapacity($0.count + additional) }
    }

    /// Puts a view's whole table in place (the rebuild at start), merged with anything pushed
    /// to the view meanwhile by the usual rule.
    func install(viewID: Int, _ entries: [String: Entry], newestEvent: Int64) {
        let t = table(viewID)
        t.rows.withLock { rows in
            if rows.isEmpty {
                rows = entries
                return
            }
            for (key, entry) in entries { Self.keepNewer(&rows, key, entry) }
        }
        t.noteEvent(newestEvent)
    }

    /// Stores `entry` under `key` unless a newer one is there (a late, older event never
    /// overwrites).
    @inline(__always)
    private static func keepNewer(_ rows: inout [String: Entry], _ key: String, _ entry: Entry) {
        // One hash of the key for an entity already cached (the usual case).
        if let i = rows.index(forKey: key) {
            if entry.supersedes(rows.values[i]) { rows.values[i] = entry }
        } else {
            rows[key] = entry
        }
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
