public import Logging
public import MoteCore
public import MoteInference
import MoteML
import MoteModels
public import MoteMonitoring
public import MoteRegistry
import Synchronization

/// Shadow and canary rollouts: a version serves beside a model's champion (alias `shadow` or
/// `canary`), is compared with it on live evidence, and is promoted or rolled back by its
/// policy. Starting one stores its share and policy, points the alias at the version (audited,
/// synced) and hands the challenger to the model server; an alias set or removed by hand
/// starts or ends one the same way. Every decision is recorded, journaled
/// (`MOTE_EVENT=rollout_*`) and queued for the central host.
public final class Rollouts: Sendable {
    let server: ModelServer
    let registry: RegistryStore
    let store: RolloutStore
    let feedback: FeedbackStore
    let log: PredictionLog
    let shadows: ShadowScorer
    let logger: Logger
    let settings: Live<RolloutSettings>
    /// One start, stop or decision at a time (their alias moves call back into `handle`, which
    /// does not take it).
    private let changes = Mutex(())

    public init(
        server: ModelServer, registry: RegistryStore, store: RolloutStore, feedback: FeedbackStore, log: PredictionLog, shadows: ShadowScorer,
        logger: Logger, settings: Live<RolloutSettings>
    ) {
        self.server = server
        self.registry = registry
        self.store = store
        self.feedback = feedback
        self.log = log
        self.shadows = shadows
        self.logger = logger
        self.settings = settings
        registry.events.subscribe { [weak self] event in self?.handle(event) }
    }

    /// Runs `body` as the one change in progress.
    func withChanges<T>(_ body: () throws -> T) throws -> T {
        try changes.withLock { _ in try body() }
    }

    /// Serves the stored rollouts again (at start).
    public func restore() {
        do {
            for r in try store.active() { activate(r) }
        } catch {
            logger.error("rollouts could not be read: \(error)", metadata: ["event": "rollout_failed"])
        }
    }

    /// The model's newest decisions (404 for a model that does not exist).
    public func decisions(model: String, limit: Int) throws -> [RolloutDecision] {
        _ = try registry.model(model)
        return try store.decisions(model: model, limit: limit)
    }

    /// The model's active rollout, if any.
    public func active(model: String) throws -> Rollout? {
        try store.active().first { $0.model == model }
    }

    /// Starts rolling `version` out beside the champion of `model` as a shadow or a canary
    /// (`share` of routing keys, default `rollout.canary_share`), judged by `policy` (a request
    /// body's object; defaults from `[rollout]`). A rollout already running for the model is
    /// replaced (recorded as stopped).
    @discardableResult
    public func start(model: String, mode: Challenger.Mode, version: Int, share: Double?, policy: JSONValue?, actor: ChangeAuthor) throws -> Rollout {
        let defaults = settings.current
        if mode == .shadow, share != nil { throw DomainError.invalidShape("'share' is for a canary; a shadow scores every answered row") }
        if let share, !(share > 0 && share <= 1) { throw DomainError.invalidShape("'share' must be above 0 and at most 1 (a share of routing keys, such as 0.1)") }
        guard let champion = try? registry.resolve(model: model, "champion") else {
            _ = try registry.model(model)  // 404 for a model that does not exist
            throw DomainError(.conflict, .rolloutIncompatible, "model '\(model)' has no champion to roll a version out beside; set one first")
        }
        guard champion.version != version else {
            throw DomainError(.conflict, .rolloutIncompatible, "version \(version) of '\(model)' is its champion already")
        }
        _ = try registry.version(model: model, version)  // 404 for a version that does not exist
        let serving = try server.model(model, String(champion.version))
        let candidate: LoadedModel
        do {
            candidate = try server.model(model, String(version))
        } catch {
            throw DomainError(.conflict, .versionNotServable, "model '\(model)' version \(version) cannot serve, so it cannot roll out: \(error.message)")
        }
        try Self.requireCompatible(candidate, with: serving)
        let rollout = Rollout(
            model: model, mode: mode, version: version, champion: champion.version, share: mode == .canary ? share ?? defaults.canaryShare : 0,
            policy: try RolloutPolicy.parse(policy, task: serving.bundle.task, defaults: defaults), startedNanos: SystemClock.nowNanos())
        try changes.withLock { _ in
            if let running = try active(model: model) {
                try end(running, .stopped, reason: "replaced by a \(mode.rawValue) of version \(version)", metrics: [:], actor: actor)
            }
            try store.save(rollout)
            activate(rollout)
            _ = try server.setAlias(model: model, alias: mode.rawValue, version: version, actor: actor)
            try announce(rollout, .started, reason: Self.startReason(rollout), metrics: [:], ended: false)
        }
        return rollout
    }

