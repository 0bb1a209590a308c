import MoteCore
import MoteFeatures
import MoteServer
import Prometheus

/// Feature metrics: rows pushed and rejected per view, freshness per view.
final class FeatureMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The pushed-rows counter of each view, kept: making one takes the registry's lock and
    /// builds its label key, once per push otherwise.
    private let pushedCounters = LockedValue<[String: Counter]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func pushed(view: String, rows: Int) {
        let counter =
            pushedCounters.withLock { $0[view] }
            ?? {
                let made = registry.makeCounter(
                    descriptor: .mote("feature_rows_pushed", unit: "total", help: "Feature rows stored by pushes."), labels: [("view", view)])
                pushedCounters.withLock { counters in
                    if counters.count >= 10_000 { counters.removeAll() }  // bounded, should views churn
                    counters[view] = made
                }
                return made
            }()
        counter.increment(by: Int64(rows))
    }

    func rejected(view: String?, rows: Int) {
        registry.makeCounter(
            descriptor: .mote("feature_rows_rejected", unit: "total", help: "Feature rows in pushes refused as invalid."),
            labels: [("view", view ?? "unknown")]
        ).increment(by: Int64(rows))
    }

    /// Sets each view's freshness gauge (seconds since its newest event) and the count of
    /// pushed rows waiting to be merged into the history.
    func updateFreshness(_ store: FeatureStore) {
        registry.makeGauge(
            descriptor: .mote("feature_unmerged_rows", help: "Pushed rows not yet merged into the feature history.")
        ).set(Double(store.unmergedRows))
        let now = SystemClock.nowNanos()
        for view in store.definitions.set.views {
            guard let newest = store.cache.newestEvent(viewID: view.id) else { continue }
            registry.makeGauge(
                descriptor: .mote("feature_freshness", unit: "seconds", help: "Seconds since the newest event of a feature view."),
                labels: [("view", view.name)]
            ).set(Double(now - newest) / 1e9)
        }
        updateQuality(store, now: now)
    }

    /// Sets the data-quality gauges of views with expectations (null share and broken values
    /// per field over the quality window) and the stale-entity gauge of views with `expect_every`.
    private func updateQuality(_ store: FeatureStore, now: Int64) {
        for view in store.definitions.set.views where view.declaresExpectations || view.expectations.expectEveryNanos != nil {
            guard let quality = try? store.quality(view: view.name, now: now) else { continue }
            if let stale = quality.staleEntities {
                registry.makeGauge(
                    descriptor: .mote("feature_stale_entities", help: "Entities of a feature view silent for longer than its expect_every."),
                    labels: [("view", view.name)]
                ).set(Double(stale))
            }
            guard view.declaresExpectations else { continue }
            for (declared, field) in zip(view.fields, quality.fields) {
                registry.makeGauge(
                    descriptor: .mote("feature_null_share", help: "Share of null values of a field pushed in the data-quality window."),
                    labels: [("view", view.name), ("field", field.name)]
                ).set(field.nullShare)
                for rule in declared.expectations.rules {
                    registry.makeGauge(
                        descriptor: .mote("feature_broken_values", help: "Pushed values that broke a rule in the data-quality window."),
                        labels: [("view", view.name), ("field", field.name), ("rule", rule)]
                    ).set(Double(field.counts.broken[rule] ?? 0))
                }
            }
        }
    }
}
