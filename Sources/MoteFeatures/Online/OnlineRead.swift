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
    ) throws(DomainError) -> [FeatureReference] {
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

/// A feature list resolved once per definitions version: the features, their common join
/// keys, and the features grouped by view so each entity is looked up once per view.
/// Immutable and shared (a class: a read takes one reference, not one per array).
public final class ResolvedRead: Sendable {
    public let features: [FeatureReference]
    public let joinKeys: [String]
    public let keyTypes: [EntityKeyType]
    /// Per view: its cache table, TTL, and the positions in `features` it serves.
    let groups: [(table: OnlineFeatureCache.ViewTable, ttlNanos: Int64, members: [Int])]
    /// Per feature, what rendering needs (plain values, so the loop retains nothing).
    let slots: [(field: Int, ttlNanos: Int64, group: Int)]
    /// The answer's fixed start, rendered once: `{"metadata":{"feature_names":[...]},"results":[`.
    let responsePrefix: [UInt8]
    /// The same with `"feature_view_metadata":[{"name","version"}]` in the metadata (Feast's
    /// `include_feature_view_version_metadata`).
    let responsePrefixWithVersions: [UInt8]

    init(
        features: [FeatureReference], joinKeys: [String], keyTypes: [EntityKeyType],
        groups: [(table: OnlineFeatureCache.ViewTable, ttlNanos: Int64, members: [Int])],
        slots: [(field: Int, ttlNanos: Int64, group: Int)], responsePrefix: [UInt8], responsePrefixWithVersions: [UInt8]
    ) {
        self.features = features
        self.joinKeys = joinKeys
        self.keyTypes = keyTypes
        self.groups = groups
        self.slots = slots
        self.responsePrefix = responsePrefix
        self.responsePrefixWithVersions = responsePrefixWithVersions
    }

    /// The fixed start of the answer, with or without the views' versions.
    func prefix(withVersions: Bool) -> [UInt8] { withVersions ? responsePrefixWithVersions : responsePrefix }

    /// Resolves names and checks that all features share their join keys.
    static func make(_ names: [String], in definitions: DefinitionSet, fullNames: Bool, cache: OnlineFeatureCache) throws(DomainError) -> ResolvedRead {
        let features = try FeatureReference.resolve(names, in: definitions, fullNames: fullNames, cache: cache)
        let joinKeys = definitions.joinKeys(of: features[0].view)
        var groups: [(table: OnlineFeatureCache.ViewTable, ttlNanos: Int64, members: [Int])] = []
        var groupOfView: [Int: Int] = [:]
        for (k, f) in features.enumerated() {
            let keys = definitions.joinKeys(of: f.view)
            guard keys == joinKeys else {
                throw .invalidShape("features of one request must share their entity keys; '\(f.view.name)' is keyed by \(keys.joined(separator: ", ")), not \(joinKeys.joined(separator: ", "))")
            }
            if let g = groupOfView[f.view.id] {
                groups[g].members.append(k)
            } else {
                groupOfView[f.view.id] = groups.count
                groups.append((f.table, f.view.ttlNanos, [k]))
            }
        }
        var slots = features.map { (field: $0.fieldIndex, ttlNanos: $0.view.ttlNanos, group: 0) }
        for (g, group) in groups.enumerated() { for m in group.members { slots[m].group = g } }
        func prefix(withVersions: Bool) -> [UInt8] {
            var prefix = JSONWriter(capacity: 64 + 24 * (joinKeys.count + features.count))
            prefix.beginObject()
            prefix.key("metadata")
            prefix.beginObject()
            prefix.key("feature_names")
            prefix.beginArray()
            for key in joinKeys { prefix.string(key) }
            for f in features { prefix.string(f.outputName) }
            prefix.endArray()
            if withVersions {
                prefix.key("feature_view_metadata")
                prefix.beginArray()
                var listed = Set<Int>()
                for f in features where listed.insert(f.view.id).inserted {
                    prefix.beginObject()
                    prefix.key("name"); prefix.string(f.view.name)
                    prefix.key("version"); prefix.int(f.view.revision)
                    prefix.endObject()
                }
                prefix.endArray()
            }
            prefix.endObject()
            prefix.key("results")
            prefix.bytes.append(contentsOf: #"["#.utf8)
            return prefix.bytes
        }
        return ResolvedRead(
            features: features, joinKeys: joinKeys, keyTypes: definitions.keyTypes(of: features[0].view), groups: groups,
            slots: slots, responsePrefix: prefix(withVersions: false), responsePrefixWithVersions: prefix(withVersions: true))
    }
}

/// `POST /v1/get-online-features`: Feast's request and its column-major response, with TTL
/// enforced against now.
public enum OnlineRead {
    /// Answers a request body from the cache: the plain common shape straight from the bytes,
    /// anything else (and every error) through the JSON parser and `answer(_:store:now:)`.
    public static func answer(body: UnsafeBufferPointer<UInt8>, store: FeatureStore, now: Int64) throws -> JSONWriter {
        if let fast = OnlineReadFastPath.answer(body, store: store, now: now) { return fast }
        return try answer(JSONParser.parse(buffer: body), store: store, now: now)
    }

    /// Answers a parsed request body from the cache. Keys read: `features` or
    /// `feature_service`, `entities`, `full_feature_names`,
    /// `include_feature_view_version_metadata`; any other key is ignored, as Feast's feature
    /// server does (a read changes nothing, and newer Feast SDKs send keys of their own).
    public static func answer(_ body: JSONValue, store: FeatureStore, now: Int64) throws(DomainError) -> JSONWriter {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object") }
        var featureNames: [JSONValue]?
        var service: String?
        var entities: JSONObject?
        var fullNames = false
        var withVersions = false
        for member in object {
            switch member.key {
            case "features":
                guard case .array(let list) = member.value else { throw .invalidShape("'features' must be an array of \"view:field\"") }
                featureNames = list
            case "entities":
                guard case .object(let e) = member.value else { throw .invalidShape("'entities' must be an object of key columns") }
                entities = e
            case "full_feature_names":
                guard case .bool(let b) = member.value else { throw .invalidShape("'full_feature_names' must be true or false") }
                fullNames = b
            case "include_feature_view_version_metadata":
                guard case .bool(let b) = member.value else { throw .invalidShape("'include_feature_view_version_metadata' must be true or false") }
                withVersions = b
            case "feature_service":
                switch member.value {
                case .null: continue
                case .string(let s): service = s
                default: throw .invalidShape("'feature_service' must name a feature service")
                }
            default:
                continue
            }
        }
        guard let entities else { throw .invalidShape("'entities' must be an object of key columns") }
        let applied = store.definitions
        var names: [String] = []
        if let service {
            guard featureNames?.isEmpty ?? true else {
                throw .invalidShape("give 'features' or 'feature_service', not both")
            }
            guard let list = applied.set.featureService(service) else {
                throw .notFound("no feature service '\(service)'; see GET /v1/definitions")
            }
            names = list
        } else {
            guard let featureNames else { throw .invalidShape("'features' must be an array of \"view:field\" (or name a 'feature_service')") }
            names.reserveCapacity(featureNames.count)
            for f in featureNames {
                guard case .string(let s) = f else { throw .invalidShape("'features' must be strings") }
                names.append(s)
            }
        }
        let plan = try applied.resolveRead(names, fullNames: fullNames)
        let joinKeys = plan.joinKeys
        for key in entities.keys where !joinKeys.contains(key) {
            throw .invalidShape("'entities' has '\(key)'; these features are keyed by \(joinKeys.joined(separator: ", "))")
        }
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
            throw DomainError.tooManyRows("\(rowCount) entity rows; the limit is \(limit) (features.max_read_entities)")
        }
        let keys = try EntityKey.keys(columns, names: joinKeys, types: plan.keyTypes, label: "entities")

        // Look each entity up once per view, under one lock per view.
        let found = FoundRows(plan: plan, keys: keys)
        return OnlineAnswer.render(plan: plan, keyColumns: columns, found: found, now: now, withVersions: withVersions)
    }

    @inline(__always)
    static func status(_ entry: (found: FoundRows.Found, row: OnlineRow.Reader)?, field: Int, ttl: Int64, now: Int64) -> FeatureStatus {
        guard let entry else { return .notFound }
        if ttl > 0, now - entry.found.eventNanos > ttl { return .outsideMaxAge }
        if entry.row.isNull(field) { return .nullValue }
        return .present
    }
}

/// Feast's per-value statuses.
public enum FeatureStatus: String, Sendable {
    case present = "PRESENT"
    case notFound = "NOT_FOUND"
    case nullValue = "NULL_VALUE"
    case outsideMaxAge = "OUTSIDE_MAX_AGE"
}

extension OnlineRead {
    /// Typed values and statuses of `plan`'s features for entity `keys`, read from the cache
    /// (`result[row][feature]`); a value that is not PRESENT is null. The inference path reads
    /// a model's inputs with this.
    public static func values(plan: ResolvedRead, keys: [String], now: Int64) -> [[(value: FeatureValue, status: FeatureStatus)]] {
        FoundRows(plan: plan, keys: keys).withRows { rows in
            keys.indices.map { row in
                plan.slots.enumerated().map { k, slot in
                    let entry = rows.reader(slot.group, row)
                    let status = OnlineRead.status(entry, field: slot.field, ttl: slot.ttlNanos, now: now)
                    guard status == .present, let entry else { return (FeatureValue.null, status) }
                    let value = entry.row.value(slot.field)
                    return (FeatureValues.convert(value, to: plan.features[k].view.fields[slot.field].type) ?? .null, status)
                }
            }
        }
    }
}
