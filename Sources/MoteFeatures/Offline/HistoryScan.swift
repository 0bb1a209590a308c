import MoteCore
import MoteStorage

/// One stored history row of one field: which entity, when, and the value.
public struct HistoryPoint: Sendable, Equatable {
    public var entityKey: String
    public var eventNanos: Int64
    public var value: FeatureValue
}

extension FeatureStore {
    /// Each reader here first merges the rows pushed before it (`mergePushed`).
    ///
    /// History rows of `view` with `from <= event <= to`, oldest first (ties by entity key),
    /// with the value of field `field` (a row written before the field existed reads null).
    /// The trainer takes its label rows (and the times to join features at) from here.
    public func history(view: FeatureViewDefinition, field: Int, from: Int64, to: Int64, limit: Int) throws -> [HistoryPoint] {
        try mergePushed()
        return try storage.features.read { conn -> [HistoryPoint] in
            // Runs are in entity order: gather the rows in the window, then order them by time.
            struct Found {
                var key: String
                var event: Int64
                var created: Int64
                var value: FeatureValue
            }
            let viewID = Int64(view.id)
            var found: [Found] = []
            var lastKey: [UInt8] = []
            var key = ""
            let filter = HistoryReader.Filter(minEvent: from, maxEvent: to)
            try HistoryReader.scan(conn, viewID: viewID, filter: filter) { row in
                if found.isEmpty || !row.key.elementsEqual(lastKey) {
                    lastKey.removeAll(keepingCapacity: true)
                    lastKey.append(contentsOf: row.key)
                    key = String(decoding: lastKey, as: UTF8.self)
                }
                let values = FeatureRowCodec.decode(row.bytes, width: view.fields.count)
                found.append(Found(key: key, event: row.event, created: row.created, value: field < values.count ? values[field] : .null))
                return true
            }
            found.sort { a, b in
                if a.event != b.event { return a.event < b.event }
                if a.key != b.key { return a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
                return a.created < b.created
            }
            return found.prefix(max(0, limit)).map { HistoryPoint(entityKey: $0.key, eventNanos: $0.event, value: $0.value) }
        }
    }

    /// How many history rows `view` has with `from <= event <= to` (to size a training set
    /// before loading it).
    public func historyCount(view: FeatureViewDefinition, from: Int64, to: Int64) throws -> Int {
        try mergePushed()
        return try countHistory(view: view, filter: HistoryReader.Filter(minEvent: from, maxEvent: to))
    }

    /// History rows of `view` written (created) after `nanos`: new labels since a job ran.
    public func historyCount(view: FeatureViewDefinition, createdAfter nanos: Int64) throws -> Int {
        try mergePushed()
        return try countHistory(view: view, filter: HistoryReader.Filter(createdAfter: nanos))
    }

    /// Rows of `view` that `filter` selects, each key once.
    private func countHistory(view: FeatureViewDefinition, filter: HistoryReader.Filter) throws -> Int {
        try storage.features.read { conn -> Int in
            let viewID = Int64(view.id)
            var count = 0
            try HistoryReader.scan(conn, viewID: viewID, filter: filter) { _ in
                count += 1
                return true
            }
            return count
        }
    }
}
