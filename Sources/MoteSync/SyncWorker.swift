public import Logging
public import MoteCore
import MoteRegistry
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Drains the outbox to the central MLflow server: rows in order, in batches; a row the
/// server acted on is deleted, a row it refuses as given is parked with the reason (the rest
/// flows on), and anything retryable (no network, timeout, 5xx) stops the drain until the
/// next attempt, which backs off exponentially with jitter. A heartbeat of the device goes
/// with every successful drain. State survives restarts (the outbox, the id map, last times).
public final class SyncWorker: Sendable {
    /// What `GET /v1/sync` answers.
    public struct Status: Sendable {
        public var enabled: Bool
        public var url: String
        public var deviceID: String
        public var pending: Int
        public var parked: Int
        public var lastSuccessNanos: Int64?
        public var lastErrorNanos: Int64?
        public var lastError: String?
        public var lastAttemptNanos: Int64?
        public var nextAttemptNanos: Int64?
        public var failures: Int
        public var sent: Int
        public var running: Bool
    }

    private struct State {
        var lastSuccess: Int64?
        var lastErrorAt: Int64?
        var lastError: String?
        var lastAttempt: Int64?
        var nextAttempt: Int64?
        var failures = 0
        var sent = 0
        var depthWarned = false
    }

    private let store: SyncStore
    private let settings: Live<SyncSettings>
    public let deviceID: String
    private let logger: Logger
    private let heartbeat: @Sendable () -> [(String, Double)]
    private let artifact: @Sendable (String) -> [UInt8]?
    private let state: Mutex<State>
    private let connection = MLflowConnection()

    public init(
        store: SyncStore, deviceID: String, logger: Logger, settings: Live<SyncSettings>,
        heartbeat: @escaping @Sendable () -> [(String, Double)], artifact: @escaping @Sendable (String) -> [UInt8]? = { _ in nil }
    ) {
        self.artifact = artifact
        self.store = store
        self.deviceID = deviceID
        self.logger = logger
        self.settings = settings
        self.heartbeat = heartbeat
        var s = State()
        s.lastSuccess = (try? store.state("last_success_ns")).flatMap { $0.flatMap { Int64($0) } }
        s.lastError = (try? store.state("last_error")) ?? nil
        s.lastErrorAt = (try? store.state("last_error_ns")).flatMap { $0.flatMap { Int64($0) } }
        self.state = Mutex(s)
    }

