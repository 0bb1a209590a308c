public import MoteCore

/// A named feature `view:field` resolved against the definitions.
public struct FeatureReference: Sendable {
    public var view: FeatureViewDefinition
    public var fieldIndex: Int
    /// `field`, or `view__field` with full feature names.
    public var outputName: String
    /// The view's rows in the online cache (resolved once, not per read).
    let table: OnlineFeatureCache.ViewTable

    /// Resolves `"view:field"` references; every view must exist and have the field.
    public static func resolve(
        _ names: [String], in definitions: DefinitionSet, fullNames: Bool, cache: OnlineFeatureCache? = nil
    ) throws(APIError) -> [FeatureReference] {
        guard !names.isEmpty else { throw .invalidShape("'features' must list at least one \"view:field\"") }
        var out: [FeatureReference] = []
        var seen = Set<String>()
        for name in names {
            let parts = name.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw .invalidShape("feature '\(name)' must be written view:field") }
            guard let view = definitions.view(String(parts[0])) else { throw .notFound("no feature view '\(parts[0])' (in '\(name)')") }
            guard let index = view.fieldIndex(String(parts[1])) else {
                throw .notFound("feature view '\(view.name)' has no field '\(parts[1])'")
            }
            let output = fullNames ? "\(view.name)__\(parts[1])" : String(parts[1])
            guard seen.insert(output).inserted else {
                throw .invalidShape("two features would both be named '\(output)'; set full_feature_names to true")
            }
            out.append(FeatureReference(view: view, fieldIndex: index, outputName: output, table: (cache ?? OnlineFeatureCache.detached).table(view.id)))
        }
        return out
    }
}

/// `POST /v1/get-online-features`: Feast's request and its column-major response, with TTL
/// enforced against now.
public enum OnlineRead {
    /// Answers a parsed request body from the cache.
    public static func answer(_ body: JSONValue, store: FeatureStore, now: Int64) throws(APIError) -> JSONWriter {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object") }
        for key in object.keys where !["features", "entities", "full_feature_names", "feature_service"].contains(key) {
            throw .invalidShape("unknown key '\(key)' (known: features, entities, full_feature_names)")
        }
        guard case .array(let featureNames)? = object["features"] else { throw .invalidShape("'features' must be an array of \"view:field\"") }
        var names: [String] = []
        for f in featureNames {
            guard let s = f.stringValue else { throw .invalidShape("'features' must be strings") }
            names.append(s)
        }
        var fullNames = false
        if let flag = object["full_feature_names"] {
            guard case .bool(let b) = flag else { throw .invalidShape("'full_feature_names' must be true or false") }
            fullNames = b
        }
        let applied = store.definitions
        let definitions = applied.set
        let features = try applied.resolve(names, fullNames: fullNames)
        let joinKeys = definitions.joinKeys(of: features[0].view)
        for f in features where definitions.joinKeys(of: f.view) != joinKeys {
            throw .invalidShape("features of one request must share their entity keys; '\(f.view.name)' is keyed by \(definitions.joinKeys(of: f.view).joined(separator: ", ")), not \(joinKeys.joined(separator: ", "))")
        }
        guard case .object(let entities)? = object["entities"] else { throw .invalidShape("'entities' must be an object of key columns") }
        for key in entities.keys where !joinKeys.contains(key) {
            throw .invalidShape("'entities' has '\(key)'; these features are keyed by \(joinKeys.joined(separator: ", "))")
        }
        let keyTypes = definitions.keyTypes(of: features[0].view)
        var columns: [[JSONValue]] = []
        for key in joinKeys {
            guard case .array(let column)? = entities[key] else { throw .invalidShape("'entities' lacks the key column '\(key)'") }
            if let first = columns.first, first.count != column.count {
                throw .invalidShape("entity key columns have different lengths")
            }
            columns.append(column)
        }
        let rowCount = columns.first?.count ?? 0
        let limit = store.limits.maxReadEntities
        guard rowCount <= limit else {
            throw APIError(status: 413, code: "too_many_rows", message: "\(rowCount) entity rows; the limit is \(limit) (features.max_read_entities)")
        }
        let keys = try EntityKey.keys(columns, names: joinKeys, types: keyTypes, label: "entities")

        var w = JSONWriter(capacity: 128 + rowCount * features.count * 48)
        w.beginObject()
        w.key("metadata")
        w.beginObject()
        w.key("feature_names")
        w.beginArray()
        for key in joinKeys { w.string(key) }
        for f in features { w.string(f.outputName) }
        w.endArray()
        w.endObject()
        w.key("results")
        w.beginArray()
        for (k, column) in columns.enumerated() {
            w.beginObject()
            w.key("values"); w.beginArray(); for v in column { w.value(v) }; w.endArray()
            w.key("statuses"); w.beginArray(); for _ in 0..<rowCount { w.string("PRESENT") }; w.endArray()
            w.key("event_timestamps"); w.beginArray(); for _ in 0..<rowCount { w.timestamp(nanos: 0) }; w.endArray()
            w.endObject()
            _ = k
        }
        // One lock per view; each feature column is written from one view's rows.
        for f in features {
            f.table.rows.withLock { rows in
                var statuses: [FeatureStatus] = []
                statuses.reserveCapacity(rowCount)
                var times: [Int64] = []
                times.reserveCapacity(rowCount)
                w.beginObject()
                w.key("values")
                w.beginArray()
                for key in keys {
                    guard let entry = rows[key] else {
                        w.null(); statuses.append(.notFound); times.append(0)
                        continue
                    }
                    times.append(entry.eventNanos)
                    if f.view.ttlNanos > 0, now - entry.eventNanos > f.view.ttlNanos {
                        w.null(); statuses.append(.outsideMaxAge)
                        continue
                    }
                    let value = f.fieldIndex < entry.values.count ? entry.values[f.fieldIndex] : .null
                    value.write(into: &w)
                    statuses.append(value.isNull ? .nullValue : .present)
                }
                w.endArray()
                w.key("statuses"); w.beginArray(); for s in statuses { w.string(s.rawValue) }; w.endArray()
                w.key("event_timestamps"); w.beginArray(); for t in times { w.timestamp(nanos: t) }; w.endArray()
                w.endObject()
            }
        }
        w.endArray()
        w.endObject()
        return w
    }
}

/// Feast's per-value statuses.
public enum FeatureStatus: String, Sendable {
    case present = "PRESENT"
    case notFound = "NOT_FOUND"
    case nullValue = "NULL_VALUE"
    case outsideMaxAge = "OUTSIDE_MAX_AGE"
}
