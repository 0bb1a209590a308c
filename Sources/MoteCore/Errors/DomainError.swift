/// A failure to report to the caller, in the domain's words: what kind of failure it is, a
/// stable code for programs and a message for a person. Domain modules throw it and never
/// name an HTTP status; the server turns each `Kind` into one status, in one place.
///
/// Codes are extensible: a module declares its own in an extension of `Code` next to the
/// code that throws them (`extension ErrorCode { static let tooManyRows ... }`).
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is, which decides the answer's status.
    public enum Kind: Sendable, Equatable {
        /// A parameter or name breaks a rule (400).
        case malformed
        /// The body does not have the shape the route reads, or a value does not fit (422).
        case invalid
        /// No such named object (404).
        case notFound
        /// The change conflicts with what is stored (409).
        case conflict
        /// More than a configured limit (413).
        case tooLarge
        /// A queue is full; try again later (429).
        case busy
        /// Cannot be done now: a model that does not load, a daemon that is stopping (503).
        case unavailable
        /// No room on the disk for new data (507).
        case insufficientStorage
        /// A fault of moted's own (500).
        case internalFault
    }

    public var kind: Kind
    public var code: Code
    public var message: String

    public init(_ kind: Kind, _ code: Code, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A stable machine-readable code, e.g. `too_many_rows`.
    public typealias Code = ErrorCode
}

extension DomainError {
    /// The body or a value has the wrong shape or type (`invalid_shape`).
    public static func invalidShape(_ message: String) -> DomainError { DomainError(.invalid, .invalidShape, message) }
    /// A parameter or name breaks a rule (`invalid_parameter`).
    public static func invalidParameter(_ message: String) -> DomainError { DomainError(.malformed, .invalidParameter, message) }
    /// No such named object (`not_found`).
    public static func notFound(_ message: String) -> DomainError { DomainError(.notFound, .notFound, message) }
    /// The change conflicts with what is stored (`conflict`).
    public static func conflict(_ message: String) -> DomainError { DomainError(.conflict, .conflict, message) }
    /// More rows than a configured limit (`too_many_rows`).
    public static func tooManyRows(_ message: String) -> DomainError { DomainError(.tooLarge, .tooManyRows, message) }
    /// A fault of ours; the message should still help (`internal_error`).
    public static func internalError(_ message: String) -> DomainError { DomainError(.internalFault, .internalError, message) }
}

/// A machine code of an error answer (`{"error", "code"}`), shared by domain failures and the
/// server's own refusals. A struct rather than an enum, so that new codes never break callers;
/// each module declares its codes in an extension where it throws them.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let invalidShape: ErrorCode = "invalid_shape"
    public static let invalidParameter: ErrorCode = "invalid_parameter"
    public static let notFound: ErrorCode = "not_found"
    public static let conflict: ErrorCode = "conflict"
    public static let tooManyRows: ErrorCode = "too_many_rows"
    public static let shuttingDown: ErrorCode = "shutting_down"
    public static let internalError: ErrorCode = "internal_error"
    /// The filesystem of the state directory is full: a write failed for want of space (507).
    public static let diskFull: ErrorCode = "disk_full"
    /// Free space is below `storage.min_free_mib`: new data is refused before the disk fills (507).
    public static let diskSpaceLow: ErrorCode = "disk_space_low"
}
