/// Turns CSV records into the columns of a feature push body (`{"feature_view", "to", "df":
/// {column: [values]}}`), typed by the view's fields, without a String or a JSON value per cell.
///
/// A cell is checked as its column's type asks and written as JSON: numbers already in JSON's
/// form (short enough to read back exactly, as the server parses them) are copied as they are,
/// others are parsed as Swift reads them (`Double(text)`, `Int64(text)`) and written back;
/// an empty cell is null (a time or a join key must not be empty). A record with a bad cell is
/// refused whole, with the reason, and adds nothing.
public struct CSVPushColumns {
    /// How a column's cells are read.
    public enum Kind: Sendable {
        /// A join key: a non-empty string.
        case key
        /// `event_timestamp` / `created_timestamp`: RFC 3339 text or epoch seconds.
        case time
        case float64
        case int64
        /// `true`/`false`, `1`/`0`, `yes`/`no`, any case.
        case bool
        case string
    }

    private let names: [String]
    private let kinds: [Kind]
    /// Each column's values so far, separated by commas.
    private var columns: [[UInt8]]
    /// Each column's length before the record being added.
    private var marks: [Int]
    /// Rows added since the last body.
    public private(set) var rows = 0

    /// Columns named `names` (the CSV header), read as `kinds`.
    public init(names: [String], kinds: [Kind]) {
        precondition(names.count == kinds.count)
        self.names = names
        self.kinds = kinds
        self.columns = Array(repeating: [], count: names.count)
        self.marks = Array(repeating: 0, count: names.count)
    }

    /// Adds one record; returns why it is refused instead (nothing is added then).
    public mutating func add(_ record: CSVRecord) -> String? {
        guard record.count == names.count else { return "\(record.count) fields, the header has \(names.count)" }
        for k in names.indices {
            marks[k] = columns[k].count
            if rows > 0 { columns[k].append(UInt8(ascii: ",")) }
            let kind = kinds[k]
            if let failure = record.withField(k, { cell in Self.write(cell, kind, name: names[k], to: &columns[k]) }) {
                // Take back what this record wrote.
                for j in 0...k { columns[j].removeSubrange(marks[j]...) }
                return failure
            }
        }
        rows += 1
        return nil
    }

    /// The push body of the rows added, for `view` with `to` (`online`, `offline` or
    /// `online_and_offline`); the columns are emptied for the next batch.
    public mutating func body(view: String, to: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(columns.reduce(64) { $0 + $1.count + 32 })
        out.append(contentsOf: #"{"feature_view":"#.utf8)
        JSONWriter.appendString(view, to: &out)
        out.append(contentsOf: #","to":"#.utf8)
        JSONWriter.appendString(to, to: &out)
        out.append(contentsOf: #","df":{"#.utf8)
        for k in names.indices {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(names[k], to: &out)
            out.append(contentsOf: ":[".utf8)
            out.append(contentsOf: columns[k])
            out.append(UInt8(ascii: "]"))
            columns[k].removeAll(keepingCapacity: true)
        }
        out.append(contentsOf: "}}".utf8)
        rows = 0
        return out
    }

    /// Writes one cell; returns why it is refused instead.
    private static func write(_ cell: UnsafeRawBufferPointer, _ kind: Kind, name: String, to out: inout [UInt8]) -> String? {
        if cell.isEmpty {
            switch kind {
            case .key: return "'\(name)' is empty"
            case .time: return "'\(name)': '' is not an RFC 3339 time or epoch seconds"
            default:
                out.append(contentsOf: "null".utf8)
                return nil
            }
        }
        switch kind {
        case .key, .string:
            writeString(cell, to: &out)
        case .time:
            if RFC3339.parse(utf8: cell) != nil {
                writeString(cell, to: &out)
            } else if !writeDouble(cell, to: &out) {
                return "'\(name)': '\(text(cell))' is not an RFC 3339 time or epoch seconds"
            }
        case .float64:
            if !writeDouble(cell, to: &out) { return "'\(name)': '\(text(cell))' is not float64" }
        case .int64:
            if isShortJSONInteger(cell) {
                out.append(contentsOf: cell)
            } else if let value = Int64(text(cell)) {
                JSONWriter.appendInt(value, to: &out)
            } else {
                return "'\(name)': '\(text(cell))' is not int64"
            }
        case .bool:
            switch text(cell).lowercased() {
            case "true", "1", "yes": out.append(contentsOf: "true".utf8)
            case "false", "0", "no": out.append(contentsOf: "false".utf8)
            default: return "'\(name)': '\(text(cell))' is not bool"
            }
        }
        return nil
    }

    private static func text(_ cell: UnsafeRawBufferPointer) -> String { String(decoding: cell, as: UTF8.self) }

    /// A string cell as a JSON string (bytes that are not UTF-8 are replaced, as a String would).
    private static func writeString(_ cell: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        if cell.allSatisfy({ $0 < 0x80 }) {
            JSONWriter.appendString(utf8: cell, to: &out)
        } else {
            JSONWriter.appendString(text(cell), to: &out)
        }
    }

    /// A finite number cell as JSON; false when it is not one.
    private static func writeDouble(_ cell: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        if isShortJSONNumber(cell) {
            out.append(contentsOf: cell)
            return true
        }
        guard let value = Double(text(cell)), value.isFinite else { return false }
        JSONWriter.appendDouble(value, to: &out)
        return true
    }

    /// `-?(0|[1-9][0-9]{0,17})`: JSON's integer form, in range of Int64.
    static func isShortJSONInteger(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = b.first == UInt8(ascii: "-") ? 1 : 0
        let digits = b.count - i
        guard digits >= 1, digits <= 18 else { return false }
        if b[i] == UInt8(ascii: "0") { return digits == 1 && i == 0 }
        while i < b.count {
            guard b[i] >= 0x30, b[i] <= 0x39 else { return false }
            i += 1
        }
        return true
    }

    /// JSON's number form with at most 15 digits before the point and an exponent of at most
    /// two digits: a finite double that every parser reads as `Double(text)` does.
    static func isShortJSONNumber(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = b.count
        @inline(__always) func digit(_ k: Int) -> Bool { k < n && b[k] >= 0x30 && b[k] <= 0x39 }
        if i < n, b[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { return false }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            let start = i
            while digit(i) { i += 1 }
            guard i - start <= 15 else { return false }
        }
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let start = i
            while digit(i) { i += 1 }
            guard i > start, i - start <= 2 else { return false }
        }
        return i == n
    }
}
