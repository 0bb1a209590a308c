import MoteCore
import MoteML
import MoteModels
import Testing

/// Per-input explanations of a bundle: one contribution per model input (a one-hot input's
/// columns added up), and base + contributions = the raw score (log-odds of a binary
/// classifier, the value of a regression); an isolation forest refuses with its own code.
@Suite("explanations")
struct ExplainTests {
    @Test("trees, logistic and linear models: base + one contribution per input = the raw score")
    func additive() throws {
        let rows = sampleRows(600).rows
        let cases = try fittedBundles(600).filter { $0.bundle.task != .anomaly }
        for (b, x) in cases {
            // Through the bundle's encoding, as a bundle read back from disk serves.
            let loaded = try ModelBundle.decode(b.encoded())
            let e = try loaded.explain(x, rows: rows.count)
            #expect(e.inputs == 3 && e.outputs == 1 && e.contributions.count == rows.count * 3, "\(b.algorithm)")
            let scores = loaded.scores(x, rows: rows.count)
            var worst = 0.0
            for r in 0..<rows.count {
                let total = e.base[0] + e.contributions[(r * 3)..<(r * 3 + 3)].reduce(0, +)
                // A classifier's probability is the sigmoid of its raw score.
                let predicted = b.task == .binary ? 1 / (1 + exp(-total)) : total
                worst = max(worst, abs(predicted - scores[r]))
            }
            #expect(worst <= 1e-9, "\(b.algorithm): base + contributions give \(worst) away from the prediction")
            // The flag carries no signal: it moves predictions less than temperature and mode do.
            let size = (0..<3).map { i in (0..<rows.count).reduce(0.0) { $0 + abs(e.contributions[$1 * 3 + i]) } }
            #expect(size[2] < size[0] && size[2] < size[1], "\(b.algorithm): \(size)")
        }
    }

    @Test("an isolation forest, and trees without covers (trained by an earlier version), refuse with explanation_unavailable")
    func unavailable() throws {
        let (inputs, rows, y) = sampleRows(200)
        let pre = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: true)
        let x = pre.encode(rows)
        let forest = bundle(.isolationForest(IsolationForest.fit(x: x, rows: rows.count, columns: pre.width, trees: 10)), task: .anomaly, preprocessing: pre, inputs: inputs, rows: rows)
        var p = GBDTParameters()
        p.trees = 3
        var old = GBDTTrainer(p).fit(x: x, y: y, rows: rows.count, columns: pre.width)
        old.cover = []
        let trees = bundle(.gbdt(old), task: .binary, preprocessing: pre, inputs: inputs, rows: rows)
        for b in [forest, trees] {
            do {
                _ = try b.explain(x, rows: rows.count)
                Issue.record("\(b.algorithm) explained")
            } catch {
                #expect(error.code == .explanationUnavailable, "\(b.algorithm): \(error)")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
