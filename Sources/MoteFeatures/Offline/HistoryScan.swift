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
            let statement = try conn.prepare(
                """
                SELECT entity_key, event_ns, row FROM feature_log
                WHERE view_id = ? AND event_ns >= ? AND event_ns <= ?
                ORDER BY event_ns, entity_key, created_ns LIMIT ?
                """)
            statement.bind([.integer(Int64(view.id)), .integer(from), .integer(to), .integer(Int64(limit))])
            var points: [HistoryPoint] = []
            while try statement.step() {
                let key = statement.text(0) ?? ""
                let values = statement.withBlob(2) { FeatureRowCodec.decode($0, width: view.fields.count) }
                points.append(HistoryPoint(entityKey: key, eventNanos: statement.int64(1), value: field < values.count ? values[field] : .null))
            }
            return points
        }
    }

    /// How many history rows `view` has with `from <= event <= to` (to size a training set
    /// before loading it).
    public func historyCount(view: FeatureViewDefinition, from: Int64, to: Int64) throws -> Int {
        try mergePushed()
        return try storage.features.read { conn -> Int in
            let statement = try conn.prepare("SELECT count(*) FROM feature_log WHERE view_id = ? AND event_ns >= ? AND event_ns <= ?")
            statement.bind([.integer(Int64(view.id)), .integer(from), .integer(to)])
            _ = try statement.step()
            return Int(statement.int64(0))
        }
    }

    /// History rows of `view` written (created) after `nanos`: new labels since a job ran.
    public func historyCount(view: FeatureViewDefinition, createdAfter nanos: Int64) throws -> Int {
        try mergePushed()
        return try storage.features.read { conn -> Int in
            let statement = try conn.prepare("SELECT count(*) FROM feature_log WHERE view_id = ? AND created_ns > ?")
            statement.bind([.integer(Int64(view.id)), .integer(nanos)])
            _ = try statement.step()
            return Int(statement.int64(0))
        }
    }
}
