public import MoteML
#if canImport(Glibc)
import Glibc
#endif

extension ModelTask {
    /// The holdout metrics a version of this task records; promotion may judge by any of them.
    public var metrics: [Metric] {
        switch self {
        case .binary: [.auc, .logloss, .accuracy, .precision, .recall, .f1]
        case .multiclass: [.accuracy, .logloss]
        case .regression: [.rmse, .mae, .r2]
        case .anomaly: []
        }
    }

    /// The metric promotion judges by when a spec names none (nil: every version is promoted).
    public var defaultMetric: Metric? {
        switch self {
        case .binary: .auc
        case .multiclass: .logloss
        case .regression: .rmse
        case .anomaly: nil
        }
    }

    /// The metrics of a task for scores (`classCount` per row for multiclass, else one) against
    /// labels (class indexes for classifiers, values for regression): the holdout metrics a
    /// trained version records and the live metrics feedback gives, computed the same way.
    public func metrics(scores: [Double], labels: [Double], classCount: Int) -> [String: Double] {
        var metrics: [String: Double] = [:]
        switch self {
        case .binary:
            metrics["auc"] = Metrics.auc(labels: labels, scores: scores)
            metrics["logloss"] = Metrics.logLoss(labels: labels, probabilities: scores)
            metrics["accuracy"] = Metrics.accuracy(labels: labels, probabilities: scores)
            let prf = Metrics.precisionRecallF1(labels: labels, probabilities: scores)
            metrics["precision"] = prf.precision
            metrics["recall"] = prf.recall
            metrics["f1"] = prf.f1
        case .regression:
            metrics["rmse"] = Metrics.rmse(labels: labels, predictions: scores)
            metrics["mae"] = Metrics.mae(labels: labels, predictions: scores)
            metrics["r2"] = Metrics.r2(labels: labels, predictions: scores)
        case .multiclass:
            let k = classCount
            var correct = 0
            var loss = 0.0
            for (r, label) in labels.enumerated() {
                let row = scores[(r * k)..<((r + 1) * k)]
                if let best = row.indices.max(by: { row[$0] < row[$1] }), best - r * k == Int(label) { correct += 1 }
                loss -= log(max(1e-15, row[r * k + Int(label)]))
            }
            metrics["accuracy"] = labels.isEmpty ? 0 : Double(correct) / Double(labels.count)
            metrics["logloss"] = labels.isEmpty ? 0 : loss / Double(labels.count)
        case .anomaly:
            let mean = scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)
            metrics["mean_anomaly_score"] = mean
        }
        return metrics
    }
}
