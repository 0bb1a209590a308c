import Dispatch
public import Logging
public import MoteCore
import MoteModels
public import MoteRegistry
import Synchronization

import CMalloc

/// The models moted serves. A model's `champion` is loaded on first use (or at start) and
/// kept; when the registry moves `champion`, the new version is loaded beside the old one on
/// a background thread and swapped in atomically — requests in flight finish on the version
/// they started with, none waits on a load, and a version that fails to load is refused
/// while the old one keeps serving. Other versions and aliases load on demand into a small
/// cache. A version with no traffic for `inference.idle_unload` is unloaded (it loads again on
/// its next request, which waits for the load, never fails for it) unless its model is in
/// `inference.preload`, and loaded versions are held within `inference.max_loaded_mib`, the
/// least recently used going first.
public final class ModelServer: Sendable {
    let registry: RegistryStore
    private let artifacts: ArtifactStore
    private let logger: Logger
    private struct State {
        /// Served default (champion, else newest) per model.
        var defaults: [String: LoadedModel] = [:]
        /// Explicit versions by "name@version".
        var versions: [String: LoadedModel] = [:]
        /// Loads in progress (name), so a burst of events loads once.
        var loading: Set<String> = []
        /// Models whose champion moved again while a swap was loading: the swap loads again.
        var movedWhileLoading: Set<String> = []
        /// Versions that failed to load, by "name@version": the reason.
        var refused: [String: String] = [:]
        /// The version rolling out beside each model's default, if any.
        var challengers: [String: Challenger] = [:]
    }
    private let state = Mutex(State())
    private let settings: Live<InferenceSettings>
    /// A version was unloaded since the last sweep: the sweep hands freed memory back.
    private let trimDue = Atomic<Bool>(false)
    static let versionCacheLimit = 16

    public init(registry: RegistryStore, artifacts: ArtifactStore, logger: Logger, settings: Live<InferenceSettings>) {
        self.registry = registry
        self.artifacts = artifacts
        self.logger = logger
        self.settings = settings
        registry.events.subscribe { [weak self] event in self?.handle(event) }
    }

    /// The model to serve for `reference`: nil means `champion`, else the newest version; a
    /// number or an alias names a version.
    public func model(_ name: String, _ reference: String? = nil) throws(DomainError) -> LoadedModel {
        if reference == nil, let loaded = state.withLock({ $0.defaults[name] }) {
            loaded.touch(SystemClock.monotonicNanos())
            return loaded
        }
        let version: ModelVersion
        do {
            if let reference {
                version = try registry.resolve(model: name, reference)
            } else if let champion = try? registry.resolve(model: name, "champion") {
                version = champion
            } else {
                version = try registry.resolve(model: name, "latest")
            }
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError.internalError("\(error)")
        }
        let key = "\(name)@\(version.version)"
        if let cached = state.withLock({ $0.versions[key] ?? ($0.defaults[name]?.version == version.version ? $0.defaults[name] : nil) }) {
            if reference == nil { state.withLock { $0.defaults[name] = cached } }
            cached.touch(SystemClock.monotonicNanos())
            return cached
        }
        let loaded = try load(name, version)
        state.withLock { s in
            if reference == nil {
                s.defaults[name] = loaded
            } else {
                if s.versions.count >= Self.versionCacheLimit { s.versions.removeAll() }
                s.versions[key] = loaded
            }
        }
        evict(keeping: loaded)
        return loaded
    }

    /// The model to serve by default for `name` and the version rolling out beside it (a
    /// shadow or a canary), read together.
    public func serving(_ name: String) throws(DomainError) -> (model: LoadedModel, challenger: Challenger?) {
        if let hit = state.withLock({ s in s.defaults[name].map { ($0, s.challengers[name]) } }) {
            hit.0.touch(SystemClock.monotonicNanos())
            return hit
        }
        let loaded = try model(name)
        return (loaded, state.withLock { $0.challengers[name] })
    }

