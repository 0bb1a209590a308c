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

    /// A text member, or nil when absent or null.
    public func text(_ key: String) throws(DomainError) -> String? {
        guard let value = self[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw .invalidShape("'\(key)' must be text") }
        return text
    }

    /// A text member that must be there.
    public func requiredText(_ key: String) throws(DomainError) -> String {
        guard let value = try text(key) else { throw .invalidShape("'\(key)' is required") }
        return value
    }

    /// `true` or `false`, or nil when absent or null.
    public func flag(_ key: String) throws(DomainError) -> Bool? {
        guard let value = self[key], value != .null else { return nil }
        guard let b = value.boolValue else { throw .invalidShape("'\(key)' must be true or false") }
        return b
    }

    /// An array of text (empty when absent or null).
    public func textList(_ key: String) throws(DomainError) -> [String] {
        guard let value = self[key], value != .null else { return [] }
        guard case .array(let items) = value else { throw .invalidShape("'\(key)' must be an array of text") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let text = item.stringValue else { throw .invalidShape("'\(key)' must be an array of text") }
            out.append(text)
        }
        return out
    }
}

extension DomainError.Code {
    /// A body member the route does not know (a typo must not pass silently).
    public static let unknownKey: DomainError.Code = "unknown_key"
}
