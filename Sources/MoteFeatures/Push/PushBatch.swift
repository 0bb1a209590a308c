public import MoteCore

/// Where a push writes.
public enum PushTarget: String, Sendable, CaseIterable {
    case online, offline
    case onlineAndOffline = "online_and_offline"

    var writesOnline: Bool { self != .offline }
    var writesOffline: Bool { self != .online }
}

/// The two write routes of Feast's feature server, which mote serves with one parser.
public enum PushRoute: Sendable {
    /// `POST /v1/push`: `feature_view` (or Feast's `push_source_name`), `df`, `to`; a
    /// `created_timestamp` column.
    case push
    /// `POST /v1/write-to-online-store`, what Feast's remote online store posts for
    /// `write_to_online_store`, `push` and `materialize`: `feature_view_name`, `df` with a
    /// `created` column; stored like a push to `online_and_offline` (the box's history is
    /// what it trains and monitors on).
    case writeToOnlineStore

    /// Every key the route's request has. Any other key is refused: on a write an unknown
    /// key may be a misspelt `to` or view name, and guessing would put rows where nobody
    /// looks for them.
    var keys: [String] {
        switch self {
        case .push: ["feature_view", "push_source_name", "df", "to", "allow_registry_cache", "transform_on_write"]
        case .writeToOnlineStore: ["feature_view_name", "df", "allow_registry_cache", "transform_on_write"]
        }
    }

    /// The keys that name the view, in order of preference, and how the error names them.
    var viewKeys: (keys: [String], said: String) {
        switch self {
        case .push: (["feature_view", "push_source_name"], "'feature_view' (or 'push_source_name')")
        case .writeToOnlineStore: (["feature_view_name"], "'feature_view_name'")
        }
    }

    /// The column holding each row's created time.
    var createdColumn: String {
        switch self {
        case .push: "created_timestamp"
        case .writeToOnlineStore: "created"
        }
    }
}

/// A validated push: rows ready to store, all checked against the view.
public struct PushBatch: Sendable {
    public var view: FeatureViewDefinition
    public var target: PushTarget
    public var keys: [String]
    public var eventNanos: [Int64]
    public var createdNanos: [Int64]
    /// Values by field, in the view's field order: `columns[field][row]` (one array per field,
    /// not one per row).
    public var columns: [[FeatureValue]]

    public var count: Int { keys.count }

    /// A batch built by moted itself (batch scoring's results): values already of the
    /// view's field types, one column per field in the view's order.
    public init(
        view: FeatureViewDefinition, target: PushTarget, keys: [String], eventNanos: [Int64], createdNanos: [Int64], columns: [[FeatureValue]]
    ) {
        self.view = view
        self.target = target
        self.keys = keys
        self.eventNanos = eventNanos
        self.createdNanos = createdNanos
        self.columns = columns
    }