    /// Sets (or, with nil, ends) the version rolling out beside `name`'s default.
    public func setChallenger(_ name: String, _ challenger: Challenger?) {
        state.withLock { $0.challengers[name] = challenger }
    }

    /// The version rolling out beside `name`'s default, if any.
    public func challenger(_ name: String) -> Challenger? {
        state.withLock { $0.challengers[name] }
    }

    /// Models loaded now: name -> served default version.
    public var served: [(name: String, version: Int)] {
        state.withLock { $0.defaults.map { ($0.key, $0.value.version) }.sorted { $0.name < $1.name } }
    }

    /// Loads the default version of every named model (at start, from config).
    public func preload(_ names: [String]) {
        for name in names {
            do {
                let m = try model(name)
                logger.info("model loaded", metadata: ["event": "model_loaded", "model": "\(name)", "version": "\(m.version)"])
            } catch {
                logger.error("model could not be loaded at start: \(error)", metadata: ["event": "model_load_failed", "model": "\(name)"])
            }
        }
    }

    /// Reads, checks (digest and bundle) and prepares a version.
    func load(_ name: String, _ version: ModelVersion) throws(DomainError) -> LoadedModel {
        let key = "\(name)@\(version.version)"
        if let reason = state.withLock({ $0.refused[key] }) {
            throw DomainError(.unavailable, "model_unavailable", "model '\(name)' version \(version.version) cannot be served: \(reason)")
        }
        let bytes = try artifacts.read(version.artifactDigest)
        do {
            let bundle = try ModelBundle.decode(bytes)
            return LoadedModel(
                name: name, version: version.version, digest: version.artifactDigest, bundle: bundle, loadedAtNanos: SystemClock.nowNanos(),
                artifactBytes: bytes.count)
        } catch {
            state.withLock { $0.refused[key] = error.message }
            logger.error(
                "model version refused: \(error.message)",
                metadata: ["event": "model_refused", "model": "\(name)", "version": "\(version.version)"])
            throw DomainError(.unavailable, "model_unavailable", "model '\(name)' version \(version.version) cannot be served: \(error.message)")
        }
    }

    private func handle(_ event: RegistryEvent) {
        guard case .aliasMoved(let name, let alias, let version) = event, alias == "champion" else { return }
        // Only models already served are swapped; others load on first use. A move while a
        // swap loads is not lost: that swap loads again, whatever champion is then.
        let start = state.withLock { s -> Bool in
            guard s.defaults[name] != nil else { return false }
            if s.loading.contains(name) {
                s.movedWhileLoading.insert(name)
                return false
            }
            s.loading.insert(name)
            return true
        }
        guard start else { return }
        DispatchQueue.global().async { [self] in
            var version = version
            while true {
                swap(name, to: version)
                let again = state.withLock { s -> Bool in
                    if s.movedWhileLoading.remove(name) != nil { return true }
                    s.loading.remove(name)
                    return false
                }
                guard again else { return }
                version = (try? registry.resolve(model: name, "champion"))?.version
            }
        }
    }

    /// Loads `version` (nil: the latest, when no champion is left) and serves it as the
    /// model's default; a version that cannot load leaves the previous one serving.
    private func swap(_ name: String, to version: Int?) {
        do {
            let target: ModelVersion
            if let version {
                target = try registry.version(model: name, version)
            } else {
                target = try registry.resolve(model: name, "latest")
            }
            let loaded = try load(name, target)
            let old = state.withLock { s -> Int? in
                let old = s.defaults[name]?.version
                s.defaults[name] = loaded
                return old
            }
            logger.notice(
                "model swapped in", metadata: ["event": "model_swapped", "model": "\(name)", "version": "\(target.version)", "previous": "\(old.map(String.init) ?? "-")"])
        } catch {
            logger.error(
                "champion moved but the new version cannot be served; the previous one keeps serving: \(error)",
                metadata: ["event": "model_swap_failed", "model": "\(name)", "version": "\(version.map(String.init) ?? "-")"])
        }
    }

