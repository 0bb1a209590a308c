public import MoteCore
public import MoteImport

extension ErrorCode {
    /// A model version's inputs are not bound to features, so it cannot read them by entity key.
    public static let inputsNotBound: ErrorCode = "inputs_not_bound"
}

extension ModelBundle {
    /// A bundle for a model another library trained: its task and classes from the file, its
    /// inputs named `inputs` (feature references when bound, else the file's own names), numbers
    /// passed through as given (NaN is a missing value, handled by the model as its library
    /// does), and `profile` as the monitoring reference (empty: none).
    public static func imported(
        _ model: ImportedModel, inputs names: [String]? = nil, profile: ReferenceProfile? = nil, importedAtNanos: Int64
    ) -> ModelBundle {
        let task: ModelTask
        let classes: [String]
        switch model.outcome {
        case .regression: (task, classes) = (.regression, [])
        case .binary(let l): (task, classes) = (.binary, l)
        case .multiclass(let l): (task, classes) = (.multiclass, l)
        }
        let inputNames = names ?? model.inputNames
        let inputs = inputNames.map { InputField(name: $0, type: .float64) }
        var dataset = JSONObject()
        dataset["imported_from"] = .string(model.format.rawValue)
        dataset["sha256"] = .string(SHA256.hex(of: model.source))
        dataset["producer"] = .string(model.producer)
        return ModelBundle(
            task: task, hyperparameters: JSONObject(), inputs: inputs, classes: classes,
            preprocessing: Preprocessor(missing: .native, columns: inputs.map { _ in .numeric(mean: 0) }),
            training: TrainingRecord(runID: "", dataset: .object(dataset), trainedAtNanos: importedAtNanos, metrics: [:]),
            profile: profile ?? ReferenceProfile(rows: 0, features: [], prediction: nil), model: .imported(model))
    }
}
