@testable import MoteDaemon
import MoteCore
import Testing

@Suite("config reload")
struct ConfigChangeTests {
    @Test("live keys and restart keys are told apart")
    func classifies() {
        let old = MoteConfig()
        var new = old
        new.daemon.logLevel = .debug
        new.limits.maxBodyBytes = 1024
        new.socket.path = "/elsewhere.sock"
        new.storage.synchronous = .full
        let change = ConfigChange(old: old, new: new)
        #expect(change.appliedLive == ["daemon.log_level", "limits"])
        #expect(change.needsRestart == ["socket", "storage"])
    }

    @Test("flags override the file")
    func flagsOverride() throws {
        var options = DaemonOptions()
        options.configPath = "/nonexistent/moted.toml"
        options.stateDir = "/tmp/x"
        options.socketPath = "/tmp/x.sock"
        options.logLevel = .warning
        let config = try options.loadConfig()
        #expect(config.daemon.stateDir == "/tmp/x")
        #expect(config.socket.path == "/tmp/x.sock")
        #expect(config.daemon.logLevel == .warning)
        options.configExplicit = true
        #expect(throws: MoteError.self) { try options.loadConfig() }
    }
}
