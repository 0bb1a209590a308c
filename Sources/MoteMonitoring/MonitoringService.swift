public import Logging
public import MoteCore
public import MoteInference
import MoteFeatures
import MoteML
import MoteModels
import Synchronization

/// What monitoring knows about one served model version at one moment.
public struct ModelReport: Sendable {
    public var model: String
    public var version: Int
    public var task: String
    public var atNanos: Int64
    public var window: LiveProfiles.Window?
    /// Rows the version's reference profile was built from; 0: it has none (an imported model
    /// without a reference), and drift is not judged.
    public var referenceRows: Int
    /// nil while the window has fewer rows than `monitoring.min_rows`, or without a reference.
    public var drift: DriftResult?
    /// Rows with feedback in the window and the live metrics over them (empty below `min_feedback`).
    public var feedbackRows: Int
    public var live: [String: Double]
    public var holdout: [String: Double]
    /// Metrics whose live value is worse than the holdout's by more than `max_metric_drop`.
    public var degraded: [String]
}

/// Watches the served models: every check merges each version's live window, runs the drift
/// tests against its bundle's reference profile, computes live metrics from feedback, and
/// writes one journal entry when a drift or a degradation starts (warning) and one when it
/// ends (notice) — none while the state holds. A dataset drift that starts asks for a retrain
/// (`onDatasetDrift`); a summary (no raw rows) goes to the outbox every `summary_interval`
/// and whenever a state changes.
public final class MonitoringService: Sendable {
    private let server: ModelServer
    private let profiles: LiveProfiles
    private let feedback: FeedbackStore
    private let logger: Logger
    private let config: Live<MonitoringSettings>
    private let onDatasetDrift: @Sendable (_ model: String, _ version: Int) -> Void
    private let summary: @Sendable (_ report: ModelReport) -> Void
    private let gauges: @Sendable (_ report: ModelReport) -> Void
    /// Drift scores per served version over the last checks.
    public let history = DriftHistory()

    private struct State {
        /// Drifted or degraded, per "model@version/what", as last judged.
        var flags: [String: Bool] = [:]
        /// When the last summary of a model version went out.
        var summarised: [String: Int64] = [:]
    }
    private let state = Mutex(State())

    /// What is wrong now, as last judged: per model version, the inputs (and `prediction`, or
    /// `*` for the dataset) that drift and the live metrics that are degraded.
    public func activeAlerts() -> [(model: String, what: String)] {
        state.withLock { s in
            s.flags.filter(\.value).keys.sorted().compactMap { key in
                guard let slash = key.firstIndex(of: "/") else { return nil }
                return (String(key[..<slash]), String(key[key.index(after: slash)...]))
            }
        }
    }

    /// Live metrics compared with the holdout for degradation.
    static let judgedMetrics = ["accuracy", "auc", "logloss", "rmse", "mae"]

    public init(
        server: ModelServer, profiles: LiveProfiles, feedback: FeedbackStore, logger: Logger, config: Live<MonitoringSettings>,
        onDatasetDrift: @escaping @Sendable (String, Int) -> Void, summary: @escaping @Sendable (ModelReport) -> Void,
        gauges: @escaping @Sendable (ModelReport) -> Void
    ) {
        self.server = server
        self.profiles = profiles
        self.feedback = feedback
        self.logger = logger
        self.config = config
        self.onDatasetDrift = onDatasetDrift
        self.summary = summary
        self.gauges = gauges
    }

    /// The report of a served version now.
    public func evaluate(_ model: LoadedModel, now: Int64) throws -> ModelReport {
        let c = config.current
        let bundle = model.bundle
        let window = profiles.window(model: model.name, version: model.version, now: now)
        var drift: DriftResult?
        if let window, window.rows >= c.minRows, bundle.profile.rows > 0 {
            drift = DriftCheck.check(bundle: bundle, window: window, config: c, model: model.name)
        }
        let joined = try feedback.joined(model: model.name, version: model.version, width: bundle.scoreWidth, sinceNanos: now - c.windowNanos)
        var live: [String: Double] = [:]
        var degraded: [String] = []
        let holdout = bundle.training.metrics
        if joined.labels.count >= c.minFeedback {
            live = bundle.task.metrics(scores: joined.scores, labels: joined.labels, classCount: bundle.classes.count)
            for (name, value) in live.sorted(by: { $0.key < $1.key }) {
                guard let reference = holdout[name], reference.isFinite, value.isFinite, Self.judgedMetrics.contains(name) else { continue }
                let worse = Metric(rawValue: name)?.smallerIsBetter == true ? value - reference : reference - value
                if worse > c.maxMetricDrop * abs(reference) { degraded.append(name) }
            }
        }
        return ModelReport(
            model: model.name, version: model.version, task: bundle.task.rawValue, atNanos: now, window: window,
            referenceRows: bundle.profile.rows, drift: drift,
            feedbackRows: joined.labels.count, live: live, holdout: holdout, degraded: degraded)
    }

