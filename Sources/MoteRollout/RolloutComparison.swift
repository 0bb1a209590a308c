public import MoteCore
import MoteInference
import MoteML
import MoteModels
import MoteMonitoring

/// A rollout's live evidence: each side's labelled predictions and live metrics since it
/// started, how often a shadow agrees with the answers it shadows, and how far the two
/// versions' score distributions drift apart.
public struct RolloutComparison: Sendable {
    public var rollout: Rollout
    /// Labelled predictions of the challenger and of the champion since the start (a shadow
    /// and the champion are compared on the same rows).
    public var challengerLabels: Int
    public var championLabels: Int
    public var challenger: [String: Double]
    public var champion: [String: Double]
    /// Rows the challenger scored since the start (the newest `compareRows` at most).
    public var challengerRows: Int
    public var championRows: Int
    /// A shadow's share of rows whose answer it would have given too (the same class; for a
    /// regression, within 5% of the champion's scores' standard deviation); nil for a canary.
    public var agreement: Double?
    /// Two-sample Kolmogorov-Smirnov test between the versions' first outputs (nil below 2 rows a side).
    public var drift: (statistic: Double, pValue: Double)?

    /// Scored rows read per side for agreement and drift.
    static let compareRows = 50_000

    /// The metric values a decision is recorded with (`challenger.<metric>`, `champion.<metric>`, labels).
    public var evidence: [String: Double] {
        let m = rollout.policy.metric.rawValue
        var out: [String: Double] = ["challenger_labels": Double(challengerLabels), "champion_labels": Double(championLabels)]
        if let v = challenger[m] { out["challenger.\(m)"] = v }
        if let v = champion[m] { out["champion.\(m)"] = v }
        if let agreement { out["agreement"] = agreement }
        return out
    }

    /// The rollout's evidence as the API answers it.
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("mode"); w.string(rollout.mode.rawValue)
        w.key("version"); w.int(rollout.version)
        w.key("champion_version"); w.int(rollout.champion)
        if rollout.mode == .canary { w.key("share"); w.double(rollout.share) }
        w.key("started_at"); w.timestamp(nanos: rollout.startedNanos)
        w.key("policy"); rollout.policy.write(into: &w)
        for (key, labels, rows, metrics) in [("challenger", challengerLabels, challengerRows, challenger), ("champion", championLabels, championRows, champion)] {
            w.key(key)
            w.beginObject()
            w.key("version"); w.int(key == "challenger" ? rollout.version : rollout.champion)
            w.key("rows"); w.int(rows)
            w.key("labels"); w.int(labels)
            w.key("live"); w.beginObject()
            for (k, v) in metrics.sorted(by: { $0.key < $1.key }) { w.key(k); if v.isFinite { w.double(v) } else { w.null() } }
            w.endObject()
            w.endObject()
        }
        w.key("agreement"); if let agreement { w.double(agreement) } else { w.null() }
        w.key("prediction_drift")
        if let drift {
            w.beginObject()
            w.key("method"); w.string("ks")
            w.key("statistic"); w.double(drift.statistic)
            w.key("p_value"); w.double(drift.pValue)
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
    }
}

extension Rollouts {
    /// The rollout's evidence now.
    public func compare(_ r: Rollout) throws -> RolloutComparison {
        // What was answered a moment ago counts: the shadow's queue and the log's writer first.
        shadows.flush(timeoutNanos: 1_000_000_000)
        log.flush(timeoutNanos: 1_000_000_000)
        let champion = try server.model(r.model, String(r.champion))
        let bundle = champion.bundle
        let width = bundle.scoreWidth
        let classes = bundle.classes.count
        func metrics(_ scores: [Double], _ labels: [Double]) -> [String: Double] {
            labels.isEmpty ? [:] : bundle.task.metrics(scores: scores, labels: labels, classCount: classes)
        }
        var c = RolloutComparison(
            rollout: r, challengerLabels: 0, championLabels: 0, challenger: [:], champion: [:], challengerRows: 0, championRows: 0, agreement: nil,
            drift: nil)
        let limit = RolloutComparison.compareRows
        let championScores: [Double]
        let challengerScores: [Double]
        switch r.mode {
        case .shadow:
            // The same labelled rows for both: the answers and the shadow's scores beside them.
            let labelled = try feedback.shadowPairs(model: r.model, shadowVersion: r.version, width: width, sinceNanos: r.startedNanos)
            c.challengerLabels = labelled.labels.count
            c.championLabels = labelled.labels.count
            c.challenger = metrics(labelled.shadow, labelled.labels)
            c.champion = metrics(labelled.answered, labelled.labels)
            let pairs = try log.shadowPairs(model: r.model, shadowVersion: r.version, width: width, sinceNanos: r.startedNanos, limit: limit)
            championScores = pairs.answered
            challengerScores = pairs.shadow
            c.agreement = Self.agreement(pairs.answered, pairs.shadow, task: bundle.task, width: width)
        case .canary:
            let a = try feedback.joined(model: r.model, version: r.version, width: width, sinceNanos: r.startedNanos)
            let b = try feedback.joined(model: r.model, version: r.champion, width: width, sinceNanos: r.startedNanos)
            c.challengerLabels = a.labels.count
            c.championLabels = b.labels.count
            c.challenger = metrics(a.scores, a.labels)
            c.champion = metrics(b.scores, b.labels)
            challengerScores = try log.scores(model: r.model, version: r.version, width: width, sinceNanos: r.startedNanos, shadows: false, limit: limit)
            championScores = try log.scores(model: r.model, version: r.champion, width: width, sinceNanos: r.startedNanos, shadows: false, limit: limit)
        }
        c.challengerRows = challengerScores.count / max(1, width)
        c.championRows = championScores.count / max(1, width)
        if c.challengerRows >= 2, c.championRows >= 2 {
            let first = { (s: [Double]) in stride(from: 0, to: s.count, by: width).map { s[$0] } }
            let ks = DriftStatistics.kolmogorovSmirnov(first(championScores), first(challengerScores))
            c.drift = (ks.statistic, ks.pValue)
        }
        return c
    }

    /// The share of rows where the shadow's answer is the champion's: the same class, or for a
    /// regression within 5% of the standard deviation of the champion's scores.
    static func agreement(_ a: [Double], _ b: [Double], task: ModelTask, width: Int) -> Double? {
        let rows = min(a.count, b.count) / max(1, width)
        guard rows > 0 else { return nil }
        var same = 0
        switch task {
        case .binary:
            for r in 0..<rows where (a[r] >= 0.5) == (b[r] >= 0.5) { same += 1 }
        case .multiclass:
            func argmax(_ s: [Double], _ r: Int) -> Int {
                var best = 0
                for k in 1..<width where s[r * width + k] > s[r * width + best] { best = k }
                return best
            }
            for r in 0..<rows where argmax(a, r) == argmax(b, r) { same += 1 }
        case .regression, .anomaly:
            let mean = a.prefix(rows).reduce(0, +) / Double(rows)
            let sd = (a.prefix(rows).reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rows)).squareRoot()
            for r in 0..<rows where abs(a[r] - b[r]) <= 0.05 * sd { same += 1 }
        }
        return Double(same) / Double(rows)
    }
}
