/// Who is on the other end of a connection, from `SO_PEERCRED` at connect time.
public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Used when the credentials cannot be read: matches no rule, so gets the default role.
    public static let unknown = PeerIdentity(pid: 0, uid: UInt32.max, gid: UInt32.max)

    public var description: String { "uid=\(uid) gid=\(gid) pid=\(pid)" }
}