    /// Checks a Feast-shaped write body against the definitions. Any problem is a 422 that
    /// names the column and row; nothing is stored unless all rows are valid. Feast's
    /// `allow_registry_cache` and `transform_on_write` are accepted and have nothing to do
    /// here (the definitions are in memory; there are no on-demand transforms). Times are
    /// RFC 3339 text, epoch seconds, or ISO text without an offset meaning UTC (Feast's rule).
    public static func parse(
        _ body: JSONValue, route: PushRoute = .push, definitions: DefinitionSet, limits: FeatureSettings, now: Int64
    ) throws(DomainError) -> PushBatch {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object") }
        try object.refuseUnknownKeys(route.keys)
        for flag in ["allow_registry_cache", "transform_on_write"] {
            if let value = object[flag], value.boolValue == nil { throw .invalidShape("'\(flag)' must be true or false") }
        }
        let (viewKeys, said) = route.viewKeys
        guard let viewName = viewKeys.lazy.compactMap({ object[$0] }).first?.stringValue else {
            throw .invalidShape("\(said) must name a feature view")
        }
        guard let view = definitions.view(viewName) else { throw .notFound("no feature view '\(viewName)'; see GET /v1/definitions") }
        var target = PushTarget.onlineAndOffline
        if let to = object["to"] {
            guard let text = to.stringValue, let t = PushTarget(rawValue: text) else {
                throw .invalidShape("'to' must be one of online, offline, online_and_offline")
            }
            target = t
        }
        guard case .object(let df)? = object["df"] else { throw .invalidShape("'df' must be an object of columns") }
        var length: Int?
        for member in df {
            guard case .array(let column) = member.value else {
                throw .invalidShape("column '\(member.key)' must be an array")
            }
            if let length, column.count != length {
                throw .invalidShape("column '\(member.key)' has \(column.count) values; earlier columns have \(length) (ragged columns)")
            }
            length = column.count
        }
        let count = length ?? 0
        guard count > 0 else { throw .invalidShape("'df' has no rows") }
        guard count <= limits.maxPushRows else {
            throw DomainError.tooManyRows("\(count) rows in one push; the limit is \(limits.maxPushRows) (features.max_push_rows); split the batch")
        }
        let joinKeys = definitions.joinKeys(of: view)
        let keyTypes = definitions.keyTypes(of: view)
        let createdColumn = route.createdColumn
        for member in df {
            if member.key == "event_timestamp" || member.key == createdColumn || joinKeys.contains(member.key) { continue }
            if view.fieldIndex(member.key) == nil {
                throw .invalidShape("column '\(member.key)' is not a field of feature view '\(view.name)' (fields: \(view.fields.map(\.name).joined(separator: ", ")))")
            }
        }
        // Entity keys.
        var keyColumns: [[JSONValue]] = []
        for name in joinKeys {
            guard case .array(let column)? = df[name] else { throw .invalidShape("missing entity key column '\(name)'") }
            keyColumns.append(column)
        }
        let keys = try EntityKey.keys(keyColumns, names: joinKeys, types: keyTypes, label: "column")
        // Times.
        guard case .array(let eventColumn)? = df["event_timestamp"] else { throw .invalidShape("missing column 'event_timestamp'") }
        var events: [Int64] = []
        events.reserveCapacity(count)
        for row in 0..<count {
            guard let t = Timestamps.nanos(eventColumn[row], naiveAsUTC: true) else {
                throw .invalidShape("column 'event_timestamp' row \(row): expected an RFC 3339 time (ISO text without an offset is UTC) or epoch seconds")
            }
            if t > now + limits.futureSkewNanos {
                throw .invalidShape("column 'event_timestamp' row \(row): \(RFC3339.format(nanos: t)) is more than \(DurationText.format(nanos: limits.futureSkewNanos)) in the future (features.future_skew)")
            }
            events.append(t)
        }
        var created = [Int64](repeating: now, count: count)
        if case .array(let createdValues)? = df[createdColumn] {
            for row in 0..<count {
                if case .null = createdValues[row] { continue }
                guard let t = Timestamps.nanos(createdValues[row], naiveAsUTC: true) else {
                    throw .invalidShape("column '\(createdColumn)' row \(row): expected an RFC 3339 time or epoch seconds")
                }
                created[row] = t
            }
        }
        // Values by field; a missing column is null.
        var columns: [[FeatureValue]] = []
        columns.reserveCapacity(view.fields.count)
        for field in view.fields {
            guard case .array(let column)? = df[field.name] else {
                columns.append([FeatureValue](repeating: .null, count: count))
                continue
            }
            var values: [FeatureValue] = []
            values.reserveCapacity(count)
            for row in 0..<count {
                guard let value = FeatureValues.convert(column[row], to: field.type) else {
                    throw .invalidShape("column '\(field.name)' row \(row): expected \(field.type.rawValue), got \(column[row].typeName)")
                }
                values.append(value)
            }
            columns.append(values)
        }
        return PushBatch(view: view, target: target, keys: keys, eventNanos: events, createdNanos: created, columns: columns)
    }
}

