import MoteImport
import MoteML
import OracleModels
import Testing

/// TreeSHAP on imported tree ensembles equals the source library's own (LightGBM's
/// `pred_contrib`, XGBoost's `pred_contribs`) to 1e-6 on the held-out rows, missing values,
/// categorical splits, zero-as-missing, random forests and multiclass included (relative above
/// 1, as XGBoost computes in single precision); and every row's base plus contributions is
/// its raw score. LightGBM does not average a random forest's contributions over its trees
/// (they add up to the sum of the trees, not to the forest's averaged score): mote's do
/// average, so they are compared times the tree count.
@Suite struct TreeSHAPTests {
    /// An entry's trees and their TreeSHAP over all its held-out rows in one batch (split over
    /// `threads`): the rows as the model reads them and `phi[(row * outputs + output) * width + input]`.
    static func explained(
        _ e: OracleModels.Entry, threads: Int = 1
    ) throws -> (trees: GBDTModel, shap: TreeSHAP, width: Int, rows: [[Double]], phi: [Double])? {
        let model = try ImportedModel.read(try OracleModels.bytes(e.file))
        guard let trees = model.trees, let shap = TreeSHAP(trees) else {
            Issue.record("\(e.name): no trees with covers")
            return nil
        }
        let width = model.featureCount
        let rows = e.rows.map { row in (0..<width).map { $0 < row.count ? row[$0] : .nan } }
        let x = rows.flatMap { $0 }
        var phi = [Double](repeating: 0, count: rows.count * shap.outputs * width)
        x.withUnsafeBufferPointer { x in phi.withUnsafeMutableBufferPointer { shap.explain(x, rows: rows.count, into: $0, threads: threads) } }
        return (trees, shap, width, rows, phi)
    }

    @Test func contributionsEqualTheLibrarys() throws {
        let entries = try OracleModels.entries().filter { !$0.contributions.isEmpty }
        #expect(entries.count >= 7, "\(entries.map(\.name))")
        for e in entries {
            guard let (trees, shap, width, rows, phi) = try Self.explained(e) else { continue }
            // LightGBM's random forest: contributions summed over trees, not averaged.
            let scale = e.format == "lightgbm" && trees.output.divisor > 1 ? trees.output.divisor : 1
            var worst = 0.0
            var worstSum = 0.0
            for (r, values) in rows.enumerated() {
                let expected = e.contributions[r]
                #expect(expected.count == shap.outputs, "\(e.name)")
                for o in 0..<min(expected.count, shap.outputs) {
                    let at = (r * shap.outputs + o) * width
                    func off(_ got: Double, _ want: Double) -> Double { abs(got - want) / max(1, abs(want)) }
                    for f in 0..<width { worst = max(worst, off(phi[at + f] * scale, expected[o][f])) }
                    worst = max(worst, off(shap.base[o] * scale, expected[o][width]))
                    // Base plus contributions is the raw score, the trees' leaves summed.
                    let total = shap.base[o] + (0..<width).reduce(0) { $0 + phi[at + $1] }
                    worstSum = max(worstSum, off(total, Self.rawScore(trees, values, output: o)))
                }
            }
            #expect(worst <= 1e-6, "\(e.name): largest difference from the library's contributions \(worst)")
            #expect(worstSum <= 1e-6, "\(e.name): base + contributions differs from the raw score by \(worstSum)")
        }
    }

    /// Equal to `shap.TreeExplainer` (PyPI `shap`) on the same LightGBM models, base value
    /// included; the batch split over three threads gives the same numbers.
    @Test func contributionsEqualShapTreeExplainer() throws {
        let entries = try OracleModels.entries().filter { !$0.shapValues.isEmpty }
        #expect(entries.map(\.name).sorted() == ["lgb_binary", "lgb_multiclass", "lgb_regression"])
        for e in entries {
            guard let (_, shap, width, rows, phi) = try Self.explained(e, threads: 3) else { continue }
            var worst = 0.0
            for r in rows.indices {
                for o in 0..<shap.outputs {
                    let want = e.shapValues[r][o]
                    let at = (r * shap.outputs + o) * width
                    for f in 0..<width { worst = max(worst, abs(phi[at + f] - want[f])) }
                    worst = max(worst, abs(shap.base[o] - want[width]))
                }
            }
            #expect(worst <= 1e-6, "\(e.name): largest difference from shap.TreeExplainer \(worst)")
        }
    }

    /// The output's raw score: the base score plus the leaf each tree sends the row to, averaged
    /// for a forest.
    static func rawScore(_ m: GBDTModel, _ row: [Double], output: Int) -> Double {
        var sum = output < m.baseScores.count ? m.baseScores[output] : 0
        for t in 0..<m.treeCount where m.output(ofTree: t) == output {
            var n = Int(m.roots[t])
            while m.feature[n] >= 0 { n = Int(m.goesLeft(n, row[Int(m.feature[n])]) ? m.left[n] : m.right[n]) }
            sum += m.value[n]
        }
        return m.output.divisor > 1 ? sum / m.output.divisor : sum
    }

    @Test func anONNXEnsembleHasNoCoversAndIsNotExplained() throws {
        let e = try OracleModels.entry("skl_mlp")
        let model = try ImportedModel.read(try OracleModels.bytes(e.file))
        #expect(model.trees == nil)
    }
}