    /// Ends the model's rollout by hand: the alias goes, the champion keeps serving alone.
    @discardableResult
    public func stop(model: String, actor: ChangeAuthor) throws -> Rollout {
        try changes.withLock { _ in
            guard let running = try active(model: model) else {
                _ = try registry.model(model)
                throw DomainError(.notFound, .rolloutNotFound, "model '\(model)' has no rollout")
            }
            try end(running, .stopped, reason: "stopped by hand", metrics: [:], actor: actor)
            return running
        }
    }

    /// A challenger must answer like the champion: the same task, classes and inputs (names and
    /// types, in order), so the same rows feed both and their answers compare.
    static func requireCompatible(_ candidate: LoadedModel, with champion: LoadedModel) throws(DomainError) {
        let a = candidate.bundle
        let b = champion.bundle
        func refuse(_ why: String) -> DomainError {
            DomainError(.conflict, .rolloutIncompatible, "version \(candidate.version) cannot roll out beside champion version \(champion.version): \(why)")
        }
        guard a.task == b.task else { throw refuse("it is a \(a.task.rawValue) model, the champion a \(b.task.rawValue) one") }
        guard a.task != .anomaly else { throw refuse("an anomaly model has no live metric to judge it by") }
        guard a.classes == b.classes else { throw refuse("it predicts the classes \(a.classes), the champion \(b.classes)") }
        guard a.inputs == b.inputs else {
            throw refuse("its inputs (\(a.inputs.map(\.name).prefix(8).joined(separator: ", "))) differ from the champion's (\(b.inputs.map(\.name).prefix(8).joined(separator: ", "))); promote it through the holdout gate instead")
        }
    }

    static func startReason(_ r: Rollout) -> String {
        let what = r.mode == .canary ? "canary answering \(Int((r.share * 1000).rounded()) / 10)% of entities" : "shadow scoring every answered row"
        return "\(what); judged by live \(r.policy.metric.rawValue) after \(r.policy.minLabels) labels, margin \(r.policy.margin)\(r.policy.automatic ? "" : " (compare only)")"
    }

    /// Hands the rollout's version to the model server (loading it); a version that cannot load
    /// is logged and not served.
    func activate(_ r: Rollout) {
        do {
            let model = try server.model(r.model, String(r.version))
            server.setChallenger(r.model, Challenger(mode: r.mode, model: model, share: r.share))
        } catch {
            server.setChallenger(r.model, nil)
            logger.error(
                "rollout of \(r.model) version \(r.version) cannot serve: \(error)",
                metadata: ["event": "rollout_failed", "model": "\(r.model)", "version": "\(r.version)"])
        }
    }

    /// Ends a rollout: recorded, the challenger off the request path, its alias removed.
    func end(_ r: Rollout, _ kind: RolloutDecision.Kind, reason: String, metrics: [String: Double], actor: ChangeAuthor) throws {
        try announce(r, kind, reason: reason, metrics: metrics, ended: true)
        server.setChallenger(r.model, nil)
        do {
            try registry.deleteAlias(model: r.model, alias: r.mode.rawValue, actor: actor)
        } catch let error as DomainError where error.kind == .notFound {
            // Removed by hand already.
        }
    }

