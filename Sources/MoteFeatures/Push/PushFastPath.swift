import MoteCore

/// The common shape of a push, read from the body bytes straight into a `PushBatch`: no JSON
/// value tree (building and freeing it was a tenth of a 100-row push).
///
/// It takes only plain input: keys and strings of printable ASCII without escapes, each key
/// once, `df` columns of numbers, plain strings, booleans and nulls, integer entity keys
/// where keys are integers. Anything else, and every error, returns nil, and
/// `PushBatch.parse` on the parsed body answers it, so both paths give the same batches and
/// the same errors. Values are typed by the rules of the full parser (`JSONCursor`) and
/// converted by the same functions.
enum PushFastPath {
    /// One value of a `df` column, typed as the full parser types it.
    enum Cell {
        case null
        case integer(Int64)
        case double(Double)
        case bool(Bool)
        /// The string's content in the body.
        case string(Range<Int>)
    }

    struct Column {
        var name: String
        var cells: [Cell]
    }

    static func parse(
        _ body: UnsafeBufferPointer<UInt8>, route: PushRoute, definitions: DefinitionSet, limits: FeatureSettings, now: Int64
    ) -> PushBatch? {
        var scan = PlainJSONScanner(body)
        guard scan.consume(UInt8(ascii: "{")) else { return nil }
        var seen: [String] = []
        var viewNames: [String: String] = [:]
        var to: String?
        var columns: [Column]?
        repeat {
            guard let keyRange = scan.string(), scan.consume(UInt8(ascii: ":")) else { return nil }
            let key = scan.text(keyRange)
            guard route.keys.contains(key), !seen.contains(key) else { return nil }
            seen.append(key)
            switch key {
            case "df":
                guard let parsed = dataFrame(&scan) else { return nil }
                columns = parsed
            case "to":
                guard let text = scan.string() else { return nil }
                to = scan.text(text)
            case "allow_registry_cache", "transform_on_write":
                guard scan.bool() != nil else { return nil }
            default:
                guard let text = scan.string() else { return nil }
                viewNames[key] = scan.text(text)
            }
        } while scan.consume(UInt8(ascii: ","))
        guard scan.consume(UInt8(ascii: "}")), scan.atEnd, let columns else { return nil }

        guard let viewName = route.viewKeys.keys.lazy.compactMap({ viewNames[$0] }).first,
            let view = definitions.view(viewName)
        else { return nil }
        var target = PushTarget.onlineAndOffline
        if let to {
            guard let parsed = PushTarget(rawValue: to) else { return nil }
            target = parsed
        }
        let count = columns.first?.cells.count ?? 0
        guard count > 0, count <= limits.maxPushRows, columns.allSatisfy({ $0.cells.count == count }) else { return nil }
        let joinKeys = definitions.joinKeys(of: view)
        let createdColumn = route.createdColumn
        var byName: [String: Int] = [:]
        for (k, column) in columns.enumerated() {
            guard byName[column.name] == nil else { return nil }
            byName[column.name] = k
            let name = column.name
            guard name == "event_timestamp" || name == createdColumn || joinKeys.contains(name) || view.fieldIndex(name) != nil
            else { return nil }
        }

        guard let keys = entityKeys(columns, byName: byName, joinKeys: joinKeys, types: definitions.keyTypes(of: view), body: body)
        else { return nil }
        guard let eventIndex = byName["event_timestamp"] else { return nil }
        var events: [Int64] = []
        events.reserveCapacity(count)
        for cell in columns[eventIndex].cells {
            guard let t = nanos(cell, body: body), t <= now + limits.futureSkewNanos else { return nil }
            events.append(t)
        }
        var created = [Int64](repeating: now, count: count)
        if let createdIndex = byName[createdColumn] {
            for (row, cell) in columns[createdIndex].cells.enumerated() {
                if case .null = cell { continue }
                guard let t = nanos(cell, body: body) else { return nil }
                created[row] = t
            }
        }
        var values: [[FeatureValue]] = []
        values.reserveCapacity(view.fields.count)
        for field in view.fields {
            guard let index = byName[field.name] else {
                values.append([FeatureValue](repeating: .null, count: count))
                continue
            }
            var column: [FeatureValue] = []
            column.reserveCapacity(count)
            for cell in columns[index].cells {
                guard let value = FeatureValues.convert(json(cell, body: body), to: field.type) else { return nil }
                column.append(value)
            }
            values.append(column)
        }
        return PushBatch(view: view, target: target, keys: keys, eventNanos: events, createdNanos: created, columns: values)
    }

