/// Binary logistic regression with an L2 penalty, fitted by L-BFGS on standardised features
/// (the scaling is kept in the model; the intercept is not penalised).
public struct LogisticModel: Sendable, Equatable {
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

    /// Probabilities of the positive class for the rows of a row-major matrix.
    public func predict(_ x: [Double], rows: Int) -> [Double] {
        (0..<rows).map {
            sigmoid(Standardization.linearScore(x, row: $0, means: means, scales: scales, weights: weights, intercept: intercept))
        }
    }
}

public enum LogisticRegression {
    /// Fits on row-major `x` and 0/1 labels `y`. The loss is the mean log loss plus
    /// `lambda / 2 * |w|²`; stops when the gradient's largest entry is below `tolerance`.
    public static func fit(
        x: [Double], y: [Double], rows: Int, columns: Int, lambda: Double = 1e-4, maxIterations: Int = 500, tolerance: Double = 1e-8
    ) throws(LinearFitError) -> LogisticModel {
        guard rows > 0 else { throw .noRows }
        let (means, scales) = Standardization.fit(x: x, rows: rows, columns: columns)
        var z = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns { z[r * columns + c] = (x[r * columns + c] - means[c]) / scales[c] } }

        // Parameters: weights then the intercept.
        let n = columns + 1
        func lossAndGradient(_ theta: [Double], _ gradient: inout [Double]) -> Double {
            for k in 0..<n { gradient[k] = 0 }
            var loss = 0.0
            for r in 0..<rows {
                var s = theta[columns]
                for c in 0..<columns { s += theta[c] * z[r * columns + c] }
                // log(1 + e^s) - y s, computed without overflow.
                loss += (s > 0 ? s + _log(1 + (-s).exp) : _log(1 + s.exp)) - y[r] * s
                let d = sigmoid(s) - y[r]
                for c in 0..<columns { gradient[c] += d * z[r * columns + c] }
                gradient[columns] += d
            }
            let m = Double(rows)
            loss /= m
            for k in 0..<n { gradient[k] /= m }
            for c in 0..<columns {
                loss += lambda / 2 * theta[c] * theta[c]
                gradient[c] += lambda * theta[c]
            }
            return loss
        }

        var theta = [Double](repeating: 0, count: n)
        let mean = y.reduce(0, +) / Double(rows)
        theta[columns] = _log(max(mean, 1e-12) / max(1 - mean, 1e-12))
        var gradient = [Double](repeating: 0, count: n)
        var loss = lossAndGradient(theta, &gradient)
        let memory = 8
        var sHistory: [[Double]] = []
        var yHistory: [[Double]] = []
        var next = [Double](repeating: 0, count: n)
        var nextGradient = [Double](repeating: 0, count: n)
        for _ in 0..<maxIterations {
            if gradient.map(abs).max() ?? 0 < tolerance { break }
            // Two-loop recursion: direction = -H * gradient.
            var q = gradient
            var alphas = [Double](repeating: 0, count: sHistory.count)
            for k in stride(from: sHistory.count - 1, through: 0, by: -1) {
                let rho = 1 / dot(yHistory[k], sHistory[k])
                alphas[k] = rho * dot(sHistory[k], q)
                for i in 0..<n { q[i] -= alphas[k] * yHistory[k][i] }
            }
            if let s = sHistory.last, let yy = yHistory.last {
                let gamma = dot(s, yy) / dot(yy, yy)
                for i in 0..<n { q[i] *= gamma }
            }
            for k in 0..<sHistory.count {
                let rho = 1 / dot(yHistory[k], sHistory[k])
                let beta = rho * dot(yHistory[k], q)
                for i in 0..<n { q[i] += sHistory[k][i] * (alphas[k] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(direction, gradient)
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                direction = gradient.map { -$0 }
                slope = dot(direction, gradient)
                sHistory.removeAll()
                yHistory.removeAll()
            }
            // Backtracking line search (Armijo).
            var step = 1.0
            var nextLoss = loss
            var accepted = false
            for _ in 0..<50 {
                for i in 0..<n { next[i] = theta[i] + step * direction[i] }
                nextLoss = lossAndGradient(next, &nextGradient)
                if nextLoss <= loss + 1e-4 * step * slope {
                    accepted = true
                    break
                }
                step /= 2
            }
            guard accepted else { break }
            let s = zip(next, theta).map { $0 - $1 }
            let yy = zip(nextGradient, gradient).map { $0 - $1 }
            if dot(s, yy) > 1e-12 {
                sHistory.append(s)
                yHistory.append(yy)
                if sHistory.count > memory {
                    sHistory.removeFirst()
                    yHistory.removeFirst()
                }
            }
            theta = next
            gradient = nextGradient
            if abs(loss - nextLoss) < 1e-15 * max(1, abs(loss)) {
                loss = nextLoss
                break
            }
            loss = nextLoss
        }
        return LogisticModel(means: means, scales: scales, weights: Array(theta[0..<columns]), intercept: theta[columns])
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var total = 0.0
        for i in 0..<a.count { total += a[i] * b[i] }
        return total
    }
}
