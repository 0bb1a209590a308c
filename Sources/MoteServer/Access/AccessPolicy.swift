import MoteCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Maps a peer's uid and groups to a `Role`, from the `[access]` config. Root and the user
/// moted runs as are admin (whoever runs the daemon administers it: `make run` as a normal
/// user, or a tool run as the service's user); a peer that matches no rule gets
/// `default_role`. Group names are resolved once, when the config is loaded or reloaded.
public struct AccessPolicy: Sendable {
    public let defaultRole: Role
    /// The uid moted runs as.
    public let ownerUID: UInt32
    private let uidRoles: [UInt32: Role]
    private let gidRoles: [UInt32: Role]
    /// Config problems that do not stop the daemon (a group name that does not exist).
    public let warnings: [String]

    /// `ownerUID` is the uid moted runs as (nil: this process's).
    public init(_ access: AccessSettings, ownerUID: UInt32? = nil) {
        self.ownerUID = ownerUID ?? UInt32(getuid())
        var uidRoles: [UInt32: Role] = [:]
        var gidRoles: [UInt32: Role] = [:]
        var warnings: [String] = []
        for (role, grant) in [(Role.read, access.read), (.write, access.write), (.admin, access.admin)] {
            for uid in grant.uids { uidRoles[uid] = max(uidRoles[uid] ?? .none, role) }
            for name in grant.groups {
                guard let gid = AccessPolicy.groupID(name) else {
                    warnings.append("access.\(role).groups: group '\(name)' does not exist; ignored")
                    continue
                }
                gidRoles[gid] = max(gidRoles[gid] ?? .none, role)
            }
        }
        self.defaultRole = access.defaultRole
        self.uidRoles = uidRoles
        self.gidRoles = gidRoles
        self.warnings = warnings
    }

    /// The role of `peer`: the highest granted by its uid, its primary group or any group
    /// the group database lists it in.
    public func role(of peer: PeerIdentity) -> Role {
        if peer.uid == 0 || peer.uid == ownerUID { return .admin }
        var role = defaultRole
        if let r = uidRoles[peer.uid] { role = max(role, r) }
        if gidRoles.isEmpty { return role }
        if let r = gidRoles[peer.gid] { role = max(role, r) }
        if role == .admin { return role }
        for gid in AccessPolicy.supplementaryGroups(uid: peer.uid, primary: peer.gid) {
            if let r = gidRoles[gid] { role = max(role, r) }
        }
        return role
    }

    static func groupID(_ name: String) -> UInt32? {
        if let numeric = UInt32(name) { return numeric }
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    /// Groups the group database lists for the user `uid` (empty for unknown users).
    static func supplementaryGroups(uid: UInt32, primary: UInt32) -> [UInt32] {
        var pw = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pw, &buffer, buffer.count, &result) == 0, result != nil, let name = pw.pw_name else {
            return []
        }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, primary, &groups, &count) >= 0 else { return [] }
        }
        return Array(groups.prefix(Int(count)))
    }
}