/// Entity keys as one string: the join key values, `\u{1F}`-separated when there are several.
public enum EntityKey {
    public static let separator: Character = "\u{1F}"

    /// The text of one join key value, nil when it has the wrong type.
    public static func part(_ value: JSONValue, type: EntityKeyType) -> String? {
        switch (type, value) {
        case (.string, .string(let s)): return s.contains(separator) ? nil : s
        case (.int64, .integer(let i)): return String(i)
        case (.int64, .double(let d)): return Int64(exactly: d).map { String($0) }
        case (.int64, .string(let s)): return Int64(s).map { String($0) }
        default: return nil
        }
    }

    public static func join(_ parts: [String]) -> String {
        parts.count == 1 ? parts[0] : parts.joined(separator: String(separator))
    }

    /// The entity key of every row of equally long key columns; a value of the wrong type is
    /// a 422 naming `label` (how the caller calls these columns), the column and the row.
    public static func keys(
        _ columns: [[JSONValue]], names: [String], types: [EntityKeyType], label: String
    ) throws(DomainError) -> [String] {
        let count = columns.first?.count ?? 0
        var keys: [String] = []
        keys.reserveCapacity(count)
        for row in 0..<count {
            if columns.count == 1 {
                guard let part = part(columns[0][row], type: types[0]) else {
                    throw .invalidShape("\(label) '\(names[0])' row \(row): expected a \(types[0].rawValue) entity key, got \(columns[0][row].typeName)")
                }
                keys.append(part)
                continue
            }
            var parts: [String] = []
            for (k, column) in columns.enumerated() {
                guard let part = part(column[row], type: types[k]) else {
                    throw .invalidShape("\(label) '\(names[k])' row \(row): expected a \(types[k].rawValue) entity key, got \(column[row].typeName)")
                }
                parts.append(part)
            }
            keys.append(join(parts))
        }
        return keys
    }
}

/// Typed values from JSON.
public enum FeatureValues {
    /// The value for a field of `type`, nil when the JSON value does not fit.
    public static func convert(_ value: JSONValue, to type: FeatureType) -> FeatureValue? {
        switch (type, value) {
        case (_, .null): return .null
        case (.float64, .double(let d)): return d.isFinite ? .double(d) : nil
        case (.float64, .integer(let i)): return .double(Double(i))
        case (.int64, .integer(let i)): return .int(i)
        case (.int64, .double(let d)): return Int64(exactly: d).map { .int($0) }
        case (.string, .string(let s)): return .string(s)
        case (.bool, .bool(let b)): return .bool(b)
        default: return nil
        }
    }

    /// A stored value for a field of `type` (a field whose type changed since it was stored),
    /// by the rules for JSON values; nil when it does not fit.
    public static func convert(_ value: FeatureValue, to type: FeatureType) -> FeatureValue? {
        switch value {
        case .null: return .null
        case .double(let d): return convert(JSONValue.double(d), to: type)
        case .int(let i): return convert(JSONValue.integer(i), to: type)
        case .string(let s): return convert(JSONValue.string(s), to: type)
        case .bool(let b): return convert(JSONValue.bool(b), to: type)
        }
    }
}

/// Event and created timestamps from JSON: RFC 3339 text or epoch seconds.
public enum Timestamps {
    /// Epoch nanoseconds of `value`; with `naiveAsUTC`, ISO text without an offset means UTC.
    public static func nanos(_ value: JSONValue, naiveAsUTC: Bool = false) -> Int64? {
        switch value {
        case .string(let s): return RFC3339.parse(s, naiveAsUTC: naiveAsUTC)
        case .integer(let i):
            let (v, o) = i.multipliedReportingOverflow(by: 1_000_000_000)
            return o ? nil : v
        case .double(let d):
            guard d.isFinite, abs(d) < 9e9 else { return nil }
            return Int64((d * 1e9).rounded())
        default: return nil
        }
    }
}
