/// Linear and ridge regression by the normal equations, solved with a Cholesky factorisation.
/// Features are standardised (mean 0, variance 1) before the fit and the scaling is kept in
/// the model, so the penalty treats every feature alike and the intercept is not penalised.
public struct LinearModel: Sendable, Equatable {
    /// Per feature: mean and standard deviation used to standardise inputs.
    public var means: [Double]
    public var scales: [Double]
    /// Coefficients on standardised features.
    public var weights: [Double]
    public var intercept: Double

    public var featureCount: Int { weights.count }

    public init(means: [Double], scales: [Double], weights: [Double], intercept: Double) {
        self.means = means
        self.scales = scales
        self.weights = weights
        self.intercept = intercept
    }

    /// Predictions for the rows of a row-major matrix.
    public func predict(_ x: [Double], rows: Int) -> [Double] {
        (0..<rows).map { Standardization.linearScore(x, row: $0, means: means, scales: scales, weights: weights, intercept: intercept) }
    }

    /// Coefficients in the caller's units: `y = bias + sum(coefficient[c] * x[c])`.
    public var rawCoefficients: (bias: Double, coefficients: [Double]) {
        var bias = intercept
        var coefficients = [Double](repeating: 0, count: featureCount)
        for c in 0..<featureCount {
            coefficients[c] = weights[c] / scales[c]
            bias -= weights[c] * means[c] / scales[c]
        }
        return (bias, coefficients)
    }
}

/// Why a linear fit could not be made.
public enum LinearFitError: Error, Equatable, CustomStringConvertible {
    case noRows
    /// The features are linearly dependent and there is no penalty to resolve it.
    case singular

    public var description: String {
        switch self {
        case .noRows: "no rows to fit"
        case .singular: "the features are linearly dependent (collinear or constant); use a ridge penalty (lambda > 0) or drop features"
        }
    }
}

public enum LinearRegression {
    /// Fits `y ~ x` on row-major `x`; `lambda` > 0 is ridge regression (L2 on standardised
    /// coefficients). NaN inputs are not allowed here (preprocessing decides their policy).
    public static func fit(x: [Double], y: [Double], rows: Int, columns: Int, lambda: Double = 0) throws(LinearFitError) -> LinearModel {
        guard rows > 0 else { throw .noRows }
        let (means, scales) = Standardization.fit(x: x, rows: rows, columns: columns)
        let yMean = y.reduce(0, +) / Double(rows)
        // A = Z^T Z + lambda * n * I, b = Z^T (y - mean): the centred problem, no intercept.
        var a = [Double](repeating: 0, count: columns * columns)
        var b = [Double](repeating: 0, count: columns)
        var z = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns { z[c] = (x[r * columns + c] - means[c]) / scales[c] }
            let target = y[r] - yMean
            for i in 0..<columns {
                b[i] += z[i] * target
                for j in 0...i { a[i * columns + j] += z[i] * z[j] }
            }
        }
        for i in 0..<columns {
            for j in 0..<i { a[j * columns + i] = a[i * columns + j] }
            a[i * columns + i] += lambda * Double(rows)
        }
        let weights = try Cholesky.solve(a, b, size: columns)
        return LinearModel(means: means, scales: scales, weights: weights, intercept: yMean)
    }
}

/// Solving symmetric positive-definite systems.
enum Cholesky {
    /// Solves `A x = b` for symmetric positive-definite `A` (row-major `size` x `size`).
    static func solve(_ a: [Double], _ b: [Double], size n: Int) throws(LinearFitError) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        var largest = 0.0
        for i in 0..<n { largest = max(largest, abs(a[i * n + i])) }
        let tolerance = max(largest, 1) * 1e-12
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > tolerance else { throw .singular }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        // L y = b, then L^T x = y.
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var sum = b[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * x[k] }
            x[i] = sum / l[i * n + i]
        }
        return x
    }
}
