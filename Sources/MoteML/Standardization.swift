/// Per-feature standardisation (mean 0, variance 1) kept in linear models, so a penalty
/// treats every feature alike and predictions take inputs in the caller's units.
enum Standardization {
    /// Means and standard deviations of each column (a constant column scales by 1).
    static func fit(x: [Double], rows: Int, columns: Int) -> (means: [Double], scales: [Double]) {
        var means = [Double](repeating: 0, count: columns)
        var scales = [Double](repeating: 1, count: columns)
        for c in 0..<columns {
            var sum = 0.0
            for r in 0..<rows { sum += x[r * columns + c] }
            means[c] = sum / Double(rows)
            var squares = 0.0
            for r in 0..<rows {
                let d = x[r * columns + c] - means[c]
                squares += d * d
            }
            let sd = (squares / Double(rows)).squareRoot()
            scales[c] = sd > 0 ? sd : 1
        }
        return (means, scales)
    }

    /// `intercept + sum(weights[c] * standardised x[row, c])`.
    @inline(__always)
    static func linearScore(
        _ x: [Double], row r: Int, means: [Double], scales: [Double], weights: [Double], intercept: Double
    ) -> Double {
        let columns = weights.count
        var sum = intercept
        for c in 0..<columns { sum += weights[c] * (x[r * columns + c] - means[c]) / scales[c] }
        return sum
    }
}
