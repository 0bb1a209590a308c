public import MoteCore
public import MoteImport
public import MoteML

/// What a model predicts.
public enum ModelTask: String, Sendable, Equatable, CaseIterable {
    case regression
    case binary
    case multiclass
    /// Isolation forest: an anomaly score in [0, 1], no labels.
    case anomaly
}

/// A fitted learner.
public enum TrainedModel: Sendable, Equatable {
    case gbdt(GBDTModel)
    case linear(LinearModel)
    case logistic(LogisticModel)
    case isolationForest(IsolationForest)
    /// A model another library trained, read from its file (LightGBM, XGBoost, ONNX).
    case imported(ImportedModel)

    /// The algorithm's name in specs and bundles (the file format for imported models).
    public var algorithm: String {
        switch self {
        case .gbdt: "gbdt"
        case .linear: "linear"
        case .logistic: "logistic"
        case .isolationForest: "isolation_forest"
        case .imported(let m): m.format.rawValue
        }
    }

    /// Matrix columns the model reads.
    public var featureCount: Int {
        switch self {
        case .gbdt(let m): m.featureCount
        case .linear(let m): m.featureCount
        case .logistic(let m): m.featureCount
        case .isolationForest(let m): m.featureCount
        case .imported(let m): m.featureCount
        }
    }
}

/// One output of a model in Open Inference Protocol terms (shape -1 is the batch).
public struct OutputField: Sendable, Equatable {
    public var name: String
    public var datatype: String
    public var shape: [Int]
}

/// How a model was made: the run, the training set, when, and its holdout metrics.
public struct TrainingRecord: Sendable, Equatable {
    public var runID: String
    /// The training set's fingerprint (definitions version and hash, time range, rows, content hash).
    public var dataset: JSONValue
    public var trainedAtNanos: Int64
    /// Holdout metrics by name (`auc`, `logloss`, `rmse`, ...).
    public var metrics: [String: Double]

    public init(runID: String, dataset: JSONValue, trainedAtNanos: Int64, metrics: [String: Double]) {
        self.runID = runID
        self.dataset = dataset
        self.trainedAtNanos = trainedAtNanos
        self.metrics = metrics
    }
}

/// A model with everything needed to use it and to check it later: a versioned,
/// self-describing document (see `ModelBundle+JSON.swift` for the format). Stored through the
/// registry as a content-addressed artifact.
public struct ModelBundle: Sendable, Equatable {
    public static let formatName = "mote.model"
    public static let formatVersion = 1

    public var task: ModelTask
    public var hyperparameters: JSONObject
    /// Inputs in the model's order.
    public var inputs: [InputField]
    /// Class labels (as text) for classifiers, index = class; empty otherwise.
    public var classes: [String]
    public var preprocessing: Preprocessor
    public var training: TrainingRecord
    public var profile: ReferenceProfile
    public var model: TrainedModel

    public init(
        task: ModelTask, hyperparameters: JSONObject, inputs: [InputField], classes: [String], preprocessing: Preprocessor,
        training: TrainingRecord, profile: ReferenceProfile, model: TrainedModel
    ) {
        self.task = task
        self.hyperparameters = hyperparameters
        self.inputs = inputs
        self.classes = classes
        self.preprocessing = preprocessing
        self.training = training
        self.profile = profile
        self.model = model
    }

    public var algorithm: String { model.algorithm }

    /// Scores per row: 1 for regression (the value), binary (probability of class 1) and
    /// anomaly (the score); one probability per class for multiclass.
    public var scoreWidth: Int { task == .multiclass ? classes.count : 1 }

    /// The outputs a prediction answers with.
    public var outputs: [OutputField] {
        switch task {
        case .regression: [OutputField(name: "predictions", datatype: "FP64", shape: [-1])]
        case .anomaly: [OutputField(name: "anomaly_score", datatype: "FP64", shape: [-1])]
        case .binary, .multiclass:
            [
                OutputField(name: "label", datatype: "BYTES", shape: [-1]),
                OutputField(name: "probabilities", datatype: "FP64", shape: [-1, classes.count]),
            ]
        }
    }

    /// Scores for an encoded row-major matrix (`preprocessing.width` columns), `scoreWidth` per row.
    public func scores(_ x: [Double], rows: Int) -> [Double] {
        switch model {
        case .gbdt(let m): m.predict(x, rows: rows)
        case .linear(let m): m.predict(x, rows: rows)
        case .logistic(let m): m.predict(x, rows: rows)
        case .isolationForest(let m): m.score(x, rows: rows)
        case .imported(let m): m.scores(x, rows: rows)
        }
    }

    /// Whether every input names a feature (`view:field`), so predictions by entity key can
    /// read them from the feature cache. Trained models always are; an imported model is when
    /// its inputs were bound at import.
    public var inputsBoundToFeatures: Bool { inputs.allSatisfy { $0.name.contains(":") } }

    /// The model file's origin, for imported models.
    public var imported: ImportedModel? {
        if case .imported(let m) = model { return m }
        return nil
    }

    /// `{"inputs": [{name, type}], "outputs": [{name, datatype}]}`, as registered with a version.
    public func signature() -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("inputs"); w.beginArray()
        for i in inputs { w.beginObject(); w.key("name"); w.string(i.name); w.key("type"); w.string(i.type.rawValue); w.endObject() }
        w.endArray()
        w.key("outputs"); w.beginArray()
        for o in outputs { w.beginObject(); w.key("name"); w.string(o.name); w.key("datatype"); w.string(o.datatype); w.endObject() }
        w.endArray()
        w.endObject()
        return w
    }

    /// Scores for input rows (encoded with the recorded preprocessing).
    public func scores(inputs rows: [[ModelInput]]) -> [Double] {
        scores(preprocessing.encode(rows), rows: rows.count)
    }

    /// Scores rows `range` of `columns` (the bundle's inputs, in its order), encoded a chunk at a
    /// time so that the encoded matrix never holds more than `chunk` rows.
    public func scores(columns: InputColumns, rows range: Range<Int>, chunk: Int = 8192) -> [Double] {
        var out: [Double] = []
        for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
            let part = start..<min(range.upperBound, start + chunk)
            out.append(contentsOf: scores(preprocessing.encode(columns, rows: part), rows: part.count))
        }
        return out
    }
}
