public import MoteCore

/// `[socket]`: the API socket moted binds when systemd does not pass one. Needs a restart.
public struct SocketSettings: SettingsSection {
    public static let section = "socket"

    /// Path of the API socket when moted binds it itself.
    public var path = "/run/mote/mote.sock"
    /// File mode of the socket moted binds (octal).
    public var mode: UInt32 = 0o660
    /// Group owning the socket file moted binds; empty keeps moted's group.
    public var group = ""

    public init() {}

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.string("path", nonEmpty: true) {
            guard v.utf8.count < 108 else { throw t.failure("path", "a Unix socket path must be shorter than 108 bytes") }
            path = v
        }
        if let v = try t.string("mode", nonEmpty: true) {
            guard let m = UInt32(v, radix: 8), m <= 0o777 else { throw t.failure("mode", "expected an octal file mode like \"0660\"") }
            mode = m
        }
        if let v = try t.string("group", nonEmpty: false) { group = v }
    }
}
