@testable import MoteDaemon
import Logging
import MoteCore
import MoteFeatures
import MoteInference
import MoteRegistry
import MoteSystemd
import MoteTraining
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

@Suite("config source")
struct ConfigSourceTests {
    @Test("a reload reaches every section read through Live, the access policy and the log level; restart-only keys keep their running values")
    func reloadReachesEverySection() {
        let logging = LoggingSetup(level: .info, forceStderr: true)
        let source = ConfigSource(MoteConfig(), logging: logging)
        let features = source.live { $0.features }
        let registry = source.live { $0.registry }
        let training = source.live { $0.training }
        let inference = source.live { $0.inference }
        let monitoring = source.live { $0.monitoring }
        let sync = source.live { $0.sync }
        var new = MoteConfig()
        new.daemon.logLevel = .debug
        new.limits.maxBodyBytes = 4096
        new.access.defaultRole = .read
        new.features.maxPushRows = 7
        new.registry.auditMaxRows = 5000
        new.training.maxQueued = 3
        new.inference.maxBatchRows = 9
        new.monitoring.enabled = false
        new.sync.url = "http://central:5000"
        new.storage.readers = 9
        new.sync.deviceID = "box-9"
        let change = source.apply(new)
        #expect(features.current.maxPushRows == 7)
        #expect(registry.current.auditMaxRows == 5000)
        #expect(training.current.maxQueued == 3)
        #expect(inference.current.maxBatchRows == 9)
        #expect(monitoring.current.enabled == false)
        #expect(sync.current.url == "http://central:5000")
        #expect(source.server.current.limits.maxBodyBytes == 4096)
        #expect(source.server.current.policy.defaultRole == .read)
        #expect(logging.control.level == .debug)
        // Restart-only: named, and the running values stay.
        #expect(change.needsRestart == ["storage", "sync.device_id"])
        #expect(source.current.storage.readers == 4)
        #expect(sync.current.deviceID == "")
    }
}
