#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MoteML

/// Generated binary data: y depends on a few informative columns through a logistic link,
/// the others are noise; deterministic for a seed.
func makeClassification(rows: Int, columns: Int, seed: UInt64, missingEvery: Int = 0) -> (x: [Double], y: [Double]) {
    var rng = SplitMix64(seed: seed)
    var x = [Double](repeating: 0, count: rows * columns)
    var y = [Double](repeating: 0, count: rows)
    for r in 0..<rows {
        for c in 0..<columns { x[r * columns + c] = rng.unit() * 2 - 1 }
        let z = 3 * x[r * columns] - 2 * x[r * columns + 1] + 2.5 * x[r * columns + 2] * x[r * columns + 3] + (x[r * columns + 4] > 0.3 ? 1.5 : -0.5)
        y[r] = rng.unit() < sigmoid(z) ? 1 : 0
        if missingEvery > 0, r % missingEvery == 0 { x[r * columns + 5] = .nan }
    }
    return (x, y)
}

@Suite("gradient-boosted trees")
struct GBDTTests {
    @Test("binary: reaches AUC 0.85 on held-out generated data, beats a constant, and log loss falls tree by tree")
    func binary() {
        let train = makeClassification(rows: 8000, columns: 10, seed: 1)
        let test = makeClassification(rows: 2000, columns: 10, seed: 2)
        var p = GBDTParameters()
        p.trees = 60
        var losses: [Double] = []
        let model = GBDTTrainer(p).fit(x: train.x, y: train.y, rows: 8000, columns: 10) { progress in
            losses.append(progress.trainLoss)
            return true
        }
        #expect(model.treeCount == 60)
        let probabilities = model.predict(test.x, rows: 2000)
        let auc = Metrics.auc(labels: test.y, scores: probabilities)
        #expect(auc > 0.85, "AUC \(auc)")
        let base = test.y.reduce(0, +) / 2000
        #expect(Metrics.logLoss(labels: test.y, probabilities: probabilities) < Metrics.logLoss(labels: test.y, probabilities: Array(repeating: base, count: 2000)) - 0.1)
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $0.0 >= $0.1 - 1e-12 })
    }

    @Test("the same seed and threads give the same model; one thread is as good as two")
    func deterministic() {
        let data = makeClassification(rows: 6000, columns: 8, seed: 3)
        var p = GBDTParameters()
        p.trees = 15
        p.baggingFraction = 0.8
        p.featureFraction = 0.7
        let a = GBDTTrainer(p).fit(x: data.x, y: data.y, rows: 6000, columns: 8)
        let b = GBDTTrainer(p).fit(x: data.x, y: data.y, rows: 6000, columns: 8)
        #expect(a == b)
        // Two threads sum row halves separately: the last bits may differ, the quality not.
        p.threads = 1
        let single = GBDTTrainer(p).fit(x: data.x, y: data.y, rows: 6000, columns: 8)
        let aucA = Metrics.auc(labels: data.y, scores: a.predict(data.x, rows: 6000))
        let aucSingle = Metrics.auc(labels: data.y, scores: single.predict(data.x, rows: 6000))
        #expect(abs(aucA - aucSingle) < 0.01)
        p.seed = 8
        #expect(GBDTTrainer(p).fit(x: data.x, y: data.y, rows: 6000, columns: 8) != a)
    }

    @Test("regression: a step function is learned to within its noise; num_leaves and max_depth bound the trees")
    func regression() {
        var rng = SplitMix64(seed: 5)
        let rows = 4000
        var x = [Double](repeating: 0, count: rows * 2)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            x[2 * r] = rng.unit() * 10
            x[2 * r + 1] = rng.unit()
            y[r] = (x[2 * r] < 3 ? 1 : x[2 * r] < 7 ? 5 : 2) + (rng.unit() - 0.5) * 0.1
        }
        var p = GBDTParameters()
        p.objective = .regression
        p.trees = 50
        p.numLeaves = 4
        p.maxDepth = 2
        let model = GBDTTrainer(p).fit(x: x, y: y, rows: rows, columns: 2)
        let predictions = model.predict(x, rows: rows)
        // Away from the steps the fit is within the noise; at a step, a value bin (about 16
        // rows wide here) can straddle it.
        let away = (0..<rows).filter { abs(x[2 * $0] - 3) > 0.1 && abs(x[2 * $0] - 7) > 0.1 }
        #expect(Metrics.rmse(labels: away.map { y[$0] }, predictions: away.map { predictions[$0] }) < 0.05)
        #expect(Metrics.rmse(labels: y, predictions: predictions) < 0.3)
        // At most 4 leaves (7 nodes) per tree.
        for (k, root) in model.roots.enumerated() {
            let end = k + 1 < model.roots.count ? Int(model.roots[k + 1]) : model.feature.count
            #expect(end - Int(root) <= 7)
        }
        #expect(abs(model.predict([5, 0.5], rows: 1)[0] - 5) < 0.2)
    }

    @Test("missing values go to the side that gains: a feature that is missing exactly when the label is 1 is used")
    func missing() {
        var rng = SplitMix64(seed: 9)
        let rows = 3000
        var x = [Double](repeating: 0, count: rows * 2)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            y[r] = rng.unit() < 0.5 ? 1 : 0
            x[2 * r] = y[r] == 1 ? .nan : rng.unit()
            x[2 * r + 1] = rng.unit()
        }
        var p = GBDTParameters()
        p.trees = 10
        p.learningRate = 0.5
        let model = GBDTTrainer(p).fit(x: x, y: y, rows: rows, columns: 2)
        #expect(model.predict([.nan, 0.5], rows: 1)[0] > 0.9)
        #expect(model.predict([0.5, 0.5], rows: 1)[0] < 0.1)
    }

    @Test("early stopping keeps the trees up to the best validation loss")
    func earlyStopping() {
        let train = makeClassification(rows: 3000, columns: 10, seed: 11)
        let valid = makeClassification(rows: 1000, columns: 10, seed: 12)
        var p = GBDTParameters()
        p.trees = 400
        p.learningRate = 0.3
        p.earlyStoppingRounds = 10
        var seen = 0
        let model = GBDTTrainer(p).fit(x: train.x, y: train.y, rows: 3000, columns: 10, valid: (valid.x, valid.y, 1000)) { _ in
            seen += 1
            return true
        }
        #expect(seen < 400, "early stopping never stopped")
        #expect(model.treeCount == seen - 10)
    }

    @Test("multiclass: three regions are told apart; each row's probabilities sum to 1; one tree per class per round")
    func multiclass() {
        var rng = SplitMix64(seed: 13)
        let rows = 6000
        var x = [Double](repeating: 0, count: rows * 3)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<3 { x[r * 3 + c] = rng.unit() * 2 - 1 }
            let a = x[r * 3]
            let b = x[r * 3 + 1]
            y[r] = a + b > 0.5 ? 2 : (a - b > 0 ? 1 : 0)
            if rng.unit() < 0.05 { y[r] = Double(rng.next() % 3) }  // label noise
        }
        var p = GBDTParameters()
        p.objective = .multiclass
        p.numClasses = 3
        p.trees = 30
        let model = GBDTTrainer(p).fit(x: Array(x[0..<(4000 * 3)]), y: Array(y[0..<4000]), rows: 4000, columns: 3)
        #expect(model.treeCount == 90 && model.classCount == 3)
        let probabilities = model.predict(Array(x[(4000 * 3)...]), rows: 2000)
        var right = 0
        for r in 0..<2000 {
            let row = probabilities[(r * 3)..<(r * 3 + 3)]
            #expect(abs(row.reduce(0, +) - 1) < 1e-9)
            let predicted = row.indices.max { row[$0] < row[$1] }! - r * 3
            if Double(predicted) == y[4000 + r] { right += 1 }
        }
        #expect(Double(right) / 2000 > 0.88, "accuracy \(Double(right) / 2000)")
    }

    @Test("binning: at most 255 value bins, missing in bin 0, few distinct values one bin each")
    func binning() {
        var x: [Double] = []
        for r in 0..<10_000 { x += [Double(r), Double(r % 3), r % 10 == 0 ? .nan : 1] }
        let binner = FeatureBinner(x: x, rows: 10_000, columns: 3)
        #expect(binner.bounds[0].count <= 255)
        #expect(binner.bounds[1].count == 3)
        #expect(binner.bin(.nan, feature: 2) == 0)
        #expect(binner.bin(0, feature: 1) == 1 && binner.bin(1, feature: 1) == 2 && binner.bin(2, feature: 1) == 3)
        #expect(binner.bin(-5, feature: 0) == 1 && binner.bin(1e9, feature: 0) == UInt8(binner.bounds[0].count))
    }
}

