public import MoteModels

extension ModelInput {
    /// A feature value as a model input: training and serving convert through this one rule
    /// (null and non-finite numbers are missing, booleans are 0 and 1).
    public init(_ value: FeatureValue) {
        switch value {
        case .null: self = .missing
        case .double(let d): self = d.isFinite ? .number(d) : .missing
        case .int(let i): self = .number(Double(i))
        case .bool(let b): self = .number(b ? 1 : 0)
        case .string(let s): self = .text(s)
        }
    }
}


extension FeatureColumn {
    /// The column as one model input's values, by the same rule as `ModelInput.init(_:)`:
    /// numbers (NaN for missing: null, a string) for a numeric input, category codes (-1 for
    /// missing: null, a number) for a categorical one. A float64 column is handed over as is.
    public func modelInputColumn(categorical: Bool) -> InputColumns.Column {
        if categorical {
            var builder = CategoryColumnBuilder(capacity: count)
            for r in 0..<count {
                if case .string(let s) = self[r] { builder.append(s) } else { builder.append(nil) }
            }
            return builder.build()
        }
        switch self {
        case .float64(let v):
            // Stored numbers are finite and null is a NaN: already the input's form.
            return .numbers(v)
        case .int64(let v, let present):
            return .numbers((0..<v.count).map { present[$0] ? Double(v[$0]) : .nan })
        case .bool(let v):
            return .numbers(v.map { $0 == 2 ? .nan : Double($0) })
        case .values(let v):
            return .numbers(v.map { value in
                if case .number(let d) = ModelInput(value) { return d }
                return .nan
            })
        }
    }
}
