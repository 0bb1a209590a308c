public import MoteCore

/// `[limits]`: what one request or client may use. Live on reload.
public struct LimitSettings: SettingsSection {
    public static let section = "limits"

    /// Largest request body accepted; larger answers 413.
    public var maxBodyBytes = 8 * 1024 * 1024
    /// Largest file upload (a model file to import) on the routes that take files; larger answers 413.
    public var maxUploadBytes = 256 * 1024 * 1024
    /// Largest request head (request line and headers) accepted; larger answers 431.
    public var maxHeaderBytes = 16 * 1024
    /// Open connections at once; more are answered 503 and closed.
    public var maxConnections = 256
    /// Open connections of one caller (uid) at once, so that one caller cannot take every
    /// slot; more are answered 503 and closed.
    public var maxConnectionsPerUID = 64
    /// A connection with no traffic for this long is closed.
    public var idleTimeoutNanos: Int64 = 60_000_000_000
    /// A request not answered within this long gets 503 `request_timeout`.
    public var requestTimeoutNanos: Int64 = 30_000_000_000
    /// A request head must arrive whole within this long of its first byte; else 408 `slow_request`.
    public var headTimeoutNanos: Int64 = 10_000_000_000
    /// A request body is allowed this long, plus one second per `minBodyRate` bytes received;
    /// a slower body is answered 408 `slow_request` and the connection closed.
    public var bodyTimeoutNanos: Int64 = 10_000_000_000
    /// Bytes per second a body must keep up to earn more time (see `bodyTimeoutNanos`).
    public var minBodyRate = 65536
    /// When moted stops, a request whose body is still arriving may finish within this long;
    /// then it is answered 503 `shutting_down` (a stalled upload never holds a stop).
    public var stopBodyGraceNanos: Int64 = 1_000_000_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("max_body_bytes", 1024...(1 << 34)) { maxBodyBytes = v }
        if let v = try t.int("max_upload_bytes", 1024...(1 << 34)) { maxUploadBytes = v }
        if let v = try t.int("max_header_bytes", 1024...(80 * 1024)) { maxHeaderBytes = v }
        if let v = try t.int("max_connections", 1...65536) { maxConnections = v }
        if let v = try t.int("max_connections_per_uid", 1...65536) { maxConnectionsPerUID = v }
        if let v = try t.duration("idle_timeout", positive: true) { idleTimeoutNanos = v }
        if let v = try t.duration("request_timeout", positive: true) { requestTimeoutNanos = v }
        if let v = try t.duration("head_timeout", positive: true) { headTimeoutNanos = v }
        if let v = try t.duration("body_timeout", positive: true) { bodyTimeoutNanos = v }
        if let v = try t.int("min_body_rate", 1...(1 << 34)) { minBodyRate = v }
        if let v = try t.duration("stop_body_grace", positive: true) { stopBodyGraceNanos = v }
    }
}
