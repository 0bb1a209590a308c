public import MoteCore
import MoteFeatures

#if canImport(Glibc)
import Glibc
#endif

extension ErrorCode {
    /// A scoring job's entities, model or target do not fit together (409).
    public static let scoringMismatch: ErrorCode = "scoring_mismatch"
}

/// The entity keys a scoring run scores, in the cache's key form (join key values joined by
/// `EntityKey.separator`), sorted so that results files come out in the same order each run.
enum ScoringEntities {
    static func keys(_ entities: ScoringJobSpec.Entities, joinKeys: [String], keyTypes: [EntityKeyType], store: FeatureStore) throws -> [String] {
        var keys: [String]
        switch entities {
        case .view(let name):
            guard let view = store.definitions.set.view(name) else { throw DomainError.notFound("no feature view '\(name)' to take entities from") }
            let viewKeys = store.definitions.set.joinKeys(of: view)
            guard viewKeys == joinKeys else {
                throw DomainError(
                    .conflict, .scoringMismatch,
                    "entities_from '\(name)' is keyed by \(viewKeys.joined(separator: ",")); the model reads features keyed by \(joinKeys.joined(separator: ","))")
            }
            keys = store.cache.keys(viewID: view.id)
        case .list(let list):
            guard joinKeys.count == 1 else {
                throw DomainError(
                    .conflict, .scoringMismatch,
                    "the model's features are keyed by \(joinKeys.joined(separator: ",")); give composite keys in entities_csv")
            }
            keys = try list.enumerated().map { (row, text) throws(DomainError) in
                guard let key = EntityKey.part(.string(text), type: keyTypes[0]) else {
                    throw .invalidShape("entities[\(row)]: '\(text)' is not a \(keyTypes[0].rawValue) key")
                }
                return key
            }
        case .csv(let path):
            keys = try csvKeys(path, joinKeys: joinKeys, keyTypes: keyTypes)
        }
        keys.sort()
        // A key listed twice is scored once.
        var unique: [String] = []
        unique.reserveCapacity(keys.count)
        for key in keys where unique.last != key { unique.append(key) }
        return unique
    }

    /// The keys of a CSV whose header names every join key (other columns are ignored).
    static func csvKeys(_ path: String, joinKeys: [String], keyTypes: [EntityKeyType]) throws -> [String] {
        guard var reader = CSVReader.open(path) else { throw DomainError.notFound("cannot read the entities file \(path): \(errnoText())") }
        defer { reader.close() }
        guard let header = reader.next() else { throw DomainError.invalidShape("the entities file \(path) is empty") }
        let positions = try joinKeys.map { (name) throws(DomainError) -> Int in
            guard let k = header.firstIndex(of: name) else {
                throw DomainError.invalidShape("the entities file \(path) has no column '\(name)' (its header: \(header.joined(separator: ",")))")
            }
            return k
        }
        var keys: [String] = []
        while let record = reader.next() {
            var parts: [String] = []
            for (k, position) in positions.enumerated() {
                guard position < record.count, let part = EntityKey.part(.string(record[position]), type: keyTypes[k]) else {
                    throw DomainError.invalidShape("the entities file \(path) line \(reader.line): '\(joinKeys[k])' is not a \(keyTypes[k].rawValue) key")
                }
                parts.append(part)
            }
            keys.append(EntityKey.join(parts))
        }
        return keys
    }
}
