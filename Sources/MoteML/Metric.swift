/// The evaluation metrics by name, as runs record them and promotion policies judge them.
public enum Metric: String, Sendable, Equatable, Hashable, CaseIterable {
    case auc, logloss, accuracy, precision, recall, f1
    case rmse, mae, r2
    /// An isolation forest's mean score on the holdout (no labels to judge it by).
    case meanAnomalyScore = "mean_anomaly_score"

    /// Whether a better model has a smaller value (losses and errors).
    public var smallerIsBetter: Bool {
        switch self {
        case .logloss, .rmse, .mae: true
        case .auc, .accuracy, .precision, .recall, .f1, .r2, .meanAnomalyScore: false
        }
    }

    /// Whether a better model has this metric higher or lower.
    public var direction: MetricDirection { smallerIsBetter ? .minimize : .maximize }
}

/// Which way a metric improves.
public enum MetricDirection: String, Sendable, Equatable, CaseIterable {
    case maximize
    case minimize
}
