/// Why a model file cannot be imported. `unsupported` names what the file uses that mote does
/// not implement (an operator, opset, objective or attribute); `invalid` says how the file is
/// damaged, truncated or inconsistent.
public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The file is not one of the formats mote reads.
        case unknownFormat
        /// The file is damaged, truncated or inconsistent.
        case invalid
        /// The file is sound but uses something mote does not implement.
        case unsupported
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalid(_ message: String) -> ImportError { ImportError(.invalid, message) }
    static func unsupported(_ message: String) -> ImportError { ImportError(.unsupported, message) }

    public var description: String { message }
}