    // MARK: - Memory

    /// The loaded versions (served defaults, versions asked for by number or alias, rolling-out
    /// challengers), each once.
    public var loaded: [LoadedModel] {
        state.withLock { s in
            var seen = Set<ObjectIdentifier>()
            return (Array(s.defaults.values) + Array(s.versions.values) + s.challengers.values.map(\.model)).filter { seen.insert(ObjectIdentifier($0)).inserted }
        }
    }

    /// Unloads the versions that have answered nothing for `inference.idle_unload` (none of a
    /// model in `inference.preload`, none rolling out); returns them.
    @discardableResult
    public func unloadIdle(nowMonotonic: UInt64 = SystemClock.monotonicNanos()) -> [LoadedModel] {
        let c = settings.current
        guard c.idleUnloadNanos > 0 else { return [] }
        let limit = UInt64(c.idleUnloadNanos)
        let keep = Set(c.preload)
        let gone = state.withLock { s -> [LoadedModel] in
            var out: [LoadedModel] = []
            for (name, m) in s.defaults where !keep.contains(name) && nowMonotonic &- m.lastUsedMonotonic > limit && s.challengers[name] == nil {
                s.defaults[name] = nil
                out.append(m)
            }
            for (key, m) in s.versions where !keep.contains(m.name) && nowMonotonic &- m.lastUsedMonotonic > limit {
                s.versions[key] = nil
                out.append(m)
            }
            return out
        }
        for m in gone { report(m, reason: "idle") }
        return gone
    }

    /// The periodic pass: idle versions unloaded, then the rest held within the bound (which a
    /// reload may have lowered).
    public func sweep() {
        unloadIdle()
        evict(keeping: nil)
        // The unloaded versions are freed once the last request holding one ends; the
        // allocator keeps freed pages for reuse unless asked to hand them back.
        if trimDue.exchange(false, ordering: .relaxed) {
            malloc_trim(0)
        }
    }

    /// Holds the loaded versions within `inference.max_loaded_mib`: the least recently used
    /// other than `keeping` (and other than a rolling-out challenger or a `preload` model) are
    /// unloaded until they fit.
    func evict(keeping: LoadedModel?) {
        let limit = settings.current.maxLoadedBytes
        guard limit > 0 else { return }
        let keep = Set(settings.current.preload)
        let gone = state.withLock { s -> [LoadedModel] in
            var seen = Set<ObjectIdentifier>()
            let all = (Array(s.defaults.values) + Array(s.versions.values) + s.challengers.values.map(\.model)).filter { seen.insert(ObjectIdentifier($0)).inserted }
            var total = all.reduce(0) { $0 + $1.memoryBytes }
            guard total > limit else { return [] }
            let held = Set(s.challengers.values.map { ObjectIdentifier($0.model) })
            var out: [LoadedModel] = []
            for m in all.sorted(by: { $0.lastUsedMonotonic < $1.lastUsedMonotonic }) where total > limit {
                guard m !== keeping, !held.contains(ObjectIdentifier(m)), !keep.contains(m.name) else { continue }
                for (name, d) in s.defaults where d === m { s.defaults[name] = nil }
                for (key, v) in s.versions where v === m { s.versions[key] = nil }
                total -= m.memoryBytes
                out.append(m)
            }
            return out
        }
        for m in gone { report(m, reason: "memory") }
    }

    private func report(_ m: LoadedModel, reason: String) {
        trimDue.store(true, ordering: .relaxed)
        logger.notice(
            "model unloaded (\(reason == "idle" ? "no traffic for inference.idle_unload" : "over inference.max_loaded_mib, least recently used")); it loads again on its next request",
            metadata: ["event": "model_unloaded", "model": "\(m.name)", "version": "\(m.version)", "reason": "\(reason)", "bytes": "\(m.memoryBytes)"])
    }
}
