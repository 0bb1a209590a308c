import Logging
import MoteCore
import MoteFeatures
import MoteServer
import MoteSystemd
import ServiceLifecycle
import UnixSignals

/// On SIGHUP: says RELOADING to systemd, re-reads the config file, applies what can change
/// live (log level, limits, access), logs what needs a restart, then says READY again. A
/// config that does not load is logged and the running config stays.
struct ReloadService: Service {
    let runtime: DaemonRuntime
    let notifier: SystemdNotifier
    let log: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        notifier.reloading(status: "reloading configuration")
        runtime.readiness.phase = .reloading
        defer { runtime.readiness.phase = .ready }
        let old = runtime.config
        let new: MoteConfig
        do {
            new = try runtime.options.loadConfig()
        } catch {
            log.error(
                "reload failed; keeping the running configuration: \(error.message)",
                metadata: ["event": "reload_failed"])
            notifier.ready(status: "serving on \(old.socket.path) (last reload failed: \(error.message))")
            return
        }
        let change = ConfigChange(old: old, new: new)
        let policy = AccessPolicy(new.access)
        for warning in policy.warnings { log.warning("\(warning)", metadata: ["event": "config_warning"]) }
        runtime.settings.replace(ServerSettings(limits: new.limits, policy: policy))
        runtime.logging.control.level = Logger.Level(new.daemon.logLevel)
        var applied = old
        applied.daemon.logLevel = new.daemon.logLevel
        applied.limits = new.limits
        applied.access = new.access
        applied.daemon.shutdownTimeoutNanos = new.daemon.shutdownTimeoutNanos
        applied.features = new.features
        applied.registry = new.registry
        runtime.features.limits = new.features
        runtime.config = applied
        if !change.needsRestart.isEmpty {
            log.warning(
                "these settings change only after a restart: \(change.needsRestart.joined(separator: ", "))",
                metadata: ["event": "reload_needs_restart"])
        }
        log.notice(
            "configuration reloaded",
            metadata: ["event": "reloaded", "applied": "\(change.appliedLive.joined(separator: ","))"])
        notifier.ready(status: "serving on \(old.socket.path)")
    }
}

/// Which keys differ between two configs, split into those applied live and those that
/// need a restart.
struct ConfigChange {
    var appliedLive: [String] = []
    var needsRestart: [String] = []

    init(old: MoteConfig, new: MoteConfig) {
        if old.daemon.logLevel != new.daemon.logLevel { appliedLive.append("daemon.log_level") }
        if old.limits != new.limits { appliedLive.append("limits") }
        if old.access != new.access { appliedLive.append("access") }
        if old.features != new.features { appliedLive.append("features") }
        if old.registry != new.registry { appliedLive.append("registry") }
        if old.training != new.training { appliedLive.append("training") }
        if old.inference.preload != new.inference.preload { needsRestart.append("inference.preload") }
        var inference = new.inference
        inference.preload = old.inference.preload
        if old.inference != inference { appliedLive.append("inference") }
        if old.monitoring != new.monitoring { appliedLive.append("monitoring") }
        if old.daemon.stateDir != new.daemon.stateDir { needsRestart.append("daemon.state_dir") }
        if old.daemon.eventLoopThreads != new.daemon.eventLoopThreads { needsRestart.append("daemon.event_loop_threads") }
        if old.daemon.blockingThreads != new.daemon.blockingThreads { needsRestart.append("daemon.blocking_threads") }
        if old.daemon.shutdownTimeoutNanos != new.daemon.shutdownTimeoutNanos { appliedLive.append("daemon.shutdown_timeout") }
        if old.socket != new.socket { needsRestart.append("socket") }
        if old.storage != new.storage { needsRestart.append("storage") }
    }
}
