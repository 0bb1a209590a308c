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

