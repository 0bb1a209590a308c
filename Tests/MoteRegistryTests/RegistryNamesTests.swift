import MoteCore
import Testing

@testable import MoteRegistry

/// The names the central MLflow refuses are refused at the door (400 `invalid_parameter`),
/// and those it takes are taken. Cases checked against an MLflow 3.17 tracking server.
@Suite("MLflow name rules")
struct RegistryNamesTests {
    @Test("param, metric and tag keys: MLflow's characters (colon included) and no path that resolves elsewhere",
        arguments: [
            ("depth", true), ("a:b", true), ("train/loss", true), ("lr 0.1", true), ("größe", true),
            ("../../p", false), ("../a", false), ("..", false), (".", false), ("/abs", false), ("a/../b", false),
            ("./a", false), ("a/", false), ("a//b", false), ("bad key!", false), ("", false), ("a\u{0}b", false),
        ])
    func keys(key: String, accepted: Bool) {
        #expect(((try? RegistryNames.checkKey(key, "param")) != nil) == accepted, "\(key)")
    }

    @Test("model names: no '/' or ':', not '.' or '..', no percent escape", arguments: [
        ("press", true), ("a b", true), ("~x", true), ("press-7.v2", true),
        ("..", false), (".", false), ("%2e%2e", false), ("a%2Fb", false), ("x/y", false), ("a:b", false), ("../x", false),
        ("", false), ("   ", false), ("a\nb", false),
    ])
    func modelNames(name: String, accepted: Bool) {
        #expect(((try? RegistryNames.checkModelName(name)) != nil) == accepted, "\(name)")
    }

    @Test("experiment names are not path-like; run names may be anything printable", arguments: [
        ("press-7", true), ("site a/press 7", true), ("../../etc", false), ("..", false), ("/etc", false), ("a/../b", false),
    ])
    func experimentNames(name: String, accepted: Bool) {
        #expect(((try? RegistryNames.checkName(name, "experiment", asPath: true)) != nil) == accepted, "\(name)")
        #expect((try? RegistryNames.checkName(name, "run")) != nil)
    }

    @Test("a refusal is 400 invalid_parameter saying which rule")
    func refusal() {
        do {
            try RegistryNames.checkKey("../../p", "param")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.code == .invalidParameter)
            #expect(error.message.contains("path"))
        }
    }
}
