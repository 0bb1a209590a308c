public import MoteML

/// A model trained by another library, read from the file that library wrote, ready to
/// predict with that library's numbers. Trees (LightGBM, XGBoost, and ONNX graphs that are a
/// single tree ensemble) become a `GBDTModel` for mote's tree walk; other ONNX graphs run on
/// mote's small graph interpreter.
public struct ImportedModel: Sendable {
    /// The file formats mote reads.
    public enum Format: String, Sendable, CaseIterable {
        case lightgbm, xgboost, onnx
    }

    /// What the model predicts, with class labels (index = class) for classifiers.
    public enum Outcome: Sendable, Equatable {
        case regression
        case binary([String])
        case multiclass([String])
    }

    enum Predictor: Sendable {
        case trees(GBDTModel)
        case graph(ONNXGraph)
    }

    public let format: Format
    /// The library and version the file names (`producer_name producer_version` for ONNX).
    public let producer: String
    /// One name per input column, in the model's order.
    public let inputNames: [String]
    public let outcome: Outcome
    let predictor: Predictor
    /// The file as given.
    public let source: [UInt8]
    /// Trees laid out for serving (tree models).
    let walker: GBDTPredictor?

    init(format: Format, producer: String, inputNames: [String], outcome: Outcome, predictor: Predictor, source: [UInt8]) {
        self.format = format
        self.producer = producer
        self.inputNames = inputNames
        self.outcome = outcome
        self.predictor = predictor
        self.source = source
        if case .trees(let m) = predictor { walker = GBDTPredictor(m) } else { walker = nil }
    }

    /// Input columns per row.
    public var featureCount: Int { inputNames.count }

    /// Scores per row: 1 for regression (the value) and binary (the probability of the second
    /// class), one probability per class for multiclass.
    public var scoreWidth: Int {
        if case .multiclass(let labels) = outcome { return labels.count }
        return 1
    }

    /// The tree ensemble, when the model is one (for its size and for tests).
    public var trees: GBDTModel? {
        if case .trees(let m) = predictor { return m }
        return nil
    }

    /// Scores (`scoreWidth` per row) for a row-major matrix of `featureCount` columns; NaN is
    /// a missing value.
    public func scores(_ x: UnsafeBufferPointer<Double>, rows: Int) -> [Double] {
        if let walker { return walker.predict(x, rows: rows) }
        guard case .graph(let graph) = predictor else { return [] }
        return graph.scores(x, rows: rows)
    }

    public func scores(_ x: [Double], rows: Int) -> [Double] {
        x.withUnsafeBufferPointer { scores($0, rows: rows) }
    }

    /// Reads a model file: in `format`, or the format its content shows when nil. Anything
    /// damaged, hostile or beyond what mote implements is an `ImportError` saying what.
    public static func read(_ bytes: [UInt8], format: Format? = nil, binaryOutput: Bool = false) throws(ImportError) -> ImportedModel {
        guard let format = format ?? detect(bytes) else {
            throw ImportError(.unknownFormat, "the file is not a LightGBM text model, an XGBoost JSON/UBJSON model or an ONNX model")
        }
        let model: ImportedModel
        switch format {
        case .lightgbm: model = try LightGBMText.read(bytes)
        case .xgboost: model = try XGBoostModel.read(bytes)
        case .onnx: model = try ONNXImport.read(bytes, binaryOutput: binaryOutput)
        }
        // A tree ensemble must add to as many outputs as its outcome has scores (a file that
        // says regression with three classes would answer three numbers per row).
        if let trees = model.trees, trees.classCount != model.scoreWidth {
            throw .invalid("\(format.rawValue) model: its trees make \(trees.classCount) outputs per row, its objective \(model.scoreWidth)")
        }
        return model
    }

    /// The format the content shows, if any.
    public static func detect(_ bytes: [UInt8]) -> Format? {
        if LightGBMText.matches(bytes) { return .lightgbm }
        if XGBoostModel.matches(bytes) { return .xgboost }
        if ONNXImport.matches(bytes) { return .onnx }
        return nil
    }
}

extension ImportedModel: Equatable {
    /// Two imports are equal when they were read from the same bytes in the same format.
    public static func == (a: ImportedModel, b: ImportedModel) -> Bool {
        a.format == b.format && a.source == b.source
    }
}
