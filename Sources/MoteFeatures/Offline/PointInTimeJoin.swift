public import MoteCore
import Dispatch
import MoteStorage

/// The rows to join features onto: entity keys and a time per row, plus every column of the
/// caller's entity table to carry through unchanged.
public struct EntityFrame: Sendable {
    public var columns: [(name: String, values: [JSONValue])]
    public var keys: [String]
    public var times: [Int64]

    public var count: Int { keys.count }

    public init(columns: [(name: String, values: [JSONValue])], keys: [String], times: [Int64]) {
        self.columns = columns
        self.keys = keys
        self.times = times
    }

    /// Reads Feast's `entity_df` (columns of equal length with the join keys and `event_timestamp`).
    public static func parse(_ value: JSONValue?, joinKeys: [String], keyTypes: [EntityKeyType], maxRows: Int) throws(DomainError) -> EntityFrame {
        guard case .object(let df)? = value else { throw .invalidShape("'entity_df' must be an object of columns") }
        var columns: [(name: String, values: [JSONValue])] = []
        var length: Int?
        for member in df {
            guard case .array(let column) = member.value else { throw .invalidShape("entity_df column '\(member.key)' must be an array") }
            if let length, length != column.count {
                throw .invalidShape("entity_df column '\(member.key)' has \(column.count) values; earlier columns have \(length)")
            }
            length = column.count
            columns.append((member.key, column))
        }
        let count = length ?? 0
        guard count <= maxRows else {
            throw DomainError.tooManyRows("\(count) entity rows; the limit is \(maxRows) (features.max_historical_rows)")
        }
        var keyColumns: [[JSONValue]] = []
        for key in joinKeys {
            guard let column = columns.first(where: { $0.name == key })?.values else {
                throw .invalidShape("entity_df lacks the key column '\(key)'")
            }
            keyColumns.append(column)
        }
        guard let timeColumn = columns.first(where: { $0.name == "event_timestamp" })?.values else {
            throw .invalidShape("entity_df lacks the column 'event_timestamp'")
        }
        let keys = try EntityKey.keys(keyColumns, names: joinKeys, types: keyTypes, label: "entity_df")
        var times: [Int64] = []
        times.reserveCapacity(count)
        for row in 0..<count {
            guard let t = Timestamps.nanos(timeColumn[row]) else {
                throw .invalidShape("entity_df 'event_timestamp' row \(row): expected an RFC 3339 time or epoch seconds")
            }
            times.append(t)
        }
        return EntityFrame(columns: columns, keys: keys, times: times)
    }
}

/// What a training set was built from, so that it can be named and compared.
public struct DatasetFingerprint: Sendable, Equatable {
    public var definitionsVersion: Int
    public var definitionsHash: String
    /// Earliest and latest entity row time (epoch nanoseconds).
    public var fromNanos: Int64
    public var toNanos: Int64
    public var rows: Int
    /// SHA-256 over keys, times and joined values.
    public var contentHash: String
}

/// The result of a point-in-time join: the entity frame plus one column per feature.
public struct JoinedTable: Sendable {
    public var frame: EntityFrame
    public var features: [FeatureReference]
    /// `values[f][row]`, one typed column per feature.
    public var values: [FeatureColumn]
    public var fingerprint: DatasetFingerprint
}

/// Point-in-time correct join: for each entity row at time t, the feature row of that entity
/// with the latest `event_timestamp <= t` (ties to the later `created_timestamp`) and, when
/// the view has a TTL, `event_timestamp >= t - ttl`. Nothing after t is ever used.
public enum PointInTimeJoin {
    /// One view's history for some of the wanted entities, sorted by (entity, event, created).
    struct ViewHistory: Sendable {
        var ranges: [String: Range<Int>] = [:]
        var events: [Int64] = []
        var arena: [UInt8] = []
        var offsets: [Int] = [0]

