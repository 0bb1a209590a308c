/// An error of the daemon's own machinery (configuration, storage, start-up) with a message
/// for the operator and a code for programs and tests.
public struct MoteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and, where possible, what to do about it.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Extensible failure kind.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }

        public static let config: Code = "config"
        public static let storage: Code = "storage"
        public static let schemaTooNew: Code = "schema_too_new"
        public static let socket: Code = "socket"
        public static let alreadyRunning: Code = "already_running"
        public static let io: Code = "io"
        /// A write failed because the filesystem is full (SQLite's SQLITE_FULL, or ENOSPC).
        public static let diskFull: Code = "disk_full"
    }
}
