import Testing
@testable import MoteML

@Suite("isolation forest")
struct IsolationForestTests {
    @Test("far points score higher than the cloud; scores lie in [0, 1]; the same seed gives the same forest")
    func anomalies() {
        var rng = SplitMix64(seed: 4)
        let rows = 2000
        var x = [Double](repeating: 0, count: rows * 2)
        // A bell-shaped cloud around the origin (sum of three uniforms, sd 0.5).
        for i in 0..<(rows * 2) { x[i] = rng.unit() + rng.unit() + rng.unit() - 1.5 }
        let forest = IsolationForest.fit(x: x, rows: rows, columns: 2, seed: 1)
        let probes: [Double] = [0, 0, 0.2, -0.1, 3, 3, -2.5, 0]
        let scores = forest.score(probes, rows: 4)
        #expect(scores.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(scores[0] < 0.45 && scores[1] < 0.45, "\(scores)")
        #expect(scores[2] > 0.6 && scores[3] > 0.6, "\(scores)")
        let inliers = forest.score(x, rows: rows)
        let mean = inliers.reduce(0, +) / Double(rows)
        #expect(mean < 0.5)
        #expect(IsolationForest.fit(x: x, rows: rows, columns: 2, seed: 1) == forest)
        #expect(IsolationForest.fit(x: x, rows: rows, columns: 2, seed: 2) != forest)
    }

    @Test("the average path length matches its definition")
    func averagePath() {
        #expect(IsolationForest.averagePath(1) == 0)
        #expect(IsolationForest.averagePath(2) == 1)
        // c(256) is about 10.24 (Liu et al.).
        #expect(abs(IsolationForest.averagePath(256) - 10.2448) < 0.01)
    }
}
