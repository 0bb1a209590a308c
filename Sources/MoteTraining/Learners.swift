#if canImport(Glibc)
import Glibc
#endif
public import MoteCore
import MoteFeatures
import MoteML
public import MoteModels

/// One iteration's progress as a job reports it.
public struct FitProgress: Sendable {
    /// 1-based.
    public var iteration: Int
    public var total: Int
    public var trainLoss: Double?
    public var validLoss: Double?
}

/// Fits the spec's algorithm on a training set and measures it on the holdout.
public enum Learners {
    /// The fitted bundle parts: preprocessing, model and hyperparameters as used.
    public struct Fitted: Sendable {
        public var preprocessing: Preprocessor
        public var model: TrainedModel
        public var hyperparameters: JSONObject
        /// The model's output for each training row when the learner already has it (GBDT),
        /// else nil: the job scores the rows itself.
        public var trainOutputs: [Double]? = nil
    }

    /// Fits on the training rows. `progress` returns false to stop (cancellation).
    public static func fit(
        spec: TrainingSpec, set: TrainingSet, maxThreads: Int, progress: @escaping (FitProgress) -> Bool
    ) throws -> Fitted {
        let pre = Preprocessor.fit(inputs: set.inputs, columns: set.columns, rows: set.trainRows, oneHot: spec.algorithm.oneHotInputs)
        let y = Array(set.labels.prefix(set.trainCount))
        let hy = Array(set.labels.dropFirst(set.trainCount))
        // The other learners take a row-major matrix; trees read the columns where they are.
        var x: [Double] { pre.encode(set.columns, rows: set.trainRows) }
        let trainCount = set.trainCount
        func parameter(_ name: String, _ fallback: Double) -> Double { spec.parameters[name] ?? fallback }
        var used: [(key: String, value: JSONValue)] = []
        func record(_ name: String, _ value: Double) { used.append((name, value == value.rounded() ? .integer(Int64(value)) : .double(value))) }

        switch spec.algorithm {
        case .gbdt:
            var p = GBDTParameters()
            switch spec.task {
            case .regression: p.objective = .regression
            case .multiclass: p.objective = .multiclass
            case .binary: p.objective = .binary
            case .anomaly: throw TrainingFailure("gbdt does not learn anomaly scores; use isolation_forest")
            }
            p.numClasses = max(2, set.classes.count)
            p.trees = Int(parameter("trees", 100))
            p.numLeaves = Int(parameter("num_leaves", 31))
            p.maxDepth = Int(parameter("max_depth", 0))
            p.learningRate = parameter("learning_rate", 0.1)
            p.minDataInLeaf = Int(parameter("min_data_in_leaf", 20))
            p.minSumHessian = parameter("min_sum_hessian", 1e-3)
            p.lambdaL2 = parameter("lambda_l2", 0)
            p.featureFraction = parameter("feature_fraction", 1)
            p.baggingFraction = parameter("bagging_fraction", 1)
            p.maxBins = Int(parameter("max_bins", 255))
            p.earlyStoppingRounds = Int(parameter("early_stopping_rounds", 0))
            p.seed = UInt64(max(0, parameter("seed", 7)))
            p.threads = max(1, min(maxThreads, Int(parameter("threads", Double(maxThreads)))))
            guard p.trees >= 1, p.trees <= 100_000, p.numLeaves >= 2, p.numLeaves <= 131_072, p.learningRate > 0, p.learningRate <= 1,
                p.minDataInLeaf >= 1, p.maxBins >= 2, p.maxBins <= 255, p.featureFraction > 0, p.featureFraction <= 1,
                p.baggingFraction > 0, p.baggingFraction <= 1, p.maxDepth >= 0, p.lambdaL2 >= 0
            else { throw TrainingFailure("gbdt parameters out of range (see docs/training.md)") }
            for (k, v) in [
                ("trees", Double(p.trees)), ("num_leaves", Double(p.numLeaves)), ("max_depth", Double(p.maxDepth)),
                ("learning_rate", p.learningRate), ("min_data_in_leaf", Double(p.minDataInLeaf)), ("min_sum_hessian", p.minSumHessian),
                ("lambda_l2", p.lambdaL2), ("feature_fraction", p.featureFraction), ("bagging_fraction", p.baggingFraction),
                ("max_bins", Double(p.maxBins)), ("early_stopping_rounds", Double(p.earlyStoppingRounds)), ("seed", Double(p.seed)),
                ("threads", Double(p.threads)),
            ] { record(k, v) }
            let total = p.trees
            let report: (GBDTProgress) -> Bool = { step in
                progress(FitProgress(iteration: step.tree, total: total, trainLoss: step.trainLoss, validLoss: step.validLoss))
            }
            let trainer = GBDTTrainer(p)
            let fitted: (model: GBDTModel, trainOutputs: [Double]?)
            if let columns = pre.encodedColumns(set.columns) {
                fitted = FeatureMatrix.with(columns: columns, start: 0, rows: trainCount) { train in
                    FeatureMatrix.with(columns: columns, start: trainCount, rows: hy.count) { holdout in
                        trainer.fitScored(train, y: y, valid: hy.isEmpty ? nil : (holdout, hy), progress: report)
                    }
                }
            } else {
                let hx = pre.encode(set.columns, rows: set.holdoutRows)
                let model = trainer.fit(
                    x: x, y: y, rows: trainCount, columns: pre.width, valid: hy.isEmpty ? nil : (hx, hy, hy.count), progress: report)
                fitted = (model, nil)
            }
            return Fitted(preprocessing: pre, model: .gbdt(fitted.model), hyperparameters: JSONObject(used), trainOutputs: fitted.trainOutputs)
        case .logistic:
            let lambda = parameter("lambda", 1e-4)
            let iterations = Int(parameter("max_iterations", 500))
            guard lambda >= 0, iterations >= 1 else { throw TrainingFailure("logistic parameters out of range") }
            record("lambda", lambda)
            record("max_iterations", Double(iterations))
            let model = try LogisticRegression.fit(x: x, y: y, rows: trainCount, columns: pre.width, lambda: lambda, maxIterations: iterations)
            _ = progress(FitProgress(iteration: 1, total: 1, trainLoss: nil, validLoss: nil))
            return Fitted(preprocessing: pre, model: .logistic(model), hyperparameters: JSONObject(used))
        case .linear:
            let lambda = parameter("lambda", 0)
            guard lambda >= 0 else { throw TrainingFailure("linear parameters out of range") }
            record("lambda", lambda)
            let model = try LinearRegression.fit(x: x, y: y, rows: trainCount, columns: pre.width, lambda: lambda)
            _ = progress(FitProgress(iteration: 1, total: 1, trainLoss: nil, validLoss: nil))
            return Fitted(preprocessing: pre, model: .linear(model), hyperparameters: JSONObject(used))
        case .isolationForest:
            let trees = Int(parameter("trees", 100))
            let sample = Int(parameter("sample_size", 256))
            guard trees >= 1, trees <= 10_000, sample >= 2 else { throw TrainingFailure("isolation_forest parameters out of range") }
            record("trees", Double(trees))
            record("sample_size", Double(sample))
            record("seed", parameter("seed", 7))
            let model = IsolationForest.fit(
                x: x, rows: trainCount, columns: pre.width, trees: trees, sampleSize: sample, seed: UInt64(max(0, parameter("seed", 7))))
            _ = progress(FitProgress(iteration: 1, total: 1, trainLoss: nil, validLoss: nil))
            return Fitted(preprocessing: pre, model: .isolationForest(model), hyperparameters: JSONObject(used))
        }
    }

    /// Holdout metrics of `bundle` on the set's holdout rows (rows given as the bundle's own
    /// inputs, so a champion with other features is measured on the same rows).
    public static func evaluate(_ bundle: ModelBundle, holdout rows: [[ModelInput]], labels: [Double]) -> [String: Double] {
        bundle.task.metrics(scores: bundle.scores(inputs: rows), labels: labels, classCount: bundle.classes.count)
    }

    /// Holdout metrics of `bundle` on rows `range` of `columns` (the bundle's own inputs).
    public static func evaluate(_ bundle: ModelBundle, columns: InputColumns, rows range: Range<Int>, labels: [Double]) -> [String: Double] {
        bundle.task.metrics(scores: bundle.scores(columns: columns, rows: range), labels: labels, classCount: bundle.classes.count)
    }
}


