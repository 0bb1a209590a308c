/// A model's inputs for many rows, held by column: 8 bytes a number (NaN = missing), 4 bytes a
/// category. What a training set keeps instead of `[[ModelInput]]` rows (about 24 bytes a
/// value plus an array per row).
public struct InputColumns: Sendable {
    /// One input's values.
    public enum Column: Sendable {
        /// Numbers; NaN is missing.
        case numbers([Double])
        /// Categories as indexes into `names`; -1 is missing.
        case categories(codes: [Int32], names: [String])

        public var count: Int {
            switch self {
            case .numbers(let v): v.count
            case .categories(let codes, _): codes.count
            }
        }

        /// Row `row` as a model input.
        public subscript(row: Int) -> ModelInput {
            switch self {
            case .numbers(let v): return v[row].isNaN ? .missing : .number(v[row])
            case .categories(let codes, let names): return codes[row] < 0 ? .missing : .text(names[Int(codes[row])])
            }
        }
    }

    /// One column per input, in the model's input order.
    public var columns: [Column]
    public var rows: Int

    public init(columns: [Column], rows: Int) {
        precondition(columns.allSatisfy { $0.count == rows }, "every column holds every row")
        self.columns = columns
        self.rows = rows
    }

    /// Rows `range` as model inputs (for scoring a few rows through a bundle's own path).
    public func modelInputs(_ range: Range<Int>) -> [[ModelInput]] {
        range.map { r in columns.map { $0[r] } }
    }
}

/// Collects a categorical column value by value (name -> code as they first appear).
public struct CategoryColumnBuilder: Sendable {
    private var codes: [Int32] = []
    private var names: [String] = []
    private var index: [String: Int32] = [:]

    public init(capacity: Int) { codes.reserveCapacity(capacity) }

    public mutating func append(_ name: String?) {
        guard let name else {
            codes.append(-1)
            return
        }
        if let code = index[name] {
            codes.append(code)
        } else {
            let code = Int32(names.count)
            index[name] = code
            names.append(name)
            codes.append(code)
        }
    }

    public func build() -> InputColumns.Column { .categories(codes: codes, names: names) }
}
