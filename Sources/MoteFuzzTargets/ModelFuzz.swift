import MoteImport
import MoteModels

/// Fuzz targets of the model file readers: a file either is refused with an error or loads
/// and scores any row (zeros, missing values) with the promised number of scores.
enum ModelFuzz {
    static func imported(_ bytes: UnsafeRawBufferPointer, _ format: ImportedModel.Format) {
        let file = Array(bytes)
        for binaryOutput in format == .onnx ? [false, true] : [false] {
            guard let model = try? ImportedModel.read(file, format: format, binaryOutput: binaryOutput) else { continue }
            let width = model.featureCount
            guard width <= 100_000 else { continue }
            var rows = [Double](repeating: 0, count: width * 2)
            for k in width..<(2 * width) { rows[k] = .nan }
            let scores = model.scores(rows, rows: 2)
            require(scores.count == 2 * model.scoreWidth, "\(format): \(scores.count) scores for 2 rows of width \(model.scoreWidth)")
        }
    }

    static func bundle(_ bytes: UnsafeRawBufferPointer) {
        _ = try? ModelBundle.decode(Array(bytes))
    }
}
