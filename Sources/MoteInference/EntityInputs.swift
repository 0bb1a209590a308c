public import MoteFeatures
public import MoteModels

/// A model's inputs for entity rows read from the online cache, under `/v1/predict`'s rule: a
/// row with a feature missing, null or outside its TTL is not predicted (its error names the
/// first such feature) unless `useModel` (the model's own missing-value handling); it is
/// never predicted from zeros. Batch scoring reads its rows by the same rule.
public struct EntityInputs {
    /// Every row's inputs, in the model's input order (failed rows too, for the log).
    public var rows: [[ModelInput]]
    /// The rows that are not to be predicted, with why.
    public var failed: [Int: String]

    public init(values: [[(value: FeatureValue, status: FeatureStatus)]], names: [String], useModel: Bool) {
        rows = []
        rows.reserveCapacity(values.count)
        failed = [:]
        for (r, row) in values.enumerated() {
            var inputs: [ModelInput] = []
            inputs.reserveCapacity(row.count)
            for (k, cell) in row.enumerated() {
                if cell.status != .present, !useModel, failed[r] == nil {
                    failed[r] = "feature '\(names[k])' is \(cell.status.rawValue)"
                }
                inputs.append(ModelInput(cell.value))
            }
            rows.append(inputs)
        }
    }
}
