import Dispatch

/// Hyperparameters of gradient-boosted trees (names as LightGBM's).
public struct GBDTParameters: Sendable, Equatable {
    public var objective: GBDTObjective = .binary
    /// Classes for `multiclass` (labels 0 ..< numClasses).
    public var numClasses = 2
    /// Boosting rounds (for multiclass, each round grows one tree per class).
    public var trees = 100
    public var numLeaves = 31
    /// 0: no depth limit (leaf-wise growth is bounded by `numLeaves`).
    public var maxDepth = 0
    public var learningRate = 0.1
    public var minDataInLeaf = 20
    public var minSumHessian = 1e-3
    public var lambdaL2 = 0.0
    public var featureFraction = 1.0
    public var baggingFraction = 1.0
    public var maxBins = 255
    /// Stop when the validation loss has not improved for this many trees (0: off).
    public var earlyStoppingRounds = 0
    public var seed: UInt64 = 7
    /// Threads for histogram building (split by features).
    public var threads = 2
    public init() {}
}

/// Per-iteration progress: tree index, training loss, validation loss when there is a
/// validation set.
public struct GBDTProgress: Sendable {
    public var tree: Int
    public var trainLoss: Double
    public var validLoss: Double?
}

/// Histogram-based gradient boosting, the LightGBM way: features binned to <= 255 bins,
/// leaf-wise growth, the smaller child's histogram built and the sibling's obtained by
/// subtraction, gradient/hessian buffers reused, missing values sent to the side that gains.
public struct GBDTTrainer: Sendable {
    public var parameters: GBDTParameters

    public init(_ parameters: GBDTParameters) {
        self.parameters = parameters
    }

    /// Fits on row-major `x` (`rows` x `columns`) and labels `y`; with a validation set,
    /// keeps the trees up to the best validation loss when early stopping is on.
    public func fit(
        x: [Double], y: [Double], rows: Int, columns: Int, valid: (x: [Double], y: [Double], rows: Int)? = nil,
        progress: ((GBDTProgress) -> Bool)? = nil
    ) -> GBDTModel {
        FeatureMatrix.with(rowMajor: x, rows: rows, columns: columns) { train in
            guard let valid else { return fit(train, y: y, valid: nil, progress: progress) }
            return FeatureMatrix.with(rowMajor: valid.x, rows: valid.rows, columns: columns) { holdout in
                fit(train, y: y, valid: (holdout, valid.y), progress: progress)
            }
        }
    }

    /// Fits on `train` (labels `y`), with `valid` as the holdout that losses and early stopping
    /// read. The values are read where they are: only their bins are kept.
    public func fit(
        _ train: FeatureMatrix, y: [Double], valid: (matrix: FeatureMatrix, y: [Double])?, progress: ((GBDTProgress) -> Bool)? = nil
    ) -> GBDTModel {
        fitScored(train, y: y, valid: valid, progress: progress).model
    }

