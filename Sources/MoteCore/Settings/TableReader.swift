/// A settings or definitions error naming the key and its line, so that
/// `moted --check-config` and `motectl apply` can point at the mistake.
public struct ConfigFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted key, e.g. `limits.max_body_bytes` (empty for syntax errors).
    public var key: String
    /// 1-based line in the file.
    public var line: Int
    public var message: String
    public var description: String {
        key.isEmpty ? "line \(line): \(message)" : "line \(line): \(key): \(message)"
    }

    public init(key: String, line: Int, message: String) {
        self.key = key
        self.line = line
        self.message = message
    }
}

/// A settings section a module owns: its defaults are the type's `init()`, and `read`
/// applies what one TOML table says (unknown keys and wrong types refused with the key).
public protocol SettingsSection: Sendable, Equatable {
    /// The TOML table name, e.g. `features` for `[features]`.
    static var section: String { get }
    init()
    /// Applies the keys of the section's table to `self`.
    mutating func read(_ table: TableReader) throws(ConfigFailure)
}

extension SettingsSection {
    /// Applies the section's table of a whole document (`root`), when there is one; its
    /// unknown keys are refused.
    public mutating func read(in root: TableReader) throws(ConfigFailure) {
        guard let table = try root.table(Self.section) else { return }
        try read(table)
        try table.finish()
    }

    /// The section as a TOML document sets it (defaults when absent), read as the daemon's
    /// loader reads it.
    public static func parse(_ text: String) throws(ConfigFailure) -> Self {
        var settings = Self()
        try settings.read(in: TableReader(table: try TOMLTable.parse(settings: text), path: ""))
        return settings
    }
}

extension TOMLTable {
    /// Parses TOML text into a table, turning a syntax error into a `ConfigFailure`.
    public static func parse(settings text: String) throws(ConfigFailure) -> TOMLTable {
        do {
            return try TOMLParser.parse(text)
        } catch {
            throw ConfigFailure(key: "", line: error.line, message: error.message)
        }
    }
}

/// Typed, line-aware access to one table of a TOML document: every module reads its own
/// settings section and the definitions file through it, so every mistake reads alike.
///
/// Each accessor remembers the key it was asked for, so a reader names its keys once:
/// `finish()` then refuses any key that no accessor asked for (typos must not pass silently).
public struct TableReader {
    public let table: TOMLTable
    /// Dotted path of this table, for messages (`""` for the root).
    public let path: String
    private let asked = AskedKeys()

    public init(table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    /// The raw value at `key` (nil when absent); the key counts as known.
    public func value(_ key: String) -> TOMLValue? {
        asked.keys.insert(key)
        return table[key]
    }

    /// Refuses every key no accessor asked for, naming the first one and the known keys.
    public func finish() throws(ConfigFailure) {
        try onlyKeys(asked.keys)
    }

    public func dotted(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A failure at `key` (or at the table itself when the key is absent).
    public func failure(_ key: String, _ message: String) -> ConfigFailure {
        ConfigFailure(key: dotted(key), line: table.line(of: key) ?? table.line, message: message)
    }

    /// Refuses keys not in `allowed`, naming the first unknown one (typos must not pass silently).
    private func onlyKeys(_ allowed: Set<String>) throws(ConfigFailure) {
        for entry in table.entries where !allowed.contains(entry.key) {
            throw ConfigFailure(
                key: dotted(entry.key), line: entry.line,
                message: "unknown key (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// A sub-table, or nil when absent.
    public func table(_ key: String) throws(ConfigFailure) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard case .table(let t) = value else { throw failure(key, "expected a table, found \(value.typeName)") }
        return TableReader(table: t, path: dotted(key))
    }

    /// An array of tables (`[[entity]]`), or nil when absent.
    public func tableArray(_ key: String) throws(ConfigFailure) -> [TableReader]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of tables") }
        var readers: [TableReader] = []
        for (k, item) in items.enumerated() {
            guard case .table(let t) = item else { throw failure(key, "expected an array of tables") }
            readers.append(TableReader(table: t, path: "\(dotted(key))[\(k)]"))
        }
        return readers
    }

    public func string(_ key: String, nonEmpty: Bool) throws(ConfigFailure) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let s) = value else { throw failure(key, "expected a string, found \(value.typeName)") }
        if nonEmpty, s.isEmpty { throw failure(key, "must not be empty") }
        return s
    }

    public func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigFailure) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let i) = value else { throw failure(key, "expected an integer, found \(value.typeName)") }
        guard let v = Int(exactly: i), range.contains(v) else {
            throw failure(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }

    /// A duration string such as `"90s"`; `positive` refuses `"0s"`.
    public func duration(_ key: String, positive: Bool = false) throws(ConfigFailure) -> Int64? {
        guard let text = try string(key, nonEmpty: true) else { return nil }
        guard let nanos = DurationText.parseNanos(text) else {
            throw failure(key, "expected a duration like \"500ms\", \"90s\", \"15m\", \"2h\" or \"30d\"")
        }
        if positive, nanos == 0 { throw failure(key, "must be longer than zero") }
        return nanos
    }

    public func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(ConfigFailure) -> E?
    where E.RawValue == String {
        guard let text = try string(key, nonEmpty: true) else { return nil }
        guard let value = E(rawValue: text) else {
            throw failure(key, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    public func intArray(_ key: String, _ range: ClosedRange<Int>) throws(ConfigFailure) -> [Int]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of integers") }
        var out: [Int] = []
        for item in items {
            guard case .integer(let i) = item, let v = Int(exactly: i), range.contains(v) else {
                throw failure(key, "expected integers between \(range.lowerBound) and \(range.upperBound)")
            }
            out.append(v)
        }
        return out
    }

    public func stringArray(_ key: String) throws(ConfigFailure) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw failure(key, "expected an array of strings") }
            out.append(s)
        }
        return out
    }

    /// `true` or `false`, or nil when absent.
    public func bool(_ key: String) throws(ConfigFailure) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let b) = value else { throw failure(key, "expected true or false, found \(value.typeName)") }
        return b
    }

    /// A number (integer or float) within `range`, or nil when absent.
    public func number(_ key: String, _ range: ClosedRange<Double>, _ expected: String) throws(ConfigFailure) -> Double? {
        let number: Double
        switch value(key) {
        case nil: return nil
        case .float(let d)?: number = d
        case .integer(let i)?: number = Double(i)
        default: throw failure(key, expected)
        }
        guard number.isFinite, range.contains(number) else { throw failure(key, expected) }
        return number
    }

    /// A share above 0 and at most 1, or nil when absent.
    public func share(_ key: String) throws(ConfigFailure) -> Double? {
        guard let d = try number(key, 0...1, "expected a share above 0 and at most 1, such as 0.5") else { return nil }
        guard d > 0 else { throw failure(key, "expected a share above 0 and at most 1, such as 0.5") }
        return d
    }
}

/// The keys a `TableReader` was asked for (a reference, so copies of a reader share it).
private final class AskedKeys {
    var keys: Set<String> = []
}