@Suite("GBDT serving layout")
struct GBDTPredictorTests {
    /// A plain walk over the model's arrays, one row and one tree at a time, in tree order.
    static func reference(_ m: GBDTModel, _ x: [Double], rows: Int) -> [Double] {
        let k = m.classCount
        var out: [Double] = []
        for r in 0..<rows {
            var scores = m.baseScores
            for (t, root) in m.roots.enumerated() {
                var node = Int(root)
                while m.feature[node] >= 0 {
                    let v = x[r * m.featureCount + Int(m.feature[node])]
                    let left = v.isNaN ? m.defaultLeft[node] : v <= m.threshold[node]
                    node = Int(left ? m.left[node] : m.right[node])
                }
                scores[t % k] += m.value[node]
            }
            switch m.objective {
            case .regression: out.append(scores[0])
            case .binary: out.append(1 / (1 + exp(-scores[0])))
            case .multiclass:
                let top = scores.max()!
                let e = scores.map { exp($0 - top) }
                let total = e.reduce(0, +)
                out.append(contentsOf: e.map { $0 / total })
            }
        }
        return out
    }

    @Test("the packed predictor gives exactly the model's predictions, missing values included, for each objective")
    func samePredictions() {
        var state: UInt64 = 5
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let rows = 3000
        let columns = 5
        var x = [Double](repeating: 0, count: rows * columns)
        var y = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            for c in 0..<columns { x[r * columns + c] = next() < 0.05 ? .nan : next() * 10 }
            y[r] = (x[r * columns] > 5 ? 1 : 0) + (x[r * columns + 1] > 7 ? 1 : 0)
        }
        for objective in GBDTObjective.allCases {
            var p = GBDTParameters()
            p.objective = objective
            p.numClasses = 3
            p.trees = 21  // a tree count (and, for 3 classes, 63 trees) not a multiple of four
            p.numLeaves = 15
            let labels = objective == .binary ? y.map { min($0, 1) } : y
            let model = GBDTTrainer(p).fit(x: x, y: labels, rows: rows, columns: columns)
            // Whole groups of four rows, single rows (one request's row walks four trees at a
            // time) and groups with a tail.
            for n in [rows, 1, 2, 3, 7] {
                let part = Array(x[0..<(n * columns)])
                #expect(GBDTPredictor(model).predict(part, rows: n) == Self.reference(model, part, rows: n), "\(objective), \(n) rows")
            }
        }
    }

    @Test("bit-vector scoring picks exactly the walk's leaves: NaN, infinities, values equal to thresholds, deep and wide trees")
    func bitVectorsEqualTheWalk() {
        var state: UInt64 = 17
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        func uniform() -> Double { Double(next()) / Double(1 << 53) }
        /// A random tree in preorder with `leaves` leaves over `columns` features, thresholds
        /// from a small grid so rows hit them exactly.
        func tree(leaves: Int, columns: Int, into m: inout GBDTModel) {
            m.roots.append(Int32(m.feature.count))
            func grow(_ leaves: Int) -> Int32 {
                let index = m.feature.count
                m.feature.append(-1)
                m.threshold.append(0)
                m.defaultLeft.append(false)
                m.left.append(-1)
                m.right.append(-1)
                m.value.append(uniform() - 0.5)
                if leaves == 1 { return Int32(index) }
                m.feature[index] = Int32(next() % UInt64(columns))
                m.threshold[index] = Double(next() % 9) - 4
                m.defaultLeft[index] = next() % 2 == 0
                // Uneven splits make deep, leaf-wise-looking trees.
                let l = 1 + Int(next() % UInt64(leaves - 1))
                let left = grow(l)
                let right = grow(leaves - l)
                m.left[index] = left
                m.right[index] = right
                return Int32(index)
            }
            _ = grow(leaves)
        }
        let columns = 6
        for (objective, k, leaves) in [(GBDTObjective.binary, 1, 31), (.regression, 1, 64), (.multiclass, 3, 7), (.binary, 1, 65)] {
            var m = GBDTModel(
                objective: objective, classCount: k, baseScores: [Double](repeating: 0.1, count: k), feature: [], threshold: [], defaultLeft: [],
                left: [], right: [], value: [], roots: [], featureCount: columns)
            for _ in 0..<(k * 40) { tree(leaves: 2 + Int(next() % UInt64(leaves - 1)), columns: columns, into: &m) }
            let rows = 500
            var x = [Double](repeating: 0, count: rows * columns)
            for i in x.indices {
                switch next() % 10 {
                case 0: x[i] = .nan
                case 1: x[i] = next() % 2 == 0 ? .infinity : -.infinity
                case 2, 3: x[i] = Double(next() % 9) - 4  // exactly a threshold
                default: x[i] = uniform() * 10 - 5
                }
            }
            let fast = GBDTPredictor(m)
            #expect((fast.quick != nil) == (leaves <= 64), "bit vectors for trees of at most 64 leaves")
            let walk = GBDTPredictor(m, bitVectors: false)
            for n in [rows, 1, 3] {
                let part = Array(x[0..<(n * columns)])
                #expect(fast.predict(part, rows: n) == walk.predict(part, rows: n), "\(objective) \(leaves) leaves, \(n) rows")
            }
            #expect(walk.predict(x, rows: rows) == Self.reference(m, x, rows: rows))
        }
    }
}
