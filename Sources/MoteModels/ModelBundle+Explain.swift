public import MoteCore
import MoteImport
import MoteML

extension ErrorCode {
    /// The model cannot explain its predictions (no per-node covers, or an algorithm without
    /// contributions).
    public static let explanationUnavailable: ErrorCode = "explanation_unavailable"
}

/// Why each input moved a prediction: per row and output, one contribution per model input
/// (in the bundle's input order) and a base value, in the raw output space (the margin
/// before the link: log-odds for a binary classifier). For each row and output, base plus the
/// contributions is the raw score.
public struct Explanation: Sendable, Equatable {
    public var rows: Int
    /// 1, or the class count of a multiclass model.
    public var outputs: Int
    public var inputs: Int
    /// `contributions[(row * outputs + output) * inputs + input]`.
    public var contributions: [Double]
    /// Per output.
    public var base: [Double]
    /// Per row and output, when rows were explained by different versions (a canary answers
    /// some rows of a request): `base` of each row's own version.
    public var rowBase: [Double]? = nil

    /// The base of `row`'s `output`.
    public func base(row: Int, output: Int) -> Double {
        rowBase?[row * outputs + output] ?? base[output]
    }
}

extension ModelBundle {
    /// Explains encoded rows (`preprocessing.width` columns): exact path-dependent TreeSHAP for
    /// tree ensembles (mote's own with covers, LightGBM and XGBoost files), coefficient times
    /// standardised input for linear and logistic models (base: the intercept). A one-hot
    /// input's columns add up to that input's contribution.
    /// `threads` above 1 splits a large batch of a tree ensemble over that many threads.
    public func explain(_ x: [Double], rows: Int, threads: Int = 1) throws(DomainError) -> Explanation {
        let width = preprocessing.width
        // Encoded column -> the input it came from.
        var inputOf: [Int] = []
        for (i, column) in preprocessing.columns.enumerated() { inputOf += Array(repeating: i, count: column.width) }
        let inputs = preprocessing.columns.count
        func unavailable(_ why: String) -> DomainError { DomainError(.conflict, .explanationUnavailable, why) }
        switch model {
        case .gbdt(let m):
            guard let shap = TreeSHAP(m) else {
                throw unavailable("this version's trees were trained before mote kept their covers; a version trained now explains its predictions")
            }
            return Self.explainTrees(shap, x, rows: rows, width: width, inputs: inputs, inputOf: inputOf, threads: threads)
        case .imported(let m):
            guard let trees = m.trees else {
                throw unavailable("an imported \(m.format.rawValue) graph has no tree covers to explain by (LightGBM and XGBoost files do)")
            }
            guard let shap = TreeSHAP(trees) else { throw unavailable("the \(m.format.rawValue) file records no per-node covers") }
            return Self.explainTrees(shap, x, rows: rows, width: width, inputs: inputs, inputOf: inputOf, threads: threads)
        case .linear(let m):
            return Self.explainLinear(x, rows: rows, means: m.means, scales: m.scales, weights: m.weights, intercept: m.intercept, inputs: inputs, inputOf: inputOf)
        case .logistic(let m):
            return Self.explainLinear(x, rows: rows, means: m.means, scales: m.scales, weights: m.weights, intercept: m.intercept, inputs: inputs, inputOf: inputOf)
        case .isolationForest:
            throw unavailable("an isolation forest's anomaly score has no per-input contributions")
        }
    }

    static func explainTrees(_ shap: TreeSHAP, _ x: [Double], rows: Int, width: Int, inputs: Int, inputOf: [Int], threads: Int) -> Explanation {
        let outputs = shap.outputs
        var phi = [Double](repeating: 0, count: rows * outputs * width)
        x.withUnsafeBufferPointer { x in phi.withUnsafeMutableBufferPointer { shap.explain(x, rows: rows, into: $0, threads: threads) } }
        // Encoded columns back to inputs (the same when every input is one column).
        guard inputOf != Array(0..<width) else {
            return Explanation(rows: rows, outputs: outputs, inputs: inputs, contributions: phi, base: shap.base)
        }
        var out = [Double](repeating: 0, count: rows * outputs * inputs)
        for ro in 0..<(rows * outputs) {
            for c in 0..<width { out[ro * inputs + inputOf[c]] += phi[ro * width + c] }
        }
        return Explanation(rows: rows, outputs: outputs, inputs: inputs, contributions: out, base: shap.base)
    }

    static func explainLinear(
        _ x: [Double], rows: Int, means: [Double], scales: [Double], weights: [Double], intercept: Double, inputs: Int, inputOf: [Int]
    ) -> Explanation {
        let width = weights.count
        var out = [Double](repeating: 0, count: rows * inputs)
        for r in 0..<rows {
            for c in 0..<width { out[r * inputs + inputOf[c]] += weights[c] * (x[r * width + c] - means[c]) / scales[c] }
        }
        return Explanation(rows: rows, outputs: 1, inputs: inputs, contributions: out, base: [intercept])
    }
}
