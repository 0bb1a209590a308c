public import Logging
public import MoteCore
public import MoteFeatures
import Synchronization

/// Watches the data of feature views with expectations: every check, a field that starts
/// failing its rules (null share over `max_null_share`, values that broke a rule in the
/// quality window) is one journal warning and one notice when it stops; an entity silent for
/// longer than its view's `expect_every` is one `entity_stale` warning and one
/// `entity_recovered` notice when it reports again. Beyond `stale_log_max` entities per view
/// and check, the rest are one entry with their count.
///
/// The state is in memory: after a restart, fields that fail and entities that are stale are
/// reported once again.
public final class DataWatch: Sendable {
    private let store: FeatureStore
    private let logger: Logger
    private let config: Live<MonitoringSettings>

    private struct State {
        /// Failing fields, as "view/field".
        var failing: Set<String> = []
        /// Per view, the stale entities and the event time they went stale with.
        var stale: [String: [String: Int64]] = [:]
    }
    private let state = Mutex(State())

    public init(store: FeatureStore, logger: Logger, config: Live<MonitoringSettings>) {
        self.store = store
        self.logger = logger
        self.config = config
    }

    /// What is wrong with the data now, as last checked: fields that fail their rules (view,
    /// field) and views with stale entities (view, their count).
    public func activeAlerts() -> (failing: [(view: String, field: String)], stale: [(view: String, entities: Int)]) {
        state.withLock { s in
            let failing = s.failing.sorted().compactMap { key -> (String, String)? in
                guard let slash = key.firstIndex(of: "/") else { return nil }
                return (String(key[..<slash]), String(key[key.index(after: slash)...]))
            }
            let stale = s.stale.filter { !$0.value.isEmpty }.map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
            return (failing, stale)
        }
    }

    /// One pass over the views with expectations; returns how many journal entries it wrote.
    @discardableResult
    public func check(now: Int64 = SystemClock.nowNanos()) -> Int {
        let views = store.definitions.set.views
        var entries = 0
        var failingNow: Set<String> = []
        var watched: Set<String> = []
        for view in views where view.declaresExpectations {
            guard let quality = try? store.quality(view: view.name, now: now) else { continue }
            for field in quality.fields where field.failing { failingNow.insert("\(view.name)/\(field.name)") }
            entries += judgeFields(quality)
        }
        for view in views {
            guard let found = try? store.staleEntities(view: view.name, now: now) else { continue }
            watched.insert(view.name)
            entries += judgeEntities(found, now: now)
        }
        state.withLock { s in
            // Fields and views no longer declared leave the state silently.
            s.failing.formIntersection(failingNow)
            for name in s.stale.keys where !watched.contains(name) { s.stale[name] = nil }
        }
        return entries
    }

    private func judgeFields(_ quality: ViewQuality) -> Int {
        var entries = 0
        for field in quality.fields {
            let key = "\(quality.view)/\(field.name)"
            let changed = state.withLock { s in field.failing ? s.failing.insert(key).inserted : s.failing.remove(key) != nil }
            guard changed else { continue }
            entries += 1
            let broken = field.counts.broken.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
            let share = Int((field.nullShare * 100).rounded())
            let metadata: Logger.Metadata = [
                "event": "\(field.failing ? "data_quality_failing" : "data_quality_recovered")", "feature_view": "\(quality.view)",
                "field": "\(field.name)", "rows": "\(field.counts.rows)", "nulls": "\(field.counts.nulls)", "null_share": "\(field.nullShare)",
                "broken": "\(broken)", "window": "\(DurationText.format(nanos: quality.windowNanos))",
            ]
            if field.failing {
                var what: [String] = []
                if field.nullShareExceeded { what.append("\(share)% nulls (max \(Int(((quality.maxNullShare ?? 0) * 100).rounded()))%)") }
                if field.brokenValues > 0 {
                    what.append("\(field.brokenValues) of \(field.counts.rows) values break \(field.counts.broken.keys.sorted().joined(separator: ", "))")
                }
                logger.warning(
                    "data quality failing: \(quality.view):\(field.name), \(what.joined(separator: "; ")) in the last \(DurationText.format(nanos: quality.windowNanos))",
                    metadata: metadata)
            } else {
                logger.notice("data quality recovered: \(quality.view):\(field.name)", metadata: metadata)
            }
        }
        return entries
    }

    private func judgeEntities(_ found: StaleEntities, now: Int64) -> Int {
        let limit = config.current.staleLogMax
        let current = Dictionary(found.stale.map { ($0.key, $0.eventNanos) }, uniquingKeysWith: { a, _ in a })
        let (wentStale, recovered) = state.withLock { s -> ([(String, Int64)], [String]) in
            let before = s.stale[found.view] ?? [:]
            s.stale[found.view] = current
            let wentStale = found.stale.filter { before[$0.key] == nil }.map { ($0.key, $0.eventNanos) }
            let recovered = before.keys.filter { current[$0] == nil }.sorted()
            return (wentStale, recovered)
        }
        let every = DurationText.format(nanos: found.expectEveryNanos)
        var entries = 0
        for (key, event) in wentStale.prefix(limit) {
            entries += 1
            logger.warning(
                "entity stale: \(found.view) \(key) has not reported for \(DurationText.format(nanos: now - event)) (expected every \(every))",
                metadata: [
                    "event": "entity_stale", "feature_view": "\(found.view)", "entity": "\(key)",
                    "last_event": "\(RFC3339.format(nanos: event))", "expect_every": "\(every)",
                ])
        }
        for key in recovered.prefix(limit) {
            entries += 1
            let last = store.cache.lookup(viewID: viewID(found.view), key: key)?.eventNanos
            logger.notice(
                "entity recovered: \(found.view) \(key) reports again",
                metadata: [
                    "event": "entity_recovered", "feature_view": "\(found.view)", "entity": "\(key)",
                    "last_event": "\(last.map { RFC3339.format(nanos: $0) } ?? "")",
                ])
        }
        let moreStale = max(0, wentStale.count - limit)
        let moreRecovered = max(0, recovered.count - limit)
        if moreStale > 0 || moreRecovered > 0 {
            entries += 1
            logger.warning(
                "entities of \(found.view): \(moreStale) more went stale, \(moreRecovered) more recovered; \(found.stale.count) of \(found.entities) are stale",
                metadata: [
                    "event": "entities_stale", "feature_view": "\(found.view)", "went_stale": "\(moreStale)", "recovered": "\(moreRecovered)",
                    "stale": "\(found.stale.count)", "entities": "\(found.entities)",
                ])
        }
        return entries
    }

    private func viewID(_ name: String) -> Int { store.definitions.set.view(name)?.id ?? -1 }
}
