import CSystemd
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// Talks to the service manager through `sd_notify(3)`: readiness, status lines, watchdog
/// pings, reload and stop. A no-op when moted was not started by systemd (no `NOTIFY_SOCKET`).
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// Sends raw assignments, one per line (`READY=1\nSTATUS=...`). Returns false on failure.
    @discardableResult
    public func send(_ assignments: String) -> Bool {
        sd_notify(0, assignments) >= 0
    }

    /// `READY=1` with a status line.
    public func ready(status: String) {
        send("READY=1\nSTATUS=\(SystemdNotifier.oneLine(status))\nMAINPID=\(getpid())")
    }

    /// A `STATUS=` line shown by `systemctl status`.
    public func status(_ text: String) {
        send("STATUS=\(SystemdNotifier.oneLine(text))")
    }

    /// `RELOADING=1` with the monotonic timestamp systemd 253+ expects.
    public func reloading(status: String) {
        let usec = SystemClock.monotonicNanos() / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=\(SystemdNotifier.oneLine(status))")
    }

    /// `STOPPING=1`.
    public func stopping(status: String) {
        send("STOPPING=1\nSTATUS=\(SystemdNotifier.oneLine(status))")
    }

    /// One watchdog keep-alive ping.
    public func watchdogPing() {
        send("WATCHDOG=1")
    }

    /// The watchdog interval systemd asks for (`WATCHDOG_USEC` for this process), in
    /// nanoseconds, or nil when no watchdog is enabled.
    public func watchdogIntervalNanos() -> UInt64? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return usec * 1000
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" ? " " : $0 })
    }
}
