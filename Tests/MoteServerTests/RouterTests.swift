import MoteCore
import MoteServer
import NIOHTTP1
import Testing

@Suite("router")
struct RouterTests {
    let router = Router([
        Route(.GET, "/v2/health/live", role: .none, .inline { _ in .text("live") }),
        Route(.GET, "/v2/models/{model}", role: .read, .inline { _ in .text("model") }),
        Route(.GET, "/v2/models/{model}/versions/{version}", role: .read, .inline { _ in .text("version") }),
        Route(.POST, "/v2/models/{model}/infer", role: .read, .inline { _ in .text("infer") }),
    ])

    @Test("static and parameterised paths match, with decoded parameters")
    func matches() {
        guard case .found(let live, _) = router.match(.GET, "/v2/health/live") else {
            Issue.record("live")
            return
        }
        #expect(live.pattern == "/v2/health/live")
        guard case .found(let version, let params) = router.match(.GET, "/v2/models/fail%20ure/versions/champion") else {
            Issue.record("version")
            return
        }
        #expect(version.pattern == "/v2/models/{model}/versions/{version}")
        #expect(params == ["model": "fail ure", "version": "champion"])
    }

    @Test("a known path with another method is 'method not allowed'; an unknown path is 'not found'")
    func misses() {
        guard case .methodNotAllowed(let allowed) = router.match(.GET, "/v2/models/m/infer") else {
            Issue.record("expected method not allowed")
            return
        }
        #expect(allowed == [.POST])
        guard case .notFound = router.match(.GET, "/v2/models") else {
            Issue.record("expected not found")
            return
        }
    }
}

@Suite("access policy")
struct AccessPolicyTests {
    @Test("root is admin; uids get their highest role; others get the default")
    func roles() {
        var access = AccessSettings()
        access.read = .init(uids: [1000, 1001])
        access.write = .init(uids: [1001])
        access.defaultRole = .none
        let policy = AccessPolicy(access, ownerUID: 999_999)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 0, gid: 0)) == .admin)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 1000, gid: 1000)) == .read)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 1001, gid: 1001)) == .write)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 4242, gid: 4242)) == .none)
        #expect(policy.role(of: .unknown) == .none)
    }

    @Test("the user moted runs as is admin; the default grants are group mote = write, group mote-admin = admin")
    func ownerAndDefaults() {
        let policy = AccessPolicy(AccessSettings(), ownerUID: 4321)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 4321, gid: 4321)) == .admin)
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 4322, gid: 4322)) == .none)
        #expect(AccessSettings().write.groups == ["mote"] && AccessSettings().admin.groups == ["mote-admin"] && AccessSettings().read.groups == [])
    }

    @Test("groups are resolved by name; a missing group is a warning, not a grant")
    func groups() {
        var access = AccessSettings()
        access.admin = .init(groups: ["root", "no-such-group-mote"])
        access.write = .init()
        let policy = AccessPolicy(access, ownerUID: 999_999)
        #expect(policy.warnings.count == 1)
        #expect(policy.warnings[0].contains("no-such-group-mote"))
        #expect(policy.role(of: PeerIdentity(pid: 1, uid: 4242, gid: 0)) == .admin)
    }
}