    /// The device id: configured, else the machine id, else the host name.
    public static func deviceID(configured: String) -> String {
        if !configured.isEmpty { return configured }
        for path in ["/etc/machine-id", "/var/lib/dbus/machine-id"] {
            let id = ((try? FileSystem.readText(path)) ?? "").filter { $0.isLetter || $0.isNumber }
            if !id.isEmpty { return id }
        }
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func status() -> Status {
        let depth = (try? store.depth()) ?? (pending: 0, parked: 0)
        let s = settings.current
        return state.withLock { st in
            Status(
                enabled: s.enabled, url: s.url, deviceID: deviceID, pending: depth.pending, parked: depth.parked, lastSuccessNanos: st.lastSuccess,
                lastErrorNanos: st.lastErrorAt, lastError: st.lastError, lastAttemptNanos: st.lastAttempt, nextAttemptNanos: st.nextAttempt,
                failures: st.failures, sent: st.sent, running: passes.running)
        }
    }

    /// The drains: `passes.trigger()` asks for one now (`POST /v1/sync`), `passes.wait` waits
    /// for it to end.
    public let passes = ServicePasses()

    /// The service loop: a drain every `interval` (or after the backoff), or when triggered.
    public func run() async {
        while !Task.isCancelled {
            let s = settings.current
            if s.enabled {
                await passes.run { await drain(settings: s) }
            } else {
                // Nothing is sent, but the outbox keeps its bound.
                trimOutbox(s)
            }
            let now = SystemClock.nowNanos()
            let next = state.withLock { st -> Int64 in
                if !s.enabled {
                    st.nextAttempt = nil
                    return now + s.intervalNanos
                }
                return st.nextAttempt ?? now + s.intervalNanos
            }
            await passes.sleep(untilNanos: next)
        }
        await connection.close()
    }

    /// The Authorization header from the configured token or basic-auth file or credential.
    public static func authorization(_ s: SyncSettings) throws -> String? {
        /// The file's text without surrounding blanks (the newline an editor leaves).
        func contents(_ path: String) throws -> String {
            let text = try FileSystem.readText(path)
            return String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        }
        if !s.tokenFile.isEmpty { return "Bearer " + (try contents(s.tokenFile)) }
        if !s.credential.isEmpty {
            guard let directory = getenv("CREDENTIALS_DIRECTORY").map({ String(cString: $0) }) else {
                throw MoteError(.io, "sync.credential is set but systemd passed no credentials (LoadCredential= in the unit)")
            }
            return "Bearer " + (try contents(directory + "/" + s.credential))
        }
        if !s.basicAuthFile.isEmpty { return "Basic " + Base64.encode(Array(try contents(s.basicAuthFile).utf8)) }
        return nil
    }

    /// Drops the oldest rows over `sync.max_outbox` (also while sync is off), with one error
    /// entry saying how many of each kind went.
    func trimOutbox(_ s: SyncSettings) {
        guard s.maxOutbox > 0, let dropped = try? store.trim(maxRows: s.maxOutbox), !dropped.isEmpty else { return }
        let total = dropped.values.reduce(0, +)
        logger.error(
            "sync: outbox over its bound (sync.max_outbox = \(s.maxOutbox)\(s.enabled ? "" : ", sync is off")); dropped the \(total) oldest rows: \(dropped.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))",
            metadata: ["event": "outbox_dropped", "rows": "\(total)"])
    }

    /// Sends pending rows until the outbox is empty or a retryable failure stops it.
    func drain(settings s: SyncSettings) async {
        let started = SystemClock.nowNanos()
        state.withLock { $0.lastAttempt = started }
        trimOutbox(s)
        warnDepth(s)
        let mapping: MLflowMapping
        do {
            mapping = MLflowMapping(client: try connection.client(for: s), store: store, device: deviceID, settings: s, artifact: artifact)
        } catch {
            failed("sync is not set up: \(error)", settings: s)
            return
        }
        var sent = 0
        do {
            while !Task.isCancelled {
                let batch = try store.pending(limit: s.batch)
                if batch.isEmpty { break }
                for item in batch {
                    if Task.isCancelled { break }
                    do throws(SyncFailure) {
                        try await mapping.send(item, now: SystemClock.nowNanos())
                    } catch {
                        switch error {
                        case .retryable(let message):
                            try? store.failed(item.seq, error: message)
                            throw error
                        case .rejected, .notFound, .alreadyExists:
                            let reason = error.description
                            try store.park(item.seq, reason: reason, now: SystemClock.nowNanos())
                            logger.warning(
                                "sync: outbox row \(item.seq) (\(item.kind) \(item.subject)) parked: \(reason)",
                                metadata: ["event": "sync_parked", "seq": "\(item.seq)", "kind": "\(item.kind)"])
                        }
                        continue
                    }
                    try store.done(item.seq)
                    sent += 1
                }
            }
            guard !Task.isCancelled else { return }
            let depth = (try? store.depth()) ?? (pending: 0, parked: 0)
            var beat = heartbeat()
            beat.append(("outbox_pending", Double(depth.pending)))
            beat.append(("outbox_parked", Double(depth.parked)))
            try await mapping.logDevice(
                metrics: beat.map { ("device.\($0.0)", $0.1) }, tags: [("mote.version", MoteVersion.string)], atMillis: SystemClock.nowNanos() / 1_000_000)
            let now = SystemClock.nowNanos()
            let wasFailing = state.withLock { st -> Bool in
                let was = st.failures > 0
                st.failures = 0
                st.lastSuccess = now
                st.sent += sent
                st.nextAttempt = now + s.intervalNanos
                return was
            }
            try? store.setState(["last_success_ns": String(now)])
            if wasFailing {
                logger.notice("sync: the central server answers again; \(sent) rows sent", metadata: ["event": "sync_recovered", "rows": "\(sent)"])
            } else if sent > 0 {
                logger.info("sync: \(sent) rows sent", metadata: ["event": "sync_sent", "rows": "\(sent)"])
            }
        } catch let failure as SyncFailure {
            state.withLock { $0.sent += sent }
            failed(failure.description, settings: s)
        } catch {
            state.withLock { $0.sent += sent }
            failed("\(error)", settings: s)
        }
    }

    private func failed(_ message: String, settings s: SyncSettings) {
        let now = SystemClock.nowNanos()
        let (failures, wait) = state.withLock { st -> (Int, Int64) in
            st.failures += 1
            st.lastError = message
            st.lastErrorAt = now
            // Exponential backoff with full jitter between half and all of the step.
            let step = min(Double(s.backoffMaxNanos), Double(s.backoffInitialNanos) * pow(2, Double(min(st.failures - 1, 40))))
            let wait = Int64(step * Double.random(in: 0.5...1.0))
            st.nextAttempt = now + wait
            return (st.failures, wait)
        }
        try? store.setState(["last_error": message, "last_error_ns": String(now)])
        let metadata: Logger.Metadata = ["event": "sync_failed", "failures": "\(failures)", "retry_in_s": "\(wait / 1_000_000_000)"]
        // The first failure and then every tenth: a long outage is not a log flood.
        if failures == 1 || failures % 10 == 0 {
            logger.warning("sync: \(message); next attempt in \(DurationText.format(nanos: wait))", metadata: metadata)
        }
    }

    private func warnDepth(_ s: SyncSettings) {
        guard let depth = try? store.depth() else { return }
        let over = depth.pending > s.warnDepth
        let changed = state.withLock { st -> Bool in
            defer { st.depthWarned = over }
            return st.depthWarned != over
        }
        guard changed else { return }
        if over {
            logger.warning(
                "sync: \(depth.pending) rows wait in the outbox (over sync.warn_depth = \(s.warnDepth))",
                metadata: ["event": "outbox_backlog", "rows": "\(depth.pending)"])
        } else {
            logger.notice("sync: outbox backlog below sync.warn_depth again (\(depth.pending) rows)", metadata: ["event": "outbox_backlog_cleared", "rows": "\(depth.pending)"])
        }
    }
}
