/// Reading request bodies: one rule for keys a route does not know, and typed members whose
/// mistakes all read alike (422 `invalid_shape`, naming the key).
extension JSONObject {
    /// Refuses the first key not in `known` with 422 `unknown_key`, naming the known keys.
    /// `path` prefixes the message for nested objects (`labels[3]`).
    public func refuseUnknownKeys(_ known: [String], at path: String = "") throws(DomainError) {
        for member in members where !known.contains(member.key) {
            let prefix = path.isEmpty ? "" : "\(path): "
            throw DomainError(.invalid, .unknownKey, "\(prefix)unknown key '\(member.key)' (known: \(known.joined(separator: ", ")))")
        }
    }
}

/// Typed access to the members of one JSON object of a request body, shaped like
/// `TableReader`: each accessor names its key once and remembers it, and `finish()` refuses
/// every key no accessor asked for (422 `unknown_key`). A wrong type is 422 `invalid_shape`
/// naming the key; a null member counts as absent.
public struct JSONFields {
    public let object: JSONObject
    /// Where this object sits in the body, for messages (`""` for the body itself).
    public let path: String
    private let asked = AskedMembers()

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// The fields of `value`, which must be a JSON object.
    public init(_ value: JSONValue, path: String = "") throws(DomainError) {
        guard case .object(let object) = value else {
            throw .invalidShape(path.isEmpty ? "the body must be a JSON object" : "\(path) must be a JSON object")
        }
        self.init(object, path: path)
    }

    private func name(_ key: String) -> String { path.isEmpty ? "'\(key)'" : "\(path).'\(key)'" }

    /// The raw member (nil when absent or null); the key counts as known.
    public func value(_ key: String) -> JSONValue? {
        asked.keys.append(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// Keys that are accepted and ignored (another client's options that do not apply here).
    public func ignore(_ keys: String...) {
        asked.keys.append(contentsOf: keys)
    }

    /// A text member, or nil when absent.
    public func text(_ key: String) throws(DomainError) -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue else { throw .invalidShape("\(name(key)) must be text") }
        return text
    }

    /// A text member that must be there.
    public func requiredText(_ key: String) throws(DomainError) -> String {
        guard let text = try text(key) else { throw .invalidShape("\(name(key)) is required") }
        return text
    }

    /// `true` or `false`, or nil when absent.
    public func flag(_ key: String) throws(DomainError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let b = value.boolValue else { throw .invalidShape("\(name(key)) must be true or false") }
        return b
    }

    /// An integer within `range`, or nil when absent.
    public func integer(_ key: String, _ range: ClosedRange<Int>) throws(DomainError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .integer(let i) = value, let v = Int(exactly: i), range.contains(v) else {
            throw .invalidShape("\(name(key)) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    /// An integer within `range` given as a number or as its decimal digits in text (MLflow's
    /// REST API sends version numbers as strings: `{"version": "3"}`), or nil when absent.
    public func integerOrDigits(_ key: String, _ range: ClosedRange<Int>) throws(DomainError) -> Int? {
        guard let value = value(key) else { return nil }
        let number: Int?
        switch value {
        case .integer(let i): number = Int(exactly: i)
        case .string(let s): number = s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && s.utf8.count <= 18 ? Int(s) : nil
        default: number = nil
        }
        guard let v = number, range.contains(v) else {
            throw .invalidShape("\(name(key)) must be an integer from \(range.lowerBound) to \(range.upperBound) (a number, or its digits as text)")
        }
        return v
    }

    /// An array of text (empty when absent).
    public func textList(_ key: String) throws(DomainError) -> [String] {
        guard let value = value(key) else { return [] }
        guard case .array(let items) = value else { throw .invalidShape("\(name(key)) must be an array of text") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let text = item.stringValue else { throw .invalidShape("\(name(key)) must be an array of text") }
            out.append(text)
        }
        return out
    }

    /// A nested object, or nil when absent.
    public func object(_ key: String) throws(DomainError) -> JSONObject? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw .invalidShape("\(name(key)) must be an object") }
        return object
    }

    /// Refuses every key no accessor asked for.
    public func finish() throws(DomainError) {
        try object.refuseUnknownKeys(asked.keys, at: path)
    }
}

/// The keys a `JSONFields` was asked for (a reference, so copies of the reader share it).
private final class AskedMembers {
    var keys: [String] = []
}

extension ErrorCode {
    /// A body member the route does not know (a typo must not pass silently).
    public static let unknownKey: ErrorCode = "unknown_key"
}
