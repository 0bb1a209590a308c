@testable import MoteDaemon
import MoteCore
import MoteMonitoring
import MoteServer
import MoteStorage
import MoteSync
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
        new.sync.url = "http://central:5000"
        new.monitoring.enabled = false
        let change = ConfigChange(old: old, new: new)
        #expect(change.appliedLive == ["daemon", "limits", "monitoring", "sync"])
        #expect(change.needsRestart == ["socket", "storage"])
        // The applied config is the new one with the restart-only keys kept.
        var expected = new
        expected.socket = old.socket
        expected.storage = old.storage
        #expect(change.applied == expected)
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
