public import MoteCore

/// What a view's data looks like now: per field over a window, the rows pushed, their nulls
/// and the values that broke each rule; and how fresh its entities are.
public struct ViewQuality: Sendable {
    /// One field's counts over the window.
    public struct Field: Sendable {
        public var name: String
        public var counts: DataQuality.Counts
        /// Nulls over rows (0 without rows).
        public var nullShare: Double
        /// The null share is over the view's `max_null_share`.
        public var nullShareExceeded: Bool
        /// Values that broke a rule, all rules together.
        public var brokenValues: Int { counts.broken.values.reduce(0, +) }
        /// Over `max_null_share` or with a broken value in the window.
        public var failing: Bool { nullShareExceeded || brokenValues > 0 }
    }

    public var view: String
    public var windowNanos: Int64
    public var onInvalid: ViewExpectations.OnInvalid
    public var maxNullShare: Double?
    public var fields: [Field]
    /// Entities cached online.
    public var entities: Int
    public var newestEventNanos: Int64?
    /// `expect_every`, and the entities silent for longer (nil without `expect_every`).
    public var expectEveryNanos: Int64?
    public var staleEntities: Int?
}

/// The entities of a view that have not reported within its `expect_every`.
public struct StaleEntities: Sendable {
    public var view: String
    public var expectEveryNanos: Int64
    /// Entities cached online.
    public var entities: Int
    /// Key and newest event time of each stale entity, the longest silent first.
    public var stale: [(key: String, eventNanos: Int64)]
}

extension ErrorCode {
    /// A quality window longer than the hour that is kept, or not a duration (400).
    public static let invalidWindow: ErrorCode = "invalid_window"
    /// Staleness asked of a view without `expect_every` (409).
    public static let noCadence: ErrorCode = "no_cadence"
}

extension FeatureStore {
    /// The quality of view `name` over the last `window` (nil: the whole kept window).
    public func quality(view name: String, now: Int64, window: Int64? = nil) throws(DomainError) -> ViewQuality {
        let view = try definedView(name)
        if let window, window <= 0 || window > quality.windowNanos {
            throw DomainError(
                .malformed, .invalidWindow, "the quality window must be above 0 and at most \(DurationText.format(nanos: quality.windowNanos))")
        }
        let counts = quality.report(view: view.name, now: now, window: window)
        let fields = view.fields.map { field -> ViewQuality.Field in
            let c = counts[field.name] ?? DataQuality.Counts()
            let share = c.rows > 0 ? Double(c.nulls) / Double(c.rows) : 0
            return ViewQuality.Field(
                name: field.name, counts: c, nullShare: share,
                nullShareExceeded: view.expectations.maxNullShare.map { c.rows > 0 && share > $0 } ?? false)
        }
        var stale: Int?
        if let every = view.expectations.expectEveryNanos {
            stale = cache.count(viewID: view.id, eventBefore: now - every)
        }
        return ViewQuality(
            view: view.name, windowNanos: window ?? quality.windowNanos, onInvalid: view.expectations.onInvalid,
            maxNullShare: view.expectations.maxNullShare, fields: fields, entities: cache.count(viewID: view.id),
            newestEventNanos: cache.newestEvent(viewID: view.id), expectEveryNanos: view.expectations.expectEveryNanos, staleEntities: stale)
    }

    /// The entities of view `name` whose newest event is older than its `expect_every` at
    /// `now`, the longest silent first (409 `no_cadence` for a view without one).
    public func staleEntities(view name: String, now: Int64) throws(DomainError) -> StaleEntities {
        let view = try definedView(name)
        guard let every = view.expectations.expectEveryNanos else {
            throw DomainError(.conflict, .noCadence, "feature view '\(view.name)' declares no expect_every; add one to watch its entities")
        }
        let found = cache.entities(viewID: view.id, eventBefore: now - every)
        return StaleEntities(
            view: view.name, expectEveryNanos: every, entities: found.total,
            stale: found.matching.sorted { ($0.eventNanos, $0.key) < ($1.eventNanos, $1.key) })
    }

    /// The quality of the views features `view:field` come from (a model's inputs), in order of
    /// first use, each with the fields named; empty when the names no longer resolve.
    public func quality(ofFeatures names: [String], now: Int64) -> [(quality: ViewQuality, fields: Set<String>)] {
        guard let features = try? FeatureReference.resolve(names, in: definitions.set, fullNames: true) else { return [] }
        var order: [String] = []
        var fields: [String: Set<String>] = [:]
        for f in features {
            if fields[f.view.name] == nil { order.append(f.view.name) }
            fields[f.view.name, default: []].insert(f.view.fields[f.fieldIndex].name)
        }
        return order.compactMap { name in (try? quality(view: name, now: now)).map { ($0, fields[name] ?? []) } }
    }

    /// The applied view `name` (404 `not_found` without one).
    func definedView(_ name: String) throws(DomainError) -> FeatureViewDefinition {
        guard let view = definitions.set.view(name) else { throw DomainError.notFound("no feature view '\(name)'") }
        return view
    }
}
