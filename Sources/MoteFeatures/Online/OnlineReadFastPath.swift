import MoteCore

/// The common shape of `POST /v1/get-online-features`, answered straight from the body bytes:
/// no JSON value tree, the read plan found by the raw text of the `features` array, entity
/// key values copied into the answer as the caller wrote them.
///
/// It takes only plain input: ASCII strings without escapes, integer keys, known keys once
/// each (no `feature_service`, no versions metadata), join key columns that match the plan. Anything else (including every error) returns
/// nil, and the general path answers it, so both paths give the same answers and errors.
enum OnlineReadFastPath {
    /// Byte ranges of one entity key column in the body.
    struct KeyColumn {
        var name: Range<Int>
        /// The array's text between its brackets.
        var values: Range<Int>
        var count: Int
        var allStrings: Bool
        var allIntegers: Bool
    }

    static func answer(_ body: UnsafeBufferPointer<UInt8>, store: FeatureStore, now: Int64) -> JSONWriter? {
        var scan = PlainJSONScanner(body)
        guard scan.consume(UInt8(ascii: "{")) else { return nil }
        var features: Range<Int>?
        var fullNames: Bool?
        var columns: [KeyColumn] = []
        var sawEntities = false
        repeat {
            guard let key = scan.string() else { return nil }
            guard scan.consume(UInt8(ascii: ":")) else { return nil }
            if scan.range(key, is: "features") {
                guard features == nil, let range = scan.stringArray()?.text else { return nil }
                features = range
            } else if scan.range(key, is: "entities") {
                guard !sawEntities, let parsed = scan.keyColumns() else { return nil }
                sawEntities = true
                columns = parsed
            } else if scan.range(key, is: "full_feature_names") {
                guard fullNames == nil, let flag = scan.bool() else { return nil }
                fullNames = flag
            } else if scan.range(key, is: "include_feature_view_version_metadata") {
                // Feast's SDK sends `false` on every read; `true` takes the general path.
                guard scan.bool() == false else { return nil }
            } else {
                return nil
            }
        } while scan.consume(UInt8(ascii: ","))
        guard scan.consume(UInt8(ascii: "}")), scan.atEnd, let features, sawEntities else { return nil }

        guard let plan = store.definitions.resolveRead(featureList: UnsafeBufferPointer(rebasing: body[features]), fullNames: fullNames ?? false)
        else { return nil }
        // The key columns must be exactly the plan's join keys, equally long, typed as the keys are.
        guard columns.count == plan.joinKeys.count else { return nil }
        var ordered: [KeyColumn] = []
        ordered.reserveCapacity(columns.count)
        for (k, joinKey) in plan.joinKeys.enumerated() {
            guard let column = columns.first(where: { scan.text($0.name) == joinKey }) else { return nil }
            switch plan.keyTypes[k] {
            case .string: guard column.allStrings else { return nil }
            case .int64: guard column.allIntegers else { return nil }
            }
            guard column.count == columns[0].count else { return nil }
            ordered.append(column)
        }
        let rowCount = columns.first?.count ?? 0
        guard rowCount <= store.limits.maxReadEntities else { return nil }

        let keys = entityKeys(ordered, rowCount: rowCount, body: body)
        guard keys.count == rowCount else { return nil }
        let found = FoundRows(plan: plan, keys: keys)
        // The key values go into the answer as sent: plain strings and integers are already JSON.
        return OnlineAnswer.render(
            plan: plan, rowCount: rowCount, keyText: body, keyColumns: ordered.map(\.values), found: found, now: now)
    }

    /// The cache key of every row: the key values' text, joined by the key separator. Fewer
    /// keys than rows when an integer does not fit Int64.
    private static func entityKeys(_ columns: [KeyColumn], rowCount: Int, body: UnsafeBufferPointer<UInt8>) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(rowCount)
        if columns.count == 1 {
            var scan = PlainJSONScanner(body, from: columns[0].values.lowerBound, to: columns[0].values.upperBound)
            let strings = columns[0].allStrings
            for row in 0..<rowCount {
                guard let part = scan.keyPart(first: row == 0, string: strings) else { return keys }
                keys.append(part)
            }
            return keys
        }
        var scans = columns.map { PlainJSONScanner(body, from: $0.values.lowerBound, to: $0.values.upperBound) }
        for row in 0..<rowCount {
            var key = ""
            for c in columns.indices {
                guard let part = scans[c].keyPart(first: row == 0, string: columns[c].allStrings) else { return keys }
                if c > 0 { key.append(EntityKey.separator) }
                key.append(part)
            }
            keys.append(key)
        }
        return keys
    }
}

extension PlainJSONScanner {
    /// `{"key": [plain strings or integers], ...}`, each key once.
    mutating func keyColumns() -> [OnlineReadFastPath.KeyColumn]? {
        guard consume(UInt8(ascii: "{")) else { return nil }
        var columns: [OnlineReadFastPath.KeyColumn] = []
        if consume(UInt8(ascii: "}")) { return columns }
        repeat {
            guard let name = string(), consume(UInt8(ascii: ":")), consume(UInt8(ascii: "[")) else { return nil }
            let valuesStart = index
            var count = 0
            var allStrings = true
            var allIntegers = true
            var valuesEnd = index
            if !consume(UInt8(ascii: "]")) {
                repeat {
                    skipWhitespace()
                    guard index < end else { return nil }
                    if bytes[index] == UInt8(ascii: "\"") {
                        guard string() != nil else { return nil }
                        allIntegers = false
                    } else {
                        guard integer() != nil else { return nil }
                        allStrings = false
                    }
                    count += 1
                } while consume(UInt8(ascii: ","))
                valuesEnd = index
                guard consume(UInt8(ascii: "]")) else { return nil }
            }
            for other in columns where text(other.name) == text(name) { return nil }
            columns.append(
                .init(name: name, values: valuesStart..<valuesEnd, count: count, allStrings: allStrings, allIntegers: allIntegers))
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "}")) else { return nil }
        return columns
    }
}
