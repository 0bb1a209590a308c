/// Settings read where they are used, so that a reload takes effect at the next read.
///
/// Every module takes its section as a `Live<Section>`; the daemon builds them all from one
/// config source, and tests pass `.fixed(...)`.
public struct Live<Value: Sendable>: Sendable {
    private let read: @Sendable () -> Value

    /// Settings produced by `read` each time they are asked for.
    public init(_ read: @escaping @Sendable () -> Value) {
        self.read = read
    }

    /// Settings that never change.
    public static func fixed(_ value: Value) -> Live<Value> {
        Live { value }
    }

    /// The settings in force now.
    public var current: Value { read() }
}
