/// What a boosted ensemble predicts.
public enum GBDTObjective: String, Sendable, Equatable, CaseIterable {
    /// Squared error; predicts the value.
    case regression
    /// Log loss on 0/1 labels; predicts the probability of 1.
    case binary
    /// Softmax over `numClasses` classes (labels 0, 1, ...); predicts each class's probability.
    case multiclass
}

/// A trained gradient-boosted tree ensemble in a flat layout: all nodes of all trees in
/// parallel arrays, so prediction walks small contiguous arrays without pointers.
public struct GBDTModel: Sendable, Equatable {
    public var objective: GBDTObjective
    /// Outputs per row: 1, or the number of classes for multiclass.
    public var classCount: Int
    /// Added to each output's raw score (the mean label, its log odds, or log class priors).
    public var baseScores: [Double]
    /// Per node: the feature tested, or -1 for a leaf.
    public var feature: [Int32]
    /// Per node: values `<= threshold` go left.
    public var threshold: [Double]
    /// Per node: where a missing value (NaN) goes.
    public var defaultLeft: [Bool]
    /// Per node: child indices (global node indices).
    public var left: [Int32]
    public var right: [Int32]
    /// Per node: the leaf's contribution (learning rate applied); 0 for inner nodes.
    public var value: [Double]
    /// The root node of each tree; with several classes, tree `i` adds to class `i % classCount`.
    public var roots: [Int32]
    /// Number of input features.
    public var featureCount: Int

    public var treeCount: Int { roots.count }

    public init(
        objective: GBDTObjective, classCount: Int, baseScores: [Double], feature: [Int32], threshold: [Double], defaultLeft: [Bool],
        left: [Int32], right: [Int32], value: [Double], roots: [Int32], featureCount: Int
    ) {
        self.objective = objective
        self.classCount = classCount
        self.baseScores = baseScores
        self.feature = feature
        self.threshold = threshold
        self.defaultLeft = defaultLeft
        self.left = left
        self.right = right
        self.value = value
        self.roots = roots
        self.featureCount = featureCount
    }

    /// Predictions for the rows of a row-major matrix: values for regression, probabilities
    /// of the positive class for binary, and for multiclass `classCount` probabilities per row
    /// (row-major: `out[r * classCount + k]`). Scored through the serving layout.
    public func predict(_ x: [Double], rows: Int) -> [Double] {
        GBDTPredictor(self).predict(x, rows: rows)
    }
}

@inline(__always)
func sigmoid(_ x: Double) -> Double { 1 / (1 + (-x).exp) }

/// Softmax of `count` scores in place.
@inline(__always)
func softmax(_ scores: UnsafeMutablePointer<Double>, _ count: Int) {
    var largest = -Double.infinity
    for c in 0..<count { largest = max(largest, scores[c]) }
    var total = 0.0
    for c in 0..<count {
        scores[c] = (scores[c] - largest).exp
        total += scores[c]
    }
    for c in 0..<count { scores[c] /= total }
}

extension Double {
    /// e^self, without Foundation.
    @inline(__always) var exp: Double { _exp(self) }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
#endif
