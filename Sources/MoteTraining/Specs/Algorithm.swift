public import MoteModels

/// The learners a training spec can name, with what each takes and does.
public enum Algorithm: String, Sendable, Equatable, CaseIterable {
    case gbdt
    case logistic
    case linear
    case isolationForest = "isolation_forest"

    /// Hyperparameters the algorithm takes (`num_trees` is read as `trees`).
    public var parameterNames: Set<String> {
        switch self {
        case .gbdt:
            [
                "trees", "num_leaves", "max_depth", "learning_rate", "min_data_in_leaf", "min_sum_hessian", "lambda_l2",
                "feature_fraction", "bagging_fraction", "max_bins", "early_stopping_rounds", "seed", "threads",
            ]
        case .logistic: ["lambda", "max_iterations"]
        case .linear: ["lambda"]
        case .isolationForest: ["trees", "sample_size", "seed"]
        }
    }

    /// Whether it learns from a label.
    public var needsLabel: Bool { self != .isolationForest }

    /// The tasks it can do; the first is its task when the label does not decide.
    public var tasks: [ModelTask] {
        switch self {
        case .gbdt: [.binary, .multiclass, .regression]
        case .logistic: [.binary]
        case .linear: [.regression]
        case .isolationForest: [.anomaly]
        }
    }

    /// Whether its inputs are one-hot encoded and scaled (linear models, isolation forest)
    /// rather than given as category codes (trees).
    public var oneHotInputs: Bool { self != .gbdt }
}
