public import MoteCore

/// `[sync]`: the outbox drained to a central MLflow tracking server. Live on reload: the
/// next drain uses the new server, credentials and limits.
public struct SyncSettings: SettingsSection {
    public static let section = "sync"

    public var enabled = false
    /// The MLflow server's base URL (`http://host:5000`, `https://...`).
    public var url = ""
    /// This box's name in the central view; empty: the machine id.
    public var deviceID = ""
    /// How often the outbox is drained (also on `POST /v1/sync`).
    public var intervalNanos: Int64 = 300_000_000_000
    /// Outbox rows taken per batch.
    public var batch = 100
    /// Per request; a request that takes longer is retried later.
    public var timeoutNanos: Int64 = 30_000_000_000
    public var connectTimeoutNanos: Int64 = 10_000_000_000
    /// First and longest wait after a failure (exponential, with jitter).
    public var backoffInitialNanos: Int64 = 5_000_000_000
    public var backoffMaxNanos: Int64 = 1_800_000_000_000
    /// A bearer token or `user:password` for basic auth, read from a file or a systemd
    /// credential (`$CREDENTIALS_DIRECTORY/NAME`); never logged.
    public var tokenFile = ""
    public var basicAuthFile = ""
    public var credential = ""
    /// TLS: a CA bundle to trust, a client certificate and key (PEM files).
    public var caFile = ""
    public var clientCertificate = ""
    public var clientKey = ""
    /// Upload model artifacts with their versions (needs a server that serves artifacts).
    public var uploadArtifacts = false
    /// Registered model name on the server; `<device_id>` and `<model>` are replaced.
    public var modelNameTemplate = "<device_id>.<model>"
    /// A journal warning when the outbox holds more rows than this.
    public var warnDepth = 10_000
    /// The outbox keeps at most this many rows (0: no bound); older ones are dropped, logged.
    /// Enforced while sync is off too, so a box that never syncs does not grow it forever.
    public var maxOutbox = 20_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.bool("enabled") { enabled = v }
        if let v = try t.string("url", nonEmpty: true) {
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else { throw t.failure("url", "expected an http:// or https:// URL") }
            url = v.hasSuffix("/") ? String(v.dropLast()) : v
        }
        if let v = try t.string("device_id", nonEmpty: true) {
            guard v.utf8.count <= 128, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw t.failure("device_id", "letters, digits, '-', '_' and '.', at most 128")
            }
            deviceID = v
        }
        if let v = try t.duration("interval", positive: true) { intervalNanos = v }
        if let v = try t.int("batch", 1...10_000) { batch = v }
        if let v = try t.duration("timeout", positive: true) { timeoutNanos = v }
        if let v = try t.duration("connect_timeout", positive: true) { connectTimeoutNanos = v }
        if let v = try t.duration("backoff_initial", positive: true) { backoffInitialNanos = v }
        if let v = try t.duration("backoff_max", positive: true) { backoffMaxNanos = v }
        if let v = try t.string("token_file", nonEmpty: true) { tokenFile = v }
        if let v = try t.string("basic_auth_file", nonEmpty: true) { basicAuthFile = v }
        if let v = try t.string("credential", nonEmpty: true) { credential = v }
        if let v = try t.string("ca_file", nonEmpty: true) { caFile = v }
        if let v = try t.string("client_certificate", nonEmpty: true) { clientCertificate = v }
        if let v = try t.string("client_key", nonEmpty: true) { clientKey = v }
        if let v = try t.bool("upload_artifacts") { uploadArtifacts = v }
        if let v = try t.string("model_name_template", nonEmpty: true) {
            guard v.contains("<model>") else { throw t.failure("model_name_template", "must contain <model>") }
            modelNameTemplate = v
        }
        if let v = try t.int("warn_depth", 1...1_000_000_000) { warnDepth = v }
        if let v = try t.int("max_outbox", 0...1_000_000_000) { maxOutbox = v }
        if [tokenFile, basicAuthFile, credential].filter({ !$0.isEmpty }).count > 1 {
            throw t.failure("token_file", "give one of token_file, basic_auth_file, credential")
        }
        if clientCertificate.isEmpty != clientKey.isEmpty {
            throw t.failure("client_certificate", "client_certificate and client_key go together")
        }
        if enabled, url.isEmpty { throw t.failure("url", "sync is enabled but has no url") }
    }
}