        /// The row `key` had at time `t`: the last with event <= t (the later created on a tie,
        /// as rows are sorted), and with a TTL no older than t - ttl; nil when none.
        func match(_ key: String, at t: Int64, ttl: Int64) -> Int? {
            guard let range = ranges[key] else { return nil }
            var lo = range.lowerBound
            var hi = range.upperBound
            while lo < hi {
                let mid = (lo + hi) / 2
                if events[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            guard lo > range.lowerBound else { return nil }
            let i = lo - 1
            return ttl == 0 || events[i] >= t &- ttl ? i : nil
        }
    }

    /// Joins `features` onto `frame` from the stored history. The trainer calls this too.
    /// The wanted entities are taken in key ranges of about `rangeEntities` each, so that only
    /// one range's history is held at a time, not the view's; from `splitAt` distinct entities
    /// on, two ranges are read at once on two connections. Rows pushed before the call are
    /// merged into the history first.
    public static func run(
        _ frame: EntityFrame, features: [FeatureReference], store: FeatureStore, splitAt: Int = 2048, rangeEntities: Int = 16384
    ) throws -> JoinedTable {
        try store.mergePushed()
        let applied = store.definitions
        var builders = features.map { FeatureColumn.Builder(type: $0.view.fields[$0.fieldIndex].type, count: frame.count) }
        let wanted = Set(frame.keys)
        let minT = frame.times.min() ?? 0
        let maxT = frame.times.max() ?? 0
        let pivots = keyPivots(wanted, perRange: max(1, rangeEntities))
        // Frame rows by key range (range i: pivots[i - 1] <= key < pivots[i]).
        var rowsByRange = [[Int32]](repeating: [], count: pivots.count + 1)
        for row in 0..<frame.count { rowsByRange[rangeIndex(frame.keys[row], pivots)].append(Int32(row)) }
        let parallel = wanted.count >= max(2, splitAt)
        var byView: [Int: [Int]] = [:]
        for (k, f) in features.enumerated() { byView[f.view.id, default: []].append(k) }
        for (_, featureIndexes) in byView.sorted(by: { $0.key < $1.key }) {
            let view = features[featureIndexes[0]].view
            let from = view.ttlNanos > 0 ? minT &- view.ttlNanos : Int64.min
            var decoded: [FeatureValue] = []
            decoded.reserveCapacity(view.fields.count)
            for first in stride(from: 0, through: pivots.count, by: parallel ? 2 : 1) {
                let group = Array(first...min(first + (parallel ? 1 : 0), pivots.count))
                let histories = try read(
                    view: view, wanted: wanted, from: from, to: maxT, store: store,
                    ranges: group.map { i in (i == 0 ? nil : pivots[i - 1], i == pivots.count ? nil : pivots[i]) })
                for (history, range) in zip(histories, group) {
                    for row32 in rowsByRange[range] {
                        let row = Int(row32)
                        guard let i = history.match(frame.keys[row], at: frame.times[row], ttl: view.ttlNanos) else { continue }
                        history.arena.withUnsafeBytes { raw in
                            FeatureRowCodec.decode(
                                UnsafeRawBufferPointer(rebasing: raw[history.offsets[i]..<history.offsets[i + 1]]),
                                width: view.fields.count, into: &decoded)
                        }
                        for k in featureIndexes { builders[k].set(row, decoded[features[k].fieldIndex]) }
                    }
                }
            }
        }
        let values = builders.map { $0.build() }
        builders = []
        // The content hash: per row the key, the time in decimal and the row's values in their
        // stored binary form, fed through one reused buffer.
        var hasher = SHA256()
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)
        for row in 0..<frame.count {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: frame.keys[row].utf8)
            JSONWriter.appendInt(frame.times[row], to: &scratch)
            FeatureRowCodec.appendHeader(count: values.count, to: &scratch)
            for column in values { FeatureRowCodec.append(column[row], to: &scratch) }
            scratch.withUnsafeBytes { hasher.update($0) }
        }
        let fingerprint = DatasetFingerprint(
            definitionsVersion: applied.version, definitionsHash: applied.hash, fromNanos: minT, toNanos: maxT,
            rows: frame.count, contentHash: hasher.hexDigest())
        return JoinedTable(frame: frame, features: features, values: values, fingerprint: fingerprint)
    }

