import Testing
@testable import MoteML

@Suite("linear regression")
struct LinearTests {
    @Test("exact linear data is fitted exactly, in the caller's units")
    func exact() throws {
        var rng = SplitMix64(seed: 3)
        let rows = 200
        var x = [Double](repeating: 0, count: rows * 3)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<3 { x[r * 3 + c] = rng.unit() * 100 - 50 }
            y[r] = 4 + 2 * x[r * 3] - 0.5 * x[r * 3 + 1] + 10 * x[r * 3 + 2]
        }
        let model = try LinearRegression.fit(x: x, y: y, rows: rows, columns: 3)
        let (bias, coefficients) = model.rawCoefficients
        #expect(abs(bias - 4) < 1e-8)
        for (got, want) in zip(coefficients, [2, -0.5, 10]) { #expect(abs(got - want) < 1e-9) }
        #expect(Metrics.rmse(labels: y, predictions: model.predict(x, rows: rows)) < 1e-8)
    }

    @Test("collinear features: plain least squares says so, ridge fits; a larger penalty shrinks")
    func ridge() throws {
        let rows = 50
        var x = [Double](repeating: 0, count: rows * 2)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            x[r * 2] = Double(r)
            x[r * 2 + 1] = 2 * Double(r)  // the same information twice
            y[r] = 3 * Double(r) + 1
        }
        #expect(throws: LinearFitError.singular) { try LinearRegression.fit(x: x, y: y, rows: rows, columns: 2) }
        let small = try LinearRegression.fit(x: x, y: y, rows: rows, columns: 2, lambda: 1e-6)
        let large = try LinearRegression.fit(x: x, y: y, rows: rows, columns: 2, lambda: 10)
        #expect(Metrics.rmse(labels: y, predictions: small.predict(x, rows: rows)) < 1e-3)
        let norm = { (m: LinearModel) in m.weights.map { $0 * $0 }.reduce(0, +) }
        #expect(norm(large) < norm(small))
        #expect(abs(small.weights[0] - small.weights[1]) < 1e-6)  // the penalty splits evenly
    }
}