    /// As `fit`, also giving the model's output for every training row (the probability for
    /// binary, the value for regression) as training left it, so that nobody scores the
    /// training rows again; nil for multiclass and when early stopping dropped trees.
    public func fitScored(
        _ train: FeatureMatrix, y: [Double], valid: (matrix: FeatureMatrix, y: [Double])?, progress: ((GBDTProgress) -> Bool)? = nil
    ) -> (model: GBDTModel, trainOutputs: [Double]?) {
        let p = parameters
        let rows = train.rows
        let columns = train.columns
        let binner = FeatureBinner(matrix: train, maxBins: p.maxBins, threads: p.threads)
        let rowBins = binner.binRows(train, threads: p.threads)
        // Column-major bins only for walking trees over all rows (bagging).
        let bins = p.baggingFraction < 1 ? FeatureBinner.transpose(rowBins, rows: rows, columns: columns) : []
        let validBins = valid.map { binner.binColumns($0.matrix) }
        let valid = valid.map { (y: $0.y, rows: $0.matrix.rows) }

        let k = p.objective == .multiclass ? max(2, p.numClasses) : 1
        var bases = [Double](repeating: 0, count: k)
        if rows > 0 {
            switch p.objective {
            case .regression: bases[0] = y.reduce(0, +) / Double(rows)
            case .binary:
                let mean = y.reduce(0, +) / Double(rows)
                bases[0] = _log(max(1e-12, mean) / max(1e-12, 1 - mean))
            case .multiclass:
                var counts = [Double](repeating: 0, count: k)
                for label in y { counts[min(max(Int(label), 0), k - 1)] += 1 }
                for c in 0..<k { bases[c] = _log(max(counts[c], 1) / Double(rows)) }
            }
        }
        // Scores class-major: `scores[c * rows + r]`.
        var scores = [Double](repeating: 0, count: rows * k)
        var validScores = [Double](repeating: 0, count: (valid?.rows ?? 0) * k)
        for c in 0..<k {
            for r in 0..<rows { scores[c * rows + r] = bases[c] }
            for r in 0..<(valid?.rows ?? 0) { validScores[c * (valid?.rows ?? 0) + r] = bases[c] }
        }
        // Binary: each row's probability, computed once per iteration for both the gradient
        // and the training loss.
        var binaryProbability = p.objective == .binary ? scores.map(sigmoid) : []
        var grad = [Double](repeating: 0, count: rows)
        var hess = [Double](repeating: 0, count: rows)
        var probabilities = [Double](repeating: 0, count: k > 1 ? rows * k : 0)
        var builder = TreeBuilder(rows: rows, columns: columns, rowBins: rowBins, parameters: p)
        var rng = SplitMix64(seed: p.seed)
        var model = GBDTModel(
            objective: p.objective, classCount: k, baseScores: bases, feature: [], threshold: [], defaultLeft: [], left: [], right: [],
            value: [], roots: [], featureCount: columns)
        var binTrees: [BinTree] = []
        var best = (loss: Double.infinity, rounds: 0)
        var rounds = 0

        for t in 0..<p.trees {
            if k > 1 {
                // Softmax of each row's class scores.
                probabilities.withUnsafeMutableBufferPointer { prob in
                    for r in 0..<rows {
                        for c in 0..<k { prob[r * k + c] = scores[c * rows + r] }
                        softmax(prob.baseAddress! + r * k, k)
                    }
                }
            }
            for c in 0..<k {
                // Gradients and hessians of the loss at the current scores.
                for i in 0..<rows {
                    switch p.objective {
                    case .regression:
                        grad[i] = scores[i] - y[i]
                        hess[i] = 1
                    case .binary:
                        let prob = binaryProbability[i]
                        grad[i] = prob - y[i]
                        hess[i] = max(prob * (1 - prob), 1e-16)
                    case .multiclass:
                        let prob = probabilities[i * k + c]
                        grad[i] = prob - (Int(y[i]) == c ? 1 : 0)
                        // LightGBM's factor k / (k - 1) keeps steps comparable to binary.
                        hess[i] = max(Double(k) / Double(k - 1) * prob * (1 - prob), 1e-16)
                    }
                }
                let tree = builder.grow(grad: grad, hess: hess, rng: &rng)
                binTrees.append(tree)
                if p.baggingFraction >= 1 {
                    builder.addLeafValues(of: tree, to: &scores, offset: c * rows)
                } else {
                    tree.addScores(to: &scores, bins: bins, rows: rows, offset: c * rows)
                }
                if let validBins, let valid { tree.addScores(to: &validScores, bins: validBins, rows: valid.rows, offset: c * valid.rows) }
            }
            rounds = t + 1
            if p.objective == .binary {
                binaryProbability.withUnsafeMutableBufferPointer { prob in
                    for i in 0..<rows { prob[i] = sigmoid(scores[i]) }
                }
            }
            let trainLoss =
                progress == nil ? 0
                : p.objective == .binary ? GBDTTrainer.binaryLoss(probabilities: binaryProbability, y)
                : GBDTTrainer.loss(p.objective, scores, y, classes: k)
            let validLoss = valid.map { GBDTTrainer.loss(p.objective, validScores, $0.y, classes: k) }
            if let validLoss, validLoss < best.loss { best = (validLoss, rounds) }
            if let progress, !progress(GBDTProgress(tree: rounds, trainLoss: trainLoss, validLoss: validLoss)) { break }
            if p.earlyStoppingRounds > 0, valid != nil, rounds - best.rounds >= p.earlyStoppingRounds { break }
        }
        let keepRounds = p.earlyStoppingRounds > 0 && valid != nil && best.rounds > 0 ? best.rounds : rounds
        for tree in binTrees.prefix(keepRounds * k) { tree.append(to: &model, binner: binner) }
        guard keepRounds == rounds else { return (model, nil) }
        switch p.objective {
        case .binary: return (model, binaryProbability)
        case .regression: return (model, scores)
        case .multiclass: return (model, nil)
        }
    }

