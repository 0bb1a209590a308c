/// One input value of a model row, as features arrive (from the feature cache, a training
/// set or a request): a number (int64, float64 and bool fields), a category (string fields),
/// or missing.
public enum ModelInput: Sendable, Equatable {
    case number(Double)
    case text(String)
    case missing
}

/// The type of one model input, as the feature view declares it.
public enum InputType: String, Sendable, Equatable, CaseIterable {
    case float64
    case int64
    case bool
    case string

    /// Numbers go through as numbers; strings are categories.
    public var isCategorical: Bool { self == .string }
}

/// One input of a model: its name (`view:field`) and type, in the model's order.
public struct InputField: Sendable, Equatable {
    public var name: String
    public var type: InputType

    public init(name: String, type: InputType) {
        self.name = name
        self.type = type
    }
}
