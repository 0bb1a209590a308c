import MoteCore

/// The common shape of `POST /v1/get-online-features`, answered straight from the body bytes:
/// no JSON value tree, the read plan found by the raw text of the `features` array, entity
/// key values copied into the answer as the caller wrote them.
///
/// It takes only plain input: ASCII strings without escapes, integer keys, known keys once
/// each, join key columns that match the plan. Anything else (including every error) returns
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
        var found = [[OnlineFeatureCache.Entry?]](repeating: [], count: plan.groups.count)
        for (g, group) in plan.groups.enumerated() {
            found[g] = group.table.rows.withLock { rows in keys.map { rows[$0] } }
        }
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

/// A scanner for the plain subset of JSON the fast path takes: it never reports errors,
/// it says "not plain" (nil or false) and the caller falls back to the full parser.
struct PlainJSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.index = start
        self.end = end ?? bytes.count
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < end {
            let b = bytes[index]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index += 1
        }
    }

    var atEnd: Bool {
        mutating get {
            skipWhitespace()
            return index == end
        }
    }

    /// Skips whitespace and `byte` if it comes next.
    @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < end, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string of printable ASCII without escapes: the range of its content.
    mutating func string() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        guard let base = bytes.baseAddress else { return nil }
        var i = index
        let stop = end
        while i < stop {
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                index = i + 1
                return start..<i
            }
            // Printable ASCII other than a backslash; anything else is left to the parser.
            guard b &- 0x20 < 0x5F, b != UInt8(ascii: "\\") else { return nil }
            i += 1
        }
        return nil
    }

    /// The next value of a key column (after its comma unless `first`) as key text.
    @inline(__always)
    mutating func keyPart(first: Bool, string: Bool) -> String? {
        if !first { guard consume(UInt8(ascii: ",")) else { return nil } }
        if string {
            guard let range = self.string() else { return nil }
            return text(range)
        }
        return integer().map { String($0) }
    }

    /// An integer literal that fits Int64 (no fraction, no exponent, no leading zeros).
    mutating func integer() -> Int64? {
        skipWhitespace()
        let start = index
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digits = index
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        guard index > digits, index - digits == 1 || bytes[digits] != 0x30 else { return nil }
        if index < end, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { return nil }
        return JSONCursor.parseInt64(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    }

    mutating func bool() -> Bool? {
        skipWhitespace()
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end - index >= n else { return false }
        for i in 0..<n where bytes[index + i] != word.utf8Start[i] { return false }
        index += n
        return true
    }

    /// An array of plain strings: the text of the whole array (brackets included) and its length.
    mutating func stringArray() -> (text: Range<Int>, count: Int)? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        let start = index - 1
        var count = 0
        if consume(UInt8(ascii: "]")) { return (start..<index, 0) }
        repeat {
            guard string() != nil else { return nil }
            count += 1
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { return nil }
        return (start..<index, count)
    }

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

    /// Whether the bytes of `range` are exactly `word`.
    func range(_ range: Range<Int>, is word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        for i in 0..<range.count where bytes[range.lowerBound + i] != word.utf8Start[i] { return false }
        return true
    }

    /// The text of a range of the buffer (ASCII, as the scanner checked).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
