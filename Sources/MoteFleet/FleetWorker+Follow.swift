import Logging
import MoteCore
import MoteRegistry
import MoteSync
import MoteTraining

extension FleetWorker {
    /// One followed model: resolve the alias, then deploy, gate, bring back or leave it.
    /// Throws only what is worth retrying at the next poll (the network, the server).
    func follow(model: String, settings f: FleetSettings, central: CentralRegistry) async throws(SyncFailure) {
        let now = SystemClock.nowNanos()
        let target = try await central.resolve(model: model, alias: f.alias)
        try local { try store.polled(model: model, alias: f.alias, centralVersion: target?.version, now: now) }
        guard let target else { return }
        // An operator's pin holds the box where it is.
        if try local({ try store.pinned(model: model) }) != nil { return }
        let earlier = try local { try store.decision(model: model, centralVersion: target.version) }
        if let earlier, earlier.kind == .deployed, let version = earlier.localVersion {
            // Served here before: the alias moved back (or the champion was moved by hand).
            let champion = (try? context.registry.resolve(model: model, "champion"))?.version
            guard champion != version else { return }
            do {
                try setChampion(model, version, .daemon)
            } catch {
                return decide(.failed, target, local: version, reason: "cannot set champion back to version \(version): \(error)", final: false, earlier: earlier)
            }
            return decide(
                .deployed, target, local: version,
                reason: "the central alias points at version \(target.version) again: local version \(version) is champion again", final: true, earlier: nil)
        }
        if let earlier, earlier.final { return }
        // New to this box (or an earlier attempt that may succeed now).
        let version: Int
        do {
            version = try await imported(target, settings: f, central: central)
        } catch let failure as FleetFailure {
            return decide(.failed, target, local: nil, reason: failure.reason, final: failure.final, earlier: earlier)
        } catch let failure as SyncFailure {
            throw failure
        } catch {
            return decide(.failed, target, local: nil, reason: "\(error)", final: false, earlier: earlier)
        }
        // The evaluation reads the labelled history and scores it: seconds on a big box.
        do {
            try await DetachedThread.run { [self] in gate(target, version: version, settings: f, earlier: earlier) }
        } catch {
            decide(.failed, target, local: version, reason: "\(error)", final: false, earlier: earlier)
        }
    }

    /// Gates the imported version: no champion here, or a centre trusted by config, deploys it;
    /// otherwise the spec's promotion policy on this box's labelled recent data decides.
    func gate(_ target: CentralRegistry.Version, version: Int, settings f: FleetSettings, earlier: FleetStore.Decision?) {
        let registry = context.registry
        let champion = (try? registry.resolve(model: target.model, "champion"))?.version
        if champion == nil || f.trustCentral {
            do {
                try setChampion(target.model, version, .daemon)
            } catch {
                return decide(.failed, target, local: version, reason: "cannot make version \(version) champion: \(error)", final: false, earlier: earlier)
            }
            let why = champion == nil ? "no champion on this box: the first valid version serves" : "fleet.trust_central: served as approved centrally"
            return decide(.deployed, target, local: version, reason: why, final: true, earlier: earlier)
        }
        do {
            let result = try ModelEvaluation.run(
                model: target.model, version: String(version), against: "champion", promote: true, context: context, actor: .daemon,
                now: SystemClock.nowNanos())
            decide(result.promoted ? .deployed : .rejected, target, local: version, reason: result.reason, final: true, earlier: earlier, metrics: result.metrics)
        } catch let error as DomainError {
            decide(
                .failed, target, local: version,
                reason: "cannot gate on this box's data: \(error.message) (fleet.trust_central = true deploys without the gate)", final: false,
                earlier: earlier)
        } catch {
            decide(.failed, target, local: version, reason: "evaluation failed: \(error)", final: false, earlier: earlier)
        }
    }

    /// Records a decision; a new one (not a repeat of the last about this version) is
    /// journaled and reported to the centre.
    func decide(
        _ kind: FleetStore.Decision.Kind, _ target: CentralRegistry.Version, local: Int?, reason: String, final: Bool,
        earlier: FleetStore.Decision?, metrics: [String: Double] = [:]
    ) {
        let now = SystemClock.nowNanos()
        let decision = FleetStore.Decision(
            model: target.model, centralVersion: target.version, localVersion: local, kind: kind, reason: reason, final: final, decidedNanos: now)
        do { try store.record(decision) } catch {
            logger.error("fleet: cannot record the decision about \(target.model) version \(target.version): \(error)", metadata: ["event": "fleet_state_failed"])
        }
        if let earlier, earlier.kind == kind, earlier.reason == reason, earlier.localVersion == local { return }
        let metadata: Logger.Metadata = [
            "event": "fleet_\(kind.rawValue)", "model": "\(target.model)", "central_version": "\(target.version)",
            "local_version": "\(local.map(String.init) ?? "")", "reason": "\(reason)",
        ]
        let text = "fleet: \(target.model) central version \(target.version)\(local.map { " (local version \($0))" } ?? "") \(kind.rawValue): \(reason)"
        switch kind {
        case .deployed, .rejected: logger.notice("\(text)", metadata: metadata)
        case .failed: logger.warning("\(text)", metadata: metadata)
        }
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("model"); w.string(target.model)
        w.key("central_version"); w.string(target.version)
        w.key("local_version"); if let local { w.int(local) } else { w.null() }
        w.key("decision"); w.string(decision.reported)
        w.key("at_ms"); w.int(now / 1_000_000)
        w.key("metrics")
        w.beginObject()
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) where v.isFinite {
            w.key(k); w.double(v)
        }
        w.endObject()
        w.endObject()
        do { try context.registry.enqueueOutbox(kind: .fleetDecision, subject: "fleet:\(target.model)/\(target.version)", payload: w) } catch {
            logger.error("fleet: cannot queue the report about \(target.model) version \(target.version): \(error)", metadata: ["event": "fleet_state_failed"])
        }
    }

    /// Local database work inside a poll: a failure there is retried at the next poll.
    func local<T>(_ body: () throws -> T) throws(SyncFailure) -> T {
        do { return try body() } catch { throw .retryable("fleet state: \(error)") }
    }
}

/// Why a central version could not be imported; `final` when another attempt cannot help
/// (the files are what they are), so it is reported once and not fetched again.
struct FleetFailure: Error {
    var reason: String
    var final: Bool
}
