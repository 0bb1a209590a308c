/// What a caller may do. Each role includes the ones below it.
public enum Role: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Health checks only.
    case none = 0
    /// Predict, read features and metadata.
    case read = 1
    /// Push features, send feedback.
    case write = 2
    /// Definitions, registry changes, training, sync.
    case admin = 3

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: return "none"
        case .read: return "read"
        case .write: return "write"
        case .admin: return "admin"
        }
    }

    /// Parses a role name as written in config.
    public init?(name: String) {
        guard let role = Role.allCases.first(where: { $0.description == name }) else { return nil }
        self = role
    }
}
