import Testing
@testable import MoteML

/// TreeSHAP on mote's own trees: equal to the Shapley values computed the slow way (every
/// subset of the inputs, each conditional expectation a cover-weighted walk: algorithm 1 of
/// the TreeSHAP paper), and additive (base + contributions = the raw score) with missing values.
@Suite("TreeSHAP")
struct TreeSHAPTests {
    /// The expected raw score of one tree when only the inputs in `known` are known.
    static func expectation(_ m: GBDTModel, _ n: Int, _ row: [Double], _ known: Set<Int>) -> Double {
        if m.feature[n] < 0 { return m.value[n] }
        let f = Int(m.feature[n])
        let l = Int(m.left[n]), r = Int(m.right[n])
        if known.contains(f) { return expectation(m, m.goesLeft(n, row[f]) ? l : r, row, known) }
        return (m.cover[l] * expectation(m, l, row, known) + m.cover[r] * expectation(m, r, row, known)) / m.cover[n]
    }

    static func rawScore(_ m: GBDTModel, _ row: [Double]) -> Double {
        var sum = m.baseScores[0]
        for t in 0..<m.treeCount {
            var n = Int(m.roots[t])
            while m.feature[n] >= 0 { n = Int(m.goesLeft(n, row[Int(m.feature[n])]) ? m.left[n] : m.right[n]) }
            sum += m.value[n]
        }
        return sum
    }

    func factorial(_ n: Int) -> Double { n <= 1 ? 1 : Double(n) * factorial(n - 1) }

    @Test("equal to the Shapley values of every subset of inputs")
    func bruteForce() {
        let columns = 5
        let data = makeClassification(rows: 3000, columns: 6, seed: 11, missingEvery: 9)
        let x = stride(from: 0, to: data.x.count, by: 6).flatMap { Array(data.x[$0..<($0 + columns)]) }
        var p = GBDTParameters()
        p.trees = 6
        p.numLeaves = 6
        let model = GBDTTrainer(p).fit(x: x, y: data.y, rows: 3000, columns: columns) { _ in true }
        #expect(model.cover.count == model.feature.count && model.cover[Int(model.roots[0])] == 3000)
        guard let shap = TreeSHAP(model) else {
            Issue.record("no covers")
            return
        }
        var worst = 0.0
        for r in 0..<40 {
            var row = Array(x[(r * columns)..<((r + 1) * columns)])
            if r % 5 == 0 { row[2] = .nan }
            var phi = [Double](repeating: 0, count: columns)
            row.withUnsafeBufferPointer { v in phi.withUnsafeMutableBufferPointer { shap.explain(v, rows: 1, into: $0) } }
            for i in 0..<columns {
                var slow = 0.0
                let others = (0..<columns).filter { $0 != i }
                for mask in 0..<(1 << others.count) {
                    let subset = Set(others.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
                    let weight = factorial(subset.count) * factorial(columns - subset.count - 1) / factorial(columns)
                    var with = subset
                    with.insert(i)
                    for t in 0..<model.treeCount {
                        let root = Int(model.roots[t])
                        slow += weight * (Self.expectation(model, root, row, with) - Self.expectation(model, root, row, subset))
                    }
                }
                worst = max(worst, abs(slow - phi[i]))
            }
            let total = shap.base[0] + phi.reduce(0, +)
            worst = max(worst, abs(total - Self.rawScore(model, row)))
        }
        #expect(worst <= 1e-9, "largest difference \(worst)")
    }
}