    /// Mean loss at raw scores (class-major for several classes): squared error / 2 for
    /// regression, log loss for binary, cross-entropy for multiclass.
    static func loss(_ objective: GBDTObjective, _ scores: [Double], _ y: [Double], classes k: Int) -> Double {
        let rows = y.count
        guard rows > 0 else { return 0 }
        if objective == .multiclass {
            var total = 0.0
            var row = [Double](repeating: 0, count: k)
            for r in 0..<rows {
                for c in 0..<k { row[c] = scores[c * rows + r] }
                row.withUnsafeMutableBufferPointer { softmax($0.baseAddress!, k) }
                total -= _log(max(row[min(max(Int(y[r]), 0), k - 1)], 1e-15))
            }
            return total / Double(rows)
        }
        return loss(objective, scores, y)
    }

    /// Mean log loss of binary labels at the rows' probabilities (as `loss(.binary, ...)` at
    /// the scores they came from).
    static func binaryLoss(probabilities: [Double], _ y: [Double]) -> Double {
        guard !probabilities.isEmpty else { return 0 }
        var total = 0.0
        for i in 0..<probabilities.count { total += binaryRowLoss(probabilities[i], y[i]) }
        return total / Double(probabilities.count)
    }

    /// One row's log loss at probability `p` (clipped to [1e-15, 1 - 1e-15]). Labels are 0 or
    /// 1, so one logarithm is taken (the other term is zero).
    @inline(__always)
    static func binaryRowLoss(_ p: Double, _ y: Double) -> Double {
        let prob = min(max(p, 1e-15), 1 - 1e-15)
        switch y {
        case 1: return -_log(prob)
        case 0: return -_log(1 - prob)
        default: return -(y * _log(prob) + (1 - y) * _log(1 - prob))
        }
    }

    /// Mean loss at raw scores: squared error / 2 for regression, log loss for binary.
    static func loss(_ objective: GBDTObjective, _ scores: [Double], _ y: [Double]) -> Double {
        guard !scores.isEmpty else { return 0 }
        var total = 0.0
        for i in 0..<scores.count {
            switch objective {
            case .regression:
                let d = scores[i] - y[i]
                total += d * d / 2
            case .binary:
                total += binaryRowLoss(sigmoid(scores[i]), y[i])
            case .multiclass:
                break  // handled by loss(_:_:_:classes:)
            }
        }
        return total / Double(scores.count)
    }
}

/// A tree over bins, as grown: split nodes test `bin <= threshold` (bin 0, missing, goes to
/// the default side).
struct BinTree: Sendable {
    /// Per node, the training rows that reached it (TreeSHAP's cover).
    var cover: [Double] = []
    var feature: [Int32] = []
    var threshold: [UInt8] = []
    var defaultLeft: [Bool] = []
    var left: [Int32] = []
    var right: [Int32] = []
    var value: [Double] = []

    func leafIndex(_ bins: UnsafeBufferPointer<UInt8>, row: Int, rows: Int) -> Int {
        var node = 0
        while feature[node] >= 0 {
            let b = bins[Int(feature[node]) * rows + row]
            let goLeft = b == 0 ? defaultLeft[node] : b <= threshold[node]
            node = Int(goLeft ? left[node] : right[node])
        }
        return node
    }

    func addScores(to scores: inout [Double], bins: [UInt8], rows: Int, offset: Int = 0) {
        bins.withUnsafeBufferPointer { bins in
            for r in 0..<rows { scores[offset + r] += value[leafIndex(bins, row: r, rows: rows)] }
        }
    }

    /// Appends this tree to a model, turning bin thresholds into value thresholds.
    func append(to model: inout GBDTModel, binner: FeatureBinner) {
        let offset = Int32(model.feature.count)
        model.roots.append(offset)
        for n in 0..<feature.count {
            model.feature.append(feature[n])
            if feature[n] >= 0 {
                let bounds = binner.bounds[Int(feature[n])]
                model.threshold.append(bounds[min(Int(threshold[n]) - 1, bounds.count - 1)])
                model.left.append(left[n] + offset)
                model.right.append(right[n] + offset)
            } else {
                model.threshold.append(0)
                model.left.append(-1)
                model.right.append(-1)
            }
            model.defaultLeft.append(defaultLeft[n])
            model.value.append(value[n])
            if cover.count == feature.count { model.cover.append(cover[n]) }
        }
    }
}
