/// A value of a TOML 1.0 document. Tables remember the line of each key so that config and
/// definition errors can name the offending key and line.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    /// An offset or local date-time, date or time, kept as written (RFC 3339 text).
    case datetime(String)
    case array([TOMLValue])
    case table(TOMLTable)

    /// The TOML type name for error messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .datetime: return "date-time"
        case .array: return "array"
        case .table: return "table"
        }
    }
}

/// A TOML table: keys in document order, each with the line it was written on.
public struct TOMLTable: Sendable, Equatable {
    /// One key of the table.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: TOMLValue
        /// 1-based line of the key (or of the header, for sub-tables).
        public var line: Int
    }

    /// Entries in document order.
    public var entries: [Entry]
    /// 1-based line where the table starts (its header, its `{`, or 1 for the root).
    public var line: Int

    public init(entries: [Entry] = [], line: Int = 1) {
        self.entries = entries
        self.line = line
    }

    public subscript(key: String) -> TOMLValue? {
        entries.first { $0.key == key }?.value
    }

    /// The line of `key`, if present.
    public func line(of key: String) -> Int? {
        entries.first { $0.key == key }?.line
    }

    public var keys: [String] { entries.map(\.key) }
}
