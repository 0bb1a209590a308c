public import MoteCore

/// `[access]`: who may do what, by the peer's uid and groups (`SO_PEERCRED`). Live on reload.
public struct AccessSettings: SettingsSection {
    public static let section = "access"

    /// Role of a peer that matches no rule. Root and the user moted runs as are always admin.
    public var defaultRole = Role.none
    /// Operators: group `mote-admin` (with group `mote`, which gives the socket).
    public var admin = Grant(groups: ["mote-admin"])
    /// Applications and users that push, predict and send feedback: group `mote`.
    public var write = Grant(groups: ["mote"])
    public var read = Grant()

    public init() {}

    /// The uids and group names a role is granted to.
    public struct Grant: Sendable, Equatable {
        public var uids: [UInt32] = []
        public var groups: [String] = []
        public init(uids: [UInt32] = [], groups: [String] = []) {
            self.uids = uids
            self.groups = groups
        }
    }

    public mutating func read(_ t: TableReader) throws(ConfigFailure) {
        if let v = try t.string("default_role", nonEmpty: true) {
            guard let role = Role(name: v) else { throw t.failure("default_role", "expected one of none, read, write, admin") }
            defaultRole = role
        }
        for (name, keyPath) in [("admin", \AccessSettings.admin), ("write", \.write), ("read", \.read)] {
            guard let g = try t.table(name) else { continue }
            var grant = Grant()
            if let uids = try g.intArray("uids", 0...Int(UInt32.max)) { grant.uids = uids.map { UInt32($0) } }
            if let groups = try g.stringArray("groups") { grant.groups = groups }
            try g.finish()
            self[keyPath: keyPath] = grant
        }
    }
}
