public import MoteCore

/// MLflow's rules for names, keys and values, so that the central sync can mirror them
/// unchanged. A broken rule is a 400 `invalid_parameter` that says which rule.
public enum RegistryNames {
    /// Longest param, metric and tag key (MLflow `MAX_ENTITY_KEY_LENGTH`).
    public static let maxKeyLength = 250
    /// Longest param value (MLflow `MAX_PARAM_VAL_LENGTH`).
    public static let maxParamValueLength = 6000
    /// Longest run or experiment tag value (MLflow `MAX_TAG_VAL_LENGTH`).
    public static let maxTagValueLength = 8000
    /// Longest registered model or version tag value (MLflow `MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH`).
    public static let maxModelTagValueLength = 5000
    /// Longest experiment, run or model name, and alias.
    public static let maxNameLength = 256
    /// Params and tags per batch, metrics per batch (MLflow's batch limits).
    public static let maxParamsTagsPerBatch = 100
    public static let maxMetricsPerBatch = 1000

    /// A param, metric or tag key: `^[/\w.\- :]*$`, non-empty, at most 250 characters, and not
    /// a path that normalises to something else or leaves its directory (`a/../b`, `./a`,
    /// `a/`, `..`, `../p`, `/p`): MLflow's `path_not_unique`.
    public static func checkKey(_ key: String, _ what: String) throws(DomainError) {
        guard !key.isEmpty else { throw invalid("\(what) key must not be empty") }
        guard key.utf8.count <= maxKeyLength else { throw invalid("\(what) key '\(key.prefix(40))...' is longer than \(maxKeyLength) characters") }
        for scalar in key.unicodeScalars where !isWord(scalar) && !"/.- :".unicodeScalars.contains(scalar) {
            throw invalid("\(what) key '\(key)' has '\(scalar)'; keys may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)")
        }
        try checkNotPathLike(key, "\(what) key")
    }

    /// Refuses a name that, read as a file path, would name something else or climb out of
    /// its directory (MLflow's `path_not_unique`: normalised differently, `.`, `..`-prefixed,
    /// absolute).
    static func checkNotPathLike(_ name: String, _ what: String) throws(DomainError) {
        let norm = normalisedPath(name)
        if norm != name {
            throw invalid("\(what) '\(name)' would be read as the path '\(norm)'; names may be treated as files and must not resolve to other names")
        }
        if norm == "." || norm.hasPrefix("..") || norm.hasPrefix("/") {
            throw invalid("\(what) '\(name)' would be read as a path outside its directory; names may be treated as files")
        }
    }

    /// A value no longer than `limit` UTF-8 bytes.
    public static func checkValue(_ value: String, limit: Int, _ what: String) throws(DomainError) {
        guard value.utf8.count <= limit else { throw invalid("\(what) is \(value.utf8.count) bytes; the limit is \(limit)") }
    }

    /// An experiment, run or format name: non-empty, at most 256 bytes, no control
    /// characters. Experiment names (`asPath`) may also not be path-like (`..`, `../../etc`,
    /// `/x`, `a/../b`): MLflow itself takes them, but a file-backed tracking server or an
    /// artifact location may treat them as paths.
    public static func checkName(_ name: String, _ what: String, asPath: Bool = false) throws(DomainError) {
        guard !name.isEmpty, !name.allSatisfy({ $0 == " " }) else { throw invalid("\(what) name must not be empty") }
        guard name.utf8.count <= maxNameLength else { throw invalid("\(what) name is longer than \(maxNameLength) bytes") }
        for scalar in name.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
            throw invalid("\(what) name '\(name)' has a character it may not have ('\(scalar.escaped(asASCII: true))')")
        }
        if asPath { try checkNotPathLike(name, "\(what) name") }
    }

    /// A registered model name: as `checkName`, plus MLflow's model rules (no `/` or `:`, not
    /// path-like: `.`, `..`), and no percent escape (`%2e%2e`): a name that reads as another
    /// once a URL is decoded could not be addressed in `/v1/models/{name}` nor mirrored as itself.
    public static func checkModelName(_ name: String) throws(DomainError) {
        try checkName(name, "model")
        for scalar in name.unicodeScalars where scalar == "/" || scalar == ":" {
            throw invalid("model name '\(name)' has '\(scalar)'; model names cannot contain '/' or ':'")
        }
        let bytes = Array(name.utf8)
        for k in bytes.indices where bytes[k] == UInt8(ascii: "%") && k + 2 < bytes.count && isHex(bytes[k + 1]) && isHex(bytes[k + 2]) {
            throw invalid("model name '\(name)' has a percent escape ('%\(Character(Unicode.Scalar(bytes[k + 1])))\(Character(Unicode.Scalar(bytes[k + 2])))'), which a URL would decode to another name")
        }
        try checkNotPathLike(name, "model name")
    }

    static func isHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// An alias: `^[\w\-]*$`, non-empty, not `latest` and not `v<digits>` (both reserved:
    /// MLflow resolves them to versions).
    public static func checkAlias(_ alias: String) throws(DomainError) {
        guard !alias.isEmpty else { throw invalid("alias must not be empty") }
        guard alias.utf8.count <= maxNameLength else { throw invalid("alias is longer than \(maxNameLength) bytes") }
        for scalar in alias.unicodeScalars where !isWord(scalar) && scalar != "-" {
            throw invalid("alias '\(alias)' has '\(scalar)'; aliases may only contain alphanumerics, underscores (_) and dashes (-)")
        }
        let lower = alias.lowercased()
        if lower == "latest" { throw invalid("alias 'latest' is reserved (it always means the newest version)") }
        if lower.hasPrefix("v"), lower.count > 1, lower.dropFirst().allSatisfy(\.isASCII), lower.dropFirst().allSatisfy(\.isNumber) {
            throw invalid("alias '\(alias)' is reserved (v<number> names a version)")
        }
    }

    /// `\w` as Python's `re` reads it on text: letters, digits (any script) and underscore.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }

    /// `posixpath.normpath`, enough to tell whether a key changes when read as a path.
    static func normalisedPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return (path.hasPrefix("//") && !path.hasPrefix("///") ? "//" : "/") + joined }
        return joined.isEmpty ? "." : joined
    }

    static func invalid(_ message: String) -> DomainError {
        DomainError.invalidParameter(message)
    }
}
