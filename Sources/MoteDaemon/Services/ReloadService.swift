import Logging
import MoteCore
import MoteFleet
import MoteSync
import MoteServer
import MoteSystemd
import ServiceLifecycle
import UnixSignals

/// On SIGHUP: says RELOADING to systemd, re-reads the config file, applies it through the
/// one reload path (`ConfigSource.apply`: every live setting at once), logs what needs a
/// restart, then says READY again. A config that does not load is logged and the running
/// config stays.
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
        let socketPath = runtime.config.socket.path
        let new: MoteConfig
        do {
            new = try runtime.options.loadConfig()
        } catch {
            log.error(
                "reload failed; keeping the running configuration: \(error.message)",
                metadata: ["event": "reload_failed"])
            notifier.ready(status: "serving on \(socketPath) (last reload failed: \(error.message))")
            return
        }
        let change = runtime.configSource.apply(new)
        for warning in runtime.configSource.accessWarnings { log.warning("\(warning)", metadata: ["event": "config_warning"]) }
        if !change.needsRestart.isEmpty {
            log.warning(
                "these settings change only after a restart: \(change.needsRestart.joined(separator: ", "))",
                metadata: ["event": "reload_needs_restart"])
        }
        // A worker that sleeps until its next interval acts on its new settings now (a fleet
        // just enabled polls at once, not after the old interval).
        if change.appliedLive.contains(SyncSettings.section) { runtime.sync.passes.trigger() }
        if change.appliedLive.contains(FleetSettings.section) || change.appliedLive.contains(SyncSettings.section) { runtime.fleet.passes.trigger() }
        log.notice(
            "configuration reloaded",
            metadata: ["event": "reloaded", "applied": "\(change.appliedLive.joined(separator: ","))"])
        notifier.ready(status: "serving on \(socketPath)")
    }
}
