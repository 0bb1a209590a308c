public import MoteCore

/// An HTTP answer that is an error: a status, a machine code and a message for a person,
/// rendered as `{"error": message, "code": code}`. The server's own refusals (405, 413,
/// 415, 431, 503...) are made here; a `DomainError` thrown by a handler becomes one through
/// `init(_:)`, the one place where a kind of failure becomes a status.
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

    /// A machine code (shared with domain failures).
    public typealias Code = ErrorCode
}

extension ErrorCode {
    /// The server's own refusals.
    public static let badRequest: ErrorCode = "bad_request"
    public static let invalidJSON: ErrorCode = "invalid_json"
    public static let unsupportedMediaType: ErrorCode = "unsupported_media_type"
    public static let forbidden: ErrorCode = "forbidden"
    public static let methodNotAllowed: ErrorCode = "method_not_allowed"
    public static let bodyTooLarge: ErrorCode = "body_too_large"
    public static let headersTooLarge: ErrorCode = "headers_too_large"
    public static let notReady: ErrorCode = "not_ready"
    public static let requestTimeout: ErrorCode = "request_timeout"
    public static let tooManyConnections: ErrorCode = "too_many_connections"
    public static let tooManyConnectionsPerUID: ErrorCode = "too_many_connections_per_uid"
    public static let slowRequest: ErrorCode = "slow_request"
}

extension APIError {
    /// The answer to a domain failure: one status per kind.
    public init(_ error: DomainError) {
        let status: Int
        switch error.kind {
        case .malformed: status = 400
        case .invalid: status = 422
        case .notFound: status = 404
        case .conflict: status = 409
        case .tooLarge: status = 413
        case .busy: status = 429
        case .unavailable: status = 503
        case .insufficientStorage: status = 507
        case .internalFault: status = 500
        }
        self.init(status: status, code: error.code, message: error.message)
    }

    /// 400: the request cannot be read.
    public static func badRequest(_ message: String, code: Code = .badRequest) -> APIError {
        APIError(status: 400, code: code, message: message)
    }
    /// 404: no such route or named object.
    public static func notFound(_ message: String) -> APIError {
        APIError(status: 404, code: .notFound, message: message)
    }
    /// 500: a fault of ours; the message should still help.
    public static func internalError(_ message: String) -> APIError {
        APIError(status: 500, code: .internalError, message: message)
    }
}
