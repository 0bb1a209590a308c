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
    /// Per node, how it decides; empty means every node is `.numeric` (models mote trains).
    public var rule: [SplitRule]
    /// The category sets of `.categorical` nodes: set `i` is the bitset
    /// `categoryBits[categoryBounds[i]..<categoryBounds[i + 1]]` (bit `c % 32` of word `c / 32`
    /// holds category `c`); such a node's `threshold` is its set's index.
    public var categoryBits: [UInt32]
    public var categoryBounds: [Int32]
    /// Per tree, the output it adds to; empty means tree `i` adds to output `i % classCount`.
    public var treeOutput: [Int32]
    /// How raw sums become predictions; by default the objective's own link.
    public var output: GBDTOutput
    /// Per node, how much of the training data reached it (row counts or hessian sums, as
    /// the source library kept them); empty when unknown. TreeSHAP weighs the paths a row
    /// does not take by it.
    public var cover: [Double]

    public var treeCount: Int { roots.count }

    public init(
        objective: GBDTObjective, classCount: Int, baseScores: [Double], feature: [Int32], threshold: [Double], defaultLeft: [Bool],
        left: [Int32], right: [Int32], value: [Double], roots: [Int32], featureCount: Int, rule: [SplitRule] = [],
        categoryBits: [UInt32] = [], categoryBounds: [Int32] = [], treeOutput: [Int32] = [], output: GBDTOutput? = nil, cover: [Double] = []
    ) {
        self.cover = cover
        self.rule = rule
        self.categoryBits = categoryBits
        self.categoryBounds = categoryBounds
        self.treeOutput = treeOutput
        self.output = output ?? GBDTOutput(objective)
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

    /// Whether inner node `n` sends `value` to its left child: the same decision the serving
    /// walk makes (missing values, zero-as-missing and category sets included).
    @inline(__always)
    public func goesLeft(_ n: Int, _ value: Double) -> Bool {
        let r = rule.isEmpty ? SplitRule.numeric : rule[n]
        switch r {
        case .numeric:
            return value.isNaN ? defaultLeft[n] : value <= threshold[n]
        case .zeroAsMissing:
            if value.isNaN || (value >= -1e-35 && value <= 1e-35) { return defaultLeft[n] }
            return value <= threshold[n]
        case .categorical:
            guard value > -1, value < 2_147_483_648 else { return false }
            let category = Int(value)
            let set = Int(threshold[n])
            let word = Int(categoryBounds[set]) + category / 32
            guard word < Int(categoryBounds[set + 1]) else { return false }
            return categoryBits[word] >> UInt32(category % 32) & 1 == 1
        }
    }

    /// The output tree `t` adds to.
    @inline(__always)
    public func output(ofTree t: Int) -> Int { treeOutput.isEmpty ? t % max(classCount, 1) : Int(treeOutput[t]) }
}

/// How a node sends a row left or right.
public enum SplitRule: UInt8, Sendable, Equatable {
    /// `value <= threshold` goes left; NaN goes to the default side.
    case numeric = 0
    /// As `.numeric`, but zero (|value| <= 1e-35) is missing too and goes to the default side.
    case zeroAsMissing = 1
    /// The value's integer part in the node's category set goes left; NaN, negative values and
    /// categories past the set go right.
    case categorical = 2
}

/// How an ensemble's raw per-output sums become its predictions. Mote's own models use double
/// sums with the objective's link; imported ones reproduce their source library's arithmetic
/// (single-precision sums in tree order, the base score added first or last, averaging).
public struct GBDTOutput: Sendable, Equatable {
    public enum Link: String, Sendable, Equatable {
        case identity
        /// 1 / (1 + e^(-scale * s)) on the single output.
        case sigmoid
        /// Softmax across outputs.
        case softmax
        /// e^s (Poisson, gamma, Tweedie objectives).
        case exp
        /// 1 / (1 + e^(-scale * s)) on each output separately (one-vs-all multiclass).
        case sigmoidEach
    }
    public var link: Link
    /// The sigmoid's coefficient.
    public var scale: Double
    /// Raw sums are divided by this before the link (random-forest averaging); 1 otherwise.
    public var divisor: Double
    /// Sums, base scores and the link computed in 32-bit floats, as XGBoost and the ONNX tree
    /// operators do.
    public var singlePrecision: Bool
    /// Base scores added after the trees (ONNX `base_values`) rather than before.
    public var baseLast: Bool

    public init(link: Link, scale: Double = 1, divisor: Double = 1, singlePrecision: Bool = false, baseLast: Bool = false) {
        self.link = link
        self.scale = scale
        self.divisor = divisor
        self.singlePrecision = singlePrecision
        self.baseLast = baseLast
    }

    /// The link mote's own training uses for an objective.
    public init(_ objective: GBDTObjective) {
        switch objective {
        case .regression: self.init(link: .identity)
        case .binary: self.init(link: .sigmoid)
        case .multiclass: self.init(link: .softmax)
        }
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
@inline(__always) func _expf(_ x: Float) -> Float { Glibc.expf(x) }
#endif
