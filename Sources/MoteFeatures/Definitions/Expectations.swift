public import MoteCore

/// What a field's values are expected to be (`min`, `max`, `allowed`, `not_null` in its
/// `fields` entry). A value that breaks one is a violation of that rule.
public struct FieldExpectations: Sendable, Equatable {
    public var min: Double?
    public var max: Double?
    /// The values a string (or int64) field may take, as text; nil: any.
    public var allowed: [String]?
    public var notNull = false

    public init(min: Double? = nil, max: Double? = nil, allowed: [String]? = nil, notNull: Bool = false) {
        self.min = min
        self.max = max
        self.allowed = allowed
        self.notNull = notNull
    }

    public var isEmpty: Bool { min == nil && max == nil && allowed == nil && !notNull }

    /// The rules declared: `min`, `max`, `allowed`, `not_null`.
    public var rules: [String] {
        (min != nil ? ["min"] : []) + (max != nil ? ["max"] : []) + (allowed != nil ? ["allowed"] : []) + (notNull ? ["not_null"] : [])
    }

    /// The rule `value` breaks, if any: `not_null`, `min`, `max` or `allowed`.
    public func broken(by value: FeatureValue) -> String? {
        switch value {
        case .null: return notNull ? "not_null" : nil
        case .double(let d):
            if let min, d < min { return "min" }
            if let max, d > max { return "max" }
            if let allowed, !allowed.contains(String(d)) { return "allowed" }
        case .int(let i):
            if let min, Double(i) < min { return "min" }
            if let max, Double(i) > max { return "max" }
            if let allowed, !allowed.contains(String(i)) { return "allowed" }
        case .string(let s):
            if let allowed, !allowed.contains(s) { return "allowed" }
        case .bool(let b):
            if let allowed, !allowed.contains(String(b)) { return "allowed" }
        }
        return nil
    }
}

/// What a view does with rows that break their fields' expectations (`on_invalid`), and what
/// it expects of its data as a whole (`max_null_share`, `expect_every`).
public struct ViewExpectations: Sendable, Equatable {
    public enum OnInvalid: String, Sendable, CaseIterable {
        /// The push is refused (422 `expectation_failed`, naming rows and rules); nothing is stored.
        case reject
        /// The rows are stored and counted per rule.
        case flag
    }
    public var onInvalid: OnInvalid = .reject
    /// The share of nulls of a field over the quality window beyond which it is reported.
    public var maxNullShare: Double?
    /// How often each entity is expected to report; an entity silent longer is stale.
    public var expectEveryNanos: Int64?

    public init(onInvalid: OnInvalid = .reject, maxNullShare: Double? = nil, expectEveryNanos: Int64? = nil) {
        self.onInvalid = onInvalid
        self.maxNullShare = maxNullShare
        self.expectEveryNanos = expectEveryNanos
    }
}

extension FeatureViewDefinition {
    /// Whether pushes to the view are checked and their quality counted.
    public var declaresExpectations: Bool {
        expectations.maxNullShare != nil || fields.contains { !$0.expectations.isEmpty }
    }
}

extension ErrorCode {
    /// Pushed rows break their view's expectations and the view rejects them (422).
    public static let expectationFailed: ErrorCode = "expectation_failed"
}

/// One broken expectation of a pushed row.
public struct ExpectationViolation: Sendable, Equatable {
    public var row: Int
    public var field: String
    public var rule: String
}

extension PushBatch {
    /// The rows that break their fields' expectations, in row order (at most `limit`).
    public func violations(limit: Int = Int.max) -> [ExpectationViolation] {
        var out: [ExpectationViolation] = []
        for (k, field) in view.fields.enumerated() where !field.expectations.isEmpty && k < columns.count {
            for (r, value) in columns[k].enumerated() {
                if let rule = field.expectations.broken(by: value) {
                    out.append(ExpectationViolation(row: r, field: field.name, rule: rule))
                }
            }
        }
        out.sort { ($0.row, $0.field) < ($1.row, $1.field) }
        return Array(out.prefix(limit))
    }

    /// Refuses the batch when it breaks an expectation of a view that rejects (422, naming the
    /// first rows and rules); returns the violations of a view that flags.
    public func checkExpectations() throws(DomainError) -> [ExpectationViolation] {
        let found = violations()
        guard !found.isEmpty else { return [] }
        guard view.expectations.onInvalid == .flag else {
            let named = found.prefix(5).map { "row \($0.row) \($0.field) breaks \($0.rule)" }.joined(separator: "; ")
            throw DomainError(
                .invalid, .expectationFailed,
                "\(found.count) value\(found.count == 1 ? "" : "s") break the expectations of '\(view.name)' (\(named)); nothing was stored")
        }
        return found
    }
}