    /// One pass over the served models; returns how many state changes it logged.
    @discardableResult
    public func checkAll(now: Int64 = SystemClock.nowNanos()) -> Int {
        let c = config.current
        guard c.enabled else {
            // Turned off by a reload: what was gathered is stale by the time it is turned on.
            profiles.clear()
            return 0
        }
        var changes = 0
        for (name, _) in server.served {
            guard let model = try? server.model(name) else { continue }
            do {
                let report = try evaluate(model, now: now)
                gauges(report)
                history.record(report)
                let changed = judge(report)
                changes += changed
                let key = LiveProfiles.key(report.model, report.version)
                let due = state.withLock { s -> Bool in
                    let last = s.summarised[key]
                    let due = changed > 0 || (c.summaryIntervalNanos > 0 && (last.map { now - $0 >= c.summaryIntervalNanos } ?? true))
                    if due { s.summarised[key] = now }
                    return due
                }
                if due, report.window != nil { summary(report) }
            } catch {
                logger.warning("monitoring check failed: \(error)", metadata: ["event": "monitoring_check_failed", "model": "\(name)"])
            }
        }
        return changes
    }

    /// Compares the report's states with the last ones; logs each change once.
    private func judge(_ report: ModelReport) -> Int {
        var changes = 0
        let prefix = LiveProfiles.key(report.model, report.version)
        func flip(_ what: String, _ now: Bool) -> Bool {
            state.withLock { s in
                let before = s.flags["\(prefix)/\(what)"] ?? false
                s.flags["\(prefix)/\(what)"] = now
                return before != now
            }
        }
        let rows = report.window?.rows ?? 0
        if let drift = report.drift {
            for f in drift.features + (drift.prediction.map { [$0] } ?? []) where flip("drift/\(f.name)", f.drifted) {
                changes += 1
                let metadata: Logger.Metadata = [
                    "event": "\(f.drifted ? "drift_started" : "drift_ended")", "model": "\(report.model)", "version": "\(report.version)",
                    "feature": "\(f.name)", "drift_method": "\(f.method)", "drift_score": "\(f.score)", "drift_threshold": "\(f.threshold)",
                    "window_rows": "\(rows)",
                ]
                if f.drifted {
                    logger.warning("drift started: \(report.model) v\(report.version) \(f.name) (\(f.method) \(f.score), threshold \(f.threshold))", metadata: metadata)
                } else {
                    logger.notice("drift ended: \(report.model) v\(report.version) \(f.name) (\(f.method) \(f.score))", metadata: metadata)
                }
            }
            if flip("dataset", drift.datasetDrift) {
                changes += 1
                let metadata: Logger.Metadata = [
                    "event": "\(drift.datasetDrift ? "drift_started" : "drift_ended")", "model": "\(report.model)", "version": "\(report.version)",
                    "feature": "*", "drift_method": "share_of_drifted_features", "drift_score": "\(drift.share)",
                    "drift_threshold": "\(drift.shareThreshold)", "window_rows": "\(rows)",
                ]
                if drift.datasetDrift {
                    logger.warning("dataset drift started: \(report.model) v\(report.version), \(Int((drift.share * 100).rounded()))% of inputs drift", metadata: metadata)
                    onDatasetDrift(report.model, report.version)
                } else {
                    logger.notice("dataset drift ended: \(report.model) v\(report.version)", metadata: metadata)
                }
            }
        }
        for name in Self.judgedMetrics where report.holdout[name] != nil {
            // A metric is judged only while there is enough feedback; without it the state holds.
            guard let value = report.live[name] else { continue }
            let bad = report.degraded.contains(name)
            guard flip("metric/\(name)", bad) else { continue }
            changes += 1
            let metadata: Logger.Metadata = [
                "event": "\(bad ? "performance_degraded" : "performance_recovered")", "model": "\(report.model)", "version": "\(report.version)",
                "metric": "\(name)", "live_value": "\(value)", "holdout_value": "\(report.holdout[name] ?? 0)", "feedback_rows": "\(report.feedbackRows)",
                "window_rows": "\(rows)",
            ]
            if bad {
                logger.warning("performance degraded: \(report.model) v\(report.version) \(name) \(value) (holdout \(report.holdout[name] ?? 0))", metadata: metadata)
            } else {
                logger.notice("performance recovered: \(report.model) v\(report.version) \(name) \(value)", metadata: metadata)
            }
        }
        return changes
    }
}
