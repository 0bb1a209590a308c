public import MoteML

/// When a candidate replaces the champion: its holdout metric must beat the champion's, on
/// the same holdout, by at least `minImprovement`, and no guard metric may get worse.
public struct PromotionPolicy: Sendable, Equatable {
    public var metric: Metric
    public var direction: MetricDirection
    public var minImprovement: Double
    /// Metrics that must not get worse than the champion's (each in its natural direction).
    public var guards: [Metric]

    public init(metric: Metric, direction: MetricDirection? = nil, minImprovement: Double = 0, guards: [Metric] = []) {
        self.metric = metric
        self.direction = direction ?? metric.direction
        self.minImprovement = minImprovement
        self.guards = guards
    }
}
