import Testing
@testable import MoteML

@Suite("logistic regression")
struct LogisticTests {
    /// Newton's method (IRLS) on the same penalised loss: the reference solution.
    func newton(_ z: [Double], _ y: [Double], rows: Int, columns: Int, lambda: Double) throws -> [Double] {
        let n = columns + 1
        var theta = [Double](repeating: 0, count: n)
        for _ in 0..<50 {
            var gradient = [Double](repeating: 0, count: n)
            var hessian = [Double](repeating: 0, count: n * n)
            for r in 0..<rows {
                var features = Array(z[(r * columns)..<((r + 1) * columns)])
                features.append(1)
                let s = zip(features, theta).map { $0 * $1 }.reduce(0, +)
                let p = sigmoid(s)
                for i in 0..<n {
                    gradient[i] += (p - y[r]) * features[i] / Double(rows)
                    for j in 0..<n { hessian[i * n + j] += p * (1 - p) * features[i] * features[j] / Double(rows) }
                }
            }
            for c in 0..<columns {
                gradient[c] += lambda * theta[c]
                hessian[c * n + c] += lambda
            }
            let step = try Cholesky.solve(hessian, gradient, size: n)
            for i in 0..<n { theta[i] -= step[i] }
            if step.map(abs).max() ?? 0 < 1e-13 { break }
        }
        return theta
    }

    @Test("L-BFGS reaches Newton's solution of the same penalised loss, on standardised features")
    func matchesNewton() throws {
        var rng = SplitMix64(seed: 21)
        let rows = 400
        let columns = 3
        var x = [Double](repeating: 0, count: rows * columns)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            x[r * 3] = rng.unit() * 10
            x[r * 3 + 1] = rng.unit() * 2 - 1
            x[r * 3 + 2] = rng.unit() * 1000
            let z = 0.8 * (x[r * 3] - 5) - 1.5 * x[r * 3 + 1] + 0.002 * (x[r * 3 + 2] - 500)
            y[r] = rng.unit() < sigmoid(z) ? 1 : 0
        }
        let lambda = 0.01
        let model = try LogisticRegression.fit(x: x, y: y, rows: rows, columns: columns, lambda: lambda)
        var z = [Double](repeating: 0, count: rows * columns)
        for r in 0..<rows { for c in 0..<columns { z[r * columns + c] = (x[r * columns + c] - model.means[c]) / model.scales[c] } }
        let reference = try newton(z, y, rows: rows, columns: columns, lambda: lambda)
        for c in 0..<columns { #expect(abs(model.weights[c] - reference[c]) < 1e-5, "weight \(c): \(model.weights[c]) vs \(reference[c])") }
        #expect(abs(model.intercept - reference[columns]) < 1e-5)
        #expect(Metrics.auc(labels: y, scores: model.predict(x, rows: rows)) > 0.85)
    }
}
