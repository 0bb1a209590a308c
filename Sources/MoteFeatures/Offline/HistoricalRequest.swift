public import MoteCore

/// A point-in-time join request (`POST /v1/historical-features`, Feast's shape): the features
/// to join, the entity rows with their times, and the output format.
public struct HistoricalRequest: Sendable {
    /// How the joined table is written.
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case jsonl
    }

    public var features: [FeatureReference]
    public var frame: EntityFrame
    public var format: Format

    /// Reads and checks a request body against the definitions in force: every feature
    /// exists, all share their entity keys, and the entity rows fit `features.max_historical_rows`.
    public init(_ body: JSONValue, store: FeatureStore) throws(DomainError) {
        let fields = try JSONFields(body)
        var names = try fields.textList("features")
        let service = try fields.text("feature_service")
        let fullNames = try fields.flag("full_feature_names") ?? false
        let formatText = try fields.text("format") ?? Format.csv.rawValue
        let entityRows = fields.value("entity_df")
        try fields.finish()
        guard let format = Format(rawValue: formatText) else { throw .invalidShape("'format' must be csv or jsonl") }
        let definitions = store.definitions.set
        if let service {
            guard names.isEmpty else { throw .invalidShape("give 'features' or 'feature_service', not both") }
            guard let list = definitions.featureService(service) else { throw .notFound("no feature service '\(service)'; see GET /v1/definitions") }
            names = list
        }
        let features = try FeatureReference.resolve(names, in: definitions, fullNames: fullNames)
        let joinKeys = definitions.joinKeys(of: features[0].view)
        for f in features where definitions.joinKeys(of: f.view) != joinKeys {
            throw .invalidShape("features of one request must share their entity keys")
        }
        self.features = features
        self.format = format
        self.frame = try EntityFrame.parse(
            entityRows, joinKeys: joinKeys, keyTypes: definitions.keyTypes(of: features[0].view),
            maxRows: store.limits.maxHistoricalRows)
    }
}

extension FeatureStore {
    /// Joins the request's features to its entity rows as of each row's time.
    public func historicalFeatures(_ request: HistoricalRequest) throws -> JoinedTable {
        try PointInTimeJoin.run(request.frame, features: request.features, store: self)
    }
}
