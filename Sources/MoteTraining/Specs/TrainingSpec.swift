public import MoteModels

/// A training spec from the definitions file (`[[training_spec]]`, see docs/training.md):
/// what to learn from which features, how to split, when to run, and when to promote.
public struct TrainingSpec: Sendable, Equatable {
    public var name: String
    /// The registered model the job adds versions to.
    public var model: String
    public var algorithm: Algorithm
    /// From the algorithm and the label's type when the spec gives no `objective`.
    public var task: ModelTask
    /// Hyperparameters by name (numbers).
    public var parameters: [String: Double]
    /// The label as `view:field`; nil for isolation forest.
    public var label: String?
    /// Inputs as `view:field`, in the model's order.
    public var features: [String]
    /// Train on label rows of this long before now (0: all history).
    public var windowNanos: Int64
    /// The newest share of label rows by event time that forms the holdout.
    public var holdout: Double
    /// Run every so long (0: only when asked).
    public var everyNanos: Int64
    /// Run only when at least this many label rows arrived since the last run (0: no check).
    public var minNewLabels: Int
    /// Drift of the served model starts a job (gated promotion as any other job).
    public var retrainOnDrift: Bool
    /// At least this long between two drift-triggered jobs (nil: `monitoring.retrain_min_interval`).
    public var retrainMinIntervalNanos: Int64?
    public var promotion: PromotionPolicy?
    /// Roll a gated candidate out beside the champion first (nil: it becomes champion at once).
    public var rollout: RolloutPlan?

    public init(
        name: String, model: String, algorithm: Algorithm, task: ModelTask, parameters: [String: Double] = [:], label: String?,
        features: [String], windowNanos: Int64 = 0, holdout: Double = 0.2, everyNanos: Int64 = 0, minNewLabels: Int = 0,
        retrainOnDrift: Bool = false, retrainMinIntervalNanos: Int64? = nil, promotion: PromotionPolicy?,
        rollout: RolloutPlan? = nil
    ) {
        self.name = name
        self.model = model
        self.algorithm = algorithm
        self.task = task
        self.parameters = parameters
        self.label = label
        self.features = features
        self.windowNanos = windowNanos
        self.holdout = holdout
        self.everyNanos = everyNanos
        self.minNewLabels = minNewLabels
        self.retrainOnDrift = retrainOnDrift
        self.retrainMinIntervalNanos = retrainMinIntervalNanos
        self.promotion = promotion
        self.rollout = rollout
    }
}
