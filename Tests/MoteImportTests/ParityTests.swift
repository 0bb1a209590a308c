import MoteImport
import OracleModels
import Testing

/// Imported models give their source library's predictions: onnxruntime for ONNX files,
/// LightGBM's and XGBoost's own `predict` for native files, on held-out rows with missing
/// values, to 1e-6 (absolute on probabilities, relative on regression values).
@Suite struct ParityTests {
    @Test func everyOracleModelMatchesItsLibrary() throws {
        let entries = try OracleModels.entries()
        #expect(entries.count >= 21)
        var failures: [String] = []
        for e in entries {
            let model: ImportedModel
            do {
                model = try ImportedModel.read(try OracleModels.bytes(e.file))
            } catch {
                failures.append("\(e.name): \(error)")
                continue
            }
            #expect(model.format.rawValue == e.format, "\(e.name)")
            switch (e.task, model.outcome) {
            case ("regression", .regression): break
            case ("binary", .binary(let labels)): #expect(labels == e.classes, "\(e.name)")
            case ("multiclass", .multiclass(let labels)): #expect(labels == e.classes, "\(e.name)")
            default: failures.append("\(e.name): outcome \(model.outcome), expected \(e.task)")
            }
            let columns = model.featureCount
            let flat = e.rows.flatMap { row in (0..<columns).map { $0 < row.count ? row[$0] : .nan } }
            let scores = model.scores(flat, rows: e.rows.count)
            var worst = 0.0
            var worstRow = -1
            for (r, expected) in e.expected.enumerated() {
                let got: [Double]
                switch model.outcome {
                case .regression: got = [scores[r]]
                case .binary: got = [1 - scores[r], scores[r]]
                case .multiclass(let l): got = Array(scores[(r * l.count)..<((r + 1) * l.count)])
                }
                guard got.count == expected.count else {
                    failures.append("\(e.name): row \(r) has \(got.count) outputs, expected \(expected.count)")
                    break
                }
                for (g, x) in zip(got, expected) {
                    let diff = e.task == "regression" ? abs(g - x) / max(abs(x), 1) : abs(g - x)
                    if !(diff <= worst) || g.isNaN { worst = g.isNaN ? .infinity : diff; worstRow = r }
                }
            }
            if worst > 1e-6 { failures.append("\(e.name): max difference \(worst) at row \(worstRow): \(e.expected[max(worstRow, 0)])") }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
