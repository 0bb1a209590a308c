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
    /// A connection with no traffic for this long is closed.
    public var idleTimeoutNanos: Int64 = 60_000_000_000
    /// A request not answered within this long gets 503 `request_timeout`.
    public var requestTimeoutNanos: Int64 = 30_000_000_000

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.int("max_body_bytes", 1024...(1 << 34)) { maxBodyBytes = v }
        if let v = try t.int("max_upload_bytes", 1024...(1 << 34)) { maxUploadBytes = v }
        if let v = try t.int("max_header_bytes", 1024...(80 * 1024)) { maxHeaderBytes = v }
        if let v = try t.int("max_connections", 1...65536) { maxConnections = v }
        if let v = try t.duration("idle_timeout", positive: true) { idleTimeoutNanos = v }
        if let v = try t.duration("request_timeout", positive: true) { requestTimeoutNanos = v }
    }
}