    /// `{"column": [values], ...}`.
    private static func dataFrame(_ scan: inout PlainJSONScanner) -> [Column]? {
        guard scan.consume(UInt8(ascii: "{")) else { return nil }
        var columns: [Column] = []
        if scan.consume(UInt8(ascii: "}")) { return columns }
        repeat {
            guard let name = scan.string(), scan.consume(UInt8(ascii: ":")), scan.consume(UInt8(ascii: "[")) else { return nil }
            var cells: [Cell] = []
            if !scan.consume(UInt8(ascii: "]")) {
                repeat {
                    guard let cell = cell(&scan) else { return nil }
                    cells.append(cell)
                } while scan.consume(UInt8(ascii: ","))
                guard scan.consume(UInt8(ascii: "]")) else { return nil }
            }
            columns.append(Column(name: scan.text(name), cells: cells))
        } while scan.consume(UInt8(ascii: ","))
        guard scan.consume(UInt8(ascii: "}")) else { return nil }
        return columns
    }

    @inline(__always)
    private static func cell(_ scan: inout PlainJSONScanner) -> Cell? {
        scan.skipWhitespace()
        guard scan.index < scan.end else { return nil }
        switch scan.bytes[scan.index] {
        case UInt8(ascii: "\""): return scan.string().map { .string($0) }
        case UInt8(ascii: "n"): return scan.null() ? .null : nil
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return scan.bool().map { .bool($0) }
        default:
            // A number, typed as the full parser types it: an integer when it has no fraction
            // or exponent and fits Int64, otherwise a finite double.
            let start = scan.index
            guard let exact = scan.scanNumber() else { return nil }
            let text = UnsafeBufferPointer(rebasing: scan.bytes[start..<scan.index])
            let integral = !text.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
            if integral, let value = JSONCursor.parseInt64(text) { return .integer(value) }
            let value = exact ?? JSONCursor.parseDouble(text)
            return value.isFinite ? .double(value) : nil
        }
    }

    /// The cell as the parsed value the general path would hold.
    @inline(__always)
    private static func json(_ cell: Cell, body: UnsafeBufferPointer<UInt8>) -> JSONValue {
        switch cell {
        case .null: .null
        case .integer(let i): .integer(i)
        case .double(let d): .double(d)
        case .bool(let b): .bool(b)
        case .string(let range): .string(String(decoding: UnsafeBufferPointer(rebasing: body[range]), as: UTF8.self))
        }
    }

    @inline(__always)
    private static func nanos(_ cell: Cell, body: UnsafeBufferPointer<UInt8>) -> Int64? {
        switch cell {
        case .integer, .double, .string: Timestamps.nanos(json(cell, body: body), naiveAsUTC: true)
        case .null, .bool: nil
        }
    }

    /// Every row's entity key, as `EntityKey.keys` makes it from the same values.
    private static func entityKeys(
        _ columns: [Column], byName: [String: Int], joinKeys: [String], types: [EntityKeyType], body: UnsafeBufferPointer<UInt8>
    ) -> [String]? {
        var keyColumns: [[Cell]] = []
        for name in joinKeys {
            guard let index = byName[name] else { return nil }
            keyColumns.append(columns[index].cells)
        }
        let count = keyColumns.first?.count ?? 0
        var keys: [String] = []
        keys.reserveCapacity(count)
        for row in 0..<count {
            if keyColumns.count == 1 {
                guard let part = EntityKey.part(json(keyColumns[0][row], body: body), type: types[0]) else { return nil }
                keys.append(part)
                continue
            }
            var parts: [String] = []
            for (k, column) in keyColumns.enumerated() {
                guard let part = EntityKey.part(json(column[row], body: body), type: types[k]) else { return nil }
                parts.append(part)
            }
            keys.append(EntityKey.join(parts))
        }
        return keys
    }
}

extension PushBatch {
    /// A push body of the plain shape read straight into a batch (`PushFastPath`); nil for
    /// anything else or anything wrong, which the caller parses as JSON and checks with
    /// `parse(_:route:definitions:limits:now:)`, the one that gives every error.
    public static func parsePlain(
        body: UnsafeBufferPointer<UInt8>, route: PushRoute = .push, definitions: DefinitionSet, limits: FeatureSettings, now: Int64
    ) -> PushBatch? {
        PushFastPath.parse(body, route: route, definitions: definitions, limits: limits, now: now)
    }
}