    /// Keys that split the wanted entities into ranges of about `perRange` each, taken from a
    /// sorted sample, in SQLite's order of text (its UTF-8 bytes). Empty for one range.
    static func keyPivots(_ wanted: Set<String>, perRange: Int) -> [String] {
        let ranges = (wanted.count + perRange - 1) / perRange
        guard ranges > 1 else { return [] }
        let sample = wanted.prefix(max(4096, ranges * 16)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var pivots: [String] = []
        for r in 1..<ranges {
            let pivot = sample[r * sample.count / ranges]
            if pivots.last.map({ $0.utf8.lexicographicallyPrecedes(pivot.utf8) }) ?? true { pivots.append(pivot) }
        }
        return pivots
    }

    /// The range `key` falls in: the number of pivots at or below it.
    static func rangeIndex(_ key: String, _ pivots: [String]) -> Int {
        var lo = 0
        var hi = pivots.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if key.utf8.lexicographicallyPrecedes(pivots[mid].utf8) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The history of the wanted entities in each key range, the ranges read at once on their
    /// own connections (each in its own read snapshot; every row either returns was committed
    /// before the join started reading it, so nothing from an entity row's future can appear).
    static func read(
        view: FeatureViewDefinition, wanted: Set<String>, from: Int64, to: Int64, store: FeatureStore,
        ranges: [(lower: String?, upper: String?)]
    ) throws -> [ViewHistory] {
        guard ranges.count > 1 else {
            return try ranges.map { try loadRange(view: view, wanted: wanted, from: from, to: to, lower: $0.lower, upper: $0.upper, store: store) }
        }
        let results = LockedValue<[Result<ViewHistory, any Error>?]>(Array(repeating: nil, count: ranges.count))
        DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
            let result = Result {
                try loadRange(view: view, wanted: wanted, from: from, to: to, lower: ranges[k].lower, upper: ranges[k].upper, store: store)
            }
            results.withLock { $0[k] = result }
        }
        return try results.withLock { $0 }.map { result in
            guard let result else { throw MoteError(.storage, "point-in-time join: a history read did not finish") }
            return try result.get()
        }
    }

    /// The history of entities with `lower <= key < upper` (open ends when nil).
    static func loadRange(
        view: FeatureViewDefinition, wanted: Set<String>, from: Int64, to: Int64, lower: String?, upper: String?, store: FeatureStore
    ) throws -> ViewHistory {
        try store.storage.features.read { conn -> ViewHistory in
            // Key bounds are given to each run's statement, so SQLite seeks the run's primary
            // key to the range instead of scanning the view.
            let viewID = Int64(view.id)
            let filter = HistoryReader.Filter(lowerKey: lower, upperKey: upper, minEvent: from, maxEvent: to)
            var history = ViewHistory()
            var currentKey: String?
            var currentBytes: [UInt8] = []
            var start = 0
            var skipping = false
            try HistoryReader.scan(conn, viewID: viewID, filter: filter) { row in
                // Rows come grouped by entity: compare the key's bytes in place and make a
                // String only when the entity changes (once per entity, not once per row).
                let sameKey = currentKey != nil && row.key.elementsEqual(currentBytes)
                if !sameKey {
                    currentBytes.removeAll(keepingCapacity: true)
                    currentBytes.append(contentsOf: row.key)
                    let key = String(decoding: currentBytes, as: UTF8.self)
                    if let currentKey, !skipping { history.ranges[currentKey] = start..<history.events.count }
                    currentKey = key
                    start = history.events.count
                    skipping = !wanted.contains(key)
                }
                if skipping { return true }
                history.events.append(row.event)
                history.arena.append(contentsOf: row.bytes)
                history.offsets.append(history.arena.count)
                return true
            }
            if let currentKey, !skipping { history.ranges[currentKey] = start..<history.events.count }
            return history
        }
    }
}
