/// An error that knows its HTTP answer: a status, a machine code and a message for a person.
///
/// Thrown from anywhere in the daemon and rendered in one place as
/// `{"error": message, "code": code}` with `status`.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status code (400, 403, 404, 409, 413, 422, 431, 503, ...).
    public var status: Int
    /// Stable machine-readable code, e.g. `body_too_large`.
    public var code: Code
    /// What went wrong, written for a person.
    public var message: String

    public init(status: Int, code: Code, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code.rawValue): \(message)" }

    /// A machine code. A struct rather than an enum so that new codes never break callers.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        public static let badRequest: Code = "bad_request"
        public static let invalidJSON: Code = "invalid_json"
        public static let unsupportedMediaType: Code = "unsupported_media_type"
        public static let forbidden: Code = "forbidden"
        public static let notFound: Code = "not_found"
        public static let methodNotAllowed: Code = "method_not_allowed"
        public static let conflict: Code = "conflict"
        public static let bodyTooLarge: Code = "body_too_large"
        public static let headersTooLarge: Code = "headers_too_large"
        public static let invalidShape: Code = "invalid_shape"
        public static let invalidParameter: Code = "invalid_parameter"
        public static let unknownKey: Code = "unknown_key"
        public static let notReady: Code = "not_ready"
        public static let requestTimeout: Code = "request_timeout"
        public static let tooManyConnections: Code = "too_many_connections"
        public static let internalError: Code = "internal_error"
        public static let shuttingDown: Code = "shutting_down"
    }
}

extension APIError {
    /// 400: the request cannot be read.
    public static func badRequest(_ message: String, code: Code = .badRequest) -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    /// 404: no such route or named object.
    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, code: .notFound, message: message)
    }
    /// 422: valid JSON of the wrong shape or types.
    public static func invalidShape(_ message: String) -> APIError {
        APIError(status: 422, code: .invalidShape, message: message)
    }
    /// 500: a fault of ours; the message should still help.
    public static func internalError(_ message: String) -> APIError {
        APIError(status: 500, code: .internalError, message: message)
    }
}