    /// Records a decision (ending the rollout when `ended`), journals it and queues it for the
    /// central host.
    func announce(_ r: Rollout, _ kind: RolloutDecision.Kind, reason: String, metrics: [String: Double], ended: Bool) throws {
        let decision = RolloutDecision(
            model: r.model, mode: r.mode, version: r.version, champion: r.champion, kind: kind, reason: reason, metrics: metrics,
            decidedNanos: SystemClock.nowNanos())
        if ended { try store.end(model: r.model, decision: decision) } else { try store.record(decision) }
        var metadata: Logger.Metadata = [
            "event": "rollout_\(kind.rawValue)", "model": "\(r.model)", "version": "\(r.version)", "champion_version": "\(r.champion)",
            "rollout_mode": "\(r.mode.rawValue)", "reason": "\(reason)",
        ]
        for (k, v) in metrics { metadata["rollout_\(k.replacing(".", with: "_"))"] = "\(v)" }
        let text = "rollout: \(r.model) version \(r.version) (\(r.mode.rawValue) beside champion \(r.champion)) \(kind.rawValue.replacing("_", with: " ")): \(reason)"
        if kind == .rolledBack { logger.warning("\(text)", metadata: metadata) } else { logger.notice("\(text)", metadata: metadata) }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("model"); w.string(r.model)
        w.key("mode"); w.string(r.mode.rawValue)
        w.key("version"); w.int(r.version)
        w.key("champion"); w.int(r.champion)
        w.key("decision"); w.string(kind.rawValue)
        w.key("reason"); w.string(reason)
        w.key("at_ms"); w.int(decision.decidedNanos / 1_000_000)
        w.key("metrics"); w.beginObject()
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) where v.isFinite { w.key(k); w.double(v) }
        w.endObject()
        w.endObject()
        do { try registry.enqueueOutbox(kind: .rolloutDecision, subject: "rollout:\(r.model)/\(r.version)", payload: w) } catch {
            logger.warning("rollout decision not queued for the central host: \(error)", metadata: ["event": "outbox_failed"])
        }
    }

    /// Follows alias moves made elsewhere: `shadow`/`canary` set by hand starts a rollout with
    /// the defaults (or serves the stored one), removed by hand ends it; `champion` moved to the
    /// rolling-out version ends it as promoted, moved elsewhere makes that the compared champion.
    private func handle(_ event: RegistryEvent) {
        guard case .aliasMoved(let name, let alias, let version) = event else { return }
        let running: Rollout?
        do { running = try active(model: name) } catch { return }
        switch alias {
        case "champion":
            guard var r = running, let version else { return }
            if version == r.version {
                try? changes.withLock { _ in try end(r, .promoted, reason: "made champion by hand", metrics: [:], actor: .daemon) }
            } else if version != r.champion {
                r.champion = version
                try? store.save(r)
            }
        case Challenger.Mode.shadow.rawValue, Challenger.Mode.canary.rawValue:
            guard let mode = Challenger.Mode(rawValue: alias) else { return }
            if let r = running, r.mode == mode, r.version == version {
                activate(r)
            } else if version == nil, let r = running, r.mode == mode {
                try? changes.withLock { _ in try end(r, .stopped, reason: "alias '\(alias)' removed", metrics: [:], actor: .daemon) }
            } else if let version, running?.mode != mode || running?.version != version {
                DetachedThread.start { [self] in
                    do {
                        try start(model: name, mode: mode, version: version, share: nil, policy: nil, actor: .daemon)
                    } catch {
                        logger.error(
                            "alias '\(alias)' of \(name) points at version \(version), which cannot roll out: \(error)",
                            metadata: ["event": "rollout_failed", "model": "\(name)", "version": "\(version)"])
                    }
                }
            }
        default:
            return
        }
    }
}
