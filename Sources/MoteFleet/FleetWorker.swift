public import Logging
public import MoteCore
public import MoteRegistry
public import MoteSync
public import MoteTraining
import Synchronization

/// Follows centrally approved models: every `fleet.interval` (or when asked) it resolves the
/// followed alias of each central model, and a version it has not decided on yet is fetched
/// through the artifact proxy, imported, gated on this box's own labelled data (or trusted,
/// `fleet.trust_central`), served through the usual hot swap when it passes, and reported
/// back through the outbox. An alias moved back to a version this box served brings that
/// version back; a pinned model stays put. Anything retryable (no network) ends the poll
/// until the next one; state survives restarts (`FleetStore`).
public final class FleetWorker: Sendable {
    /// What `GET /v1/fleet` answers.
    public struct Status: Sendable {
        public var enabled: Bool
        public var alias: String
        public var trustCentral: Bool
        public var url: String
        public var deviceID: String
        public var polling: Bool
        public var lastPollNanos: Int64?
        public var lastSuccessNanos: Int64?
        public var lastError: String?
        public var nextPollNanos: Int64?
        public var models: [ModelStatus]
    }

    /// One followed model: the central version its alias points at, this box's champion, a
    /// pin, and the newest decision.
    public struct ModelStatus: Sendable {
        public var followed: FleetStore.Followed
        public var champion: Int?
        public var last: FleetStore.Decision?
    }

    struct State {
        var lastPoll: Int64?
        var lastSuccess: Int64?
        var lastError: String?
        var nextPoll: Int64?
    }

    let store: FleetStore
    let context: TrainingContext
    let settings: Live<FleetSettings>
    let sync: Live<SyncSettings>
    let deviceID: String
    /// Where a model's files wait between download and import (a restart resumes there).
    let staging: String
    let logger: Logger
    /// Points `champion` of a model at a version, after checking that it serves (the hot
    /// swap follows the alias; serving is never interrupted).
    let setChampion: @Sendable (_ model: String, _ version: Int, _ actor: ChangeAuthor) throws -> Void
    let state = Mutex(State())
    private let connection = MLflowConnection()

    public init(
        store: FleetStore, context: TrainingContext, settings: Live<FleetSettings>, sync: Live<SyncSettings>, deviceID: String, staging: String,
        logger: Logger, setChampion: @escaping @Sendable (_ model: String, _ version: Int, _ actor: ChangeAuthor) throws -> Void
    ) {
        self.setChampion = setChampion
        self.store = store
        self.context = context
        self.settings = settings
        self.sync = sync
        self.deviceID = deviceID
        self.staging = staging
        self.logger = logger
    }

    public func status() -> Status {
        let f = settings.current
        let s = sync.current
        let models = ((try? store.followed()) ?? []).map { followed in
            ModelStatus(
                followed: followed, champion: (try? context.registry.resolve(model: followed.model, "champion"))?.version,
                last: (try? store.lastDecision(model: followed.model)) ?? nil)
        }
        return state.withLock { st in
            Status(
                enabled: f.enabled, alias: f.alias, trustCentral: f.trustCentral, url: s.url, deviceID: deviceID, polling: passes.running,
                lastPollNanos: st.lastPoll, lastSuccessNanos: st.lastSuccess, lastError: st.lastError, nextPollNanos: f.enabled ? st.nextPoll : nil,
                models: models)
        }
    }

    /// The polls: `passes.trigger()` asks for one now (`POST /v1/fleet/poll`), `passes.wait`
    /// waits for it to end.
    public let passes = ServicePasses()

    /// Holds `model` on local `version`: `champion` moves there (if it serves) and polls leave
    /// the model alone until `unpin`. Both changes are audited.
    public func pin(model: String, version: Int, actor: ChangeAuthor) throws {
        _ = try context.registry.version(model: model, version)
        try setChampion(model, version, actor)
        try store.pin(model: model, version: version, alias: settings.current.alias, actor: actor)
        logger.notice(
            "fleet: \(model) pinned to version \(version)", metadata: ["event": "fleet_pinned", "model": "\(model)", "version": "\(version)"])
    }

    /// Lets `model` follow the centre again (the next poll, started now, acts on the alias).
    public func unpin(model: String, actor: ChangeAuthor) throws {
        guard try store.pinned(model: model) != nil else { throw DomainError.notFound("model '\(model)' is not pinned") }
        try store.pin(model: model, version: nil, alias: settings.current.alias, actor: actor)
        logger.notice("fleet: \(model) unpinned", metadata: ["event": "fleet_unpinned", "model": "\(model)"])
        passes.trigger()
    }

    /// The service loop: a poll every interval while enabled, or when triggered.
    public func run() async {
        while !Task.isCancelled {
            let f = settings.current
            if f.enabled { await passes.run { await poll(f, sync.current) } }
            let next = SystemClock.nowNanos() + f.intervalNanos
            state.withLock { $0.nextPoll = next }
            await passes.sleep(untilNanos: next)
        }
        await connection.close()
    }

    /// One poll of every followed model.
    func poll(_ f: FleetSettings, _ s: SyncSettings) async {
        let started = SystemClock.nowNanos()
        state.withLock { $0.lastPoll = started }
        do {
            guard !s.url.isEmpty else { throw SyncFailure.rejected(status: 0, code: "NO_SERVER", message: "the fleet needs [sync] url") }
            let central = CentralRegistry(client: try connection.client(for: s))
            let names = try await followedModels(f, s, central)
            for model in names {
                if Task.isCancelled { return }
                try await follow(model: model, settings: f, central: central)
            }
            let now = SystemClock.nowNanos()
            let recovered = state.withLock { st -> Bool in
                defer { st.lastError = nil; st.lastSuccess = now }
                return st.lastError != nil
            }
            if recovered { logger.notice("fleet: the central registry answers again", metadata: ["event": "fleet_recovered"]) }
        } catch {
            let message = (error as? SyncFailure)?.description ?? "\(error)"
            let first = state.withLock { st -> Bool in
                defer { st.lastError = message }
                return st.lastError == nil
            }
            if first { logger.warning("fleet: poll failed: \(message)", metadata: ["event": "fleet_poll_failed"]) }
        }
    }

    /// The configured models, or every central model carrying the alias except this box's own
    /// mirrors (named by `sync.model_name_template`).
    func followedModels(_ f: FleetSettings, _ s: SyncSettings, _ central: CentralRegistry) async throws(SyncFailure) -> [String] {
        if !f.models.isEmpty { return f.models }
        return try await central.models(carrying: f.alias).filter { !Self.isOwnMirror($0, template: s.modelNameTemplate, device: deviceID) }
    }

    /// Whether a central model name is this box's own mirror of a local model (the sync's
    /// `model_name_template` with this device id): never followed back down.
    static func isOwnMirror(_ name: String, template: String, device: String) -> Bool {
        let parts = template.replacing("<device_id>", with: device).split(separator: "<model>", maxSplits: 1, omittingEmptySubsequences: false)
        let prefix = parts.first.map(String.init) ?? ""
        let suffix = parts.count > 1 ? String(parts[1]) : ""
        return name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count
    }
}
