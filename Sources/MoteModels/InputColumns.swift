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

        /// How often each category appears in rows `range`, and how many rows have none (a
        /// numbers column counts every row as having none).
        public func categoryCounts(in range: Range<Int>) -> (counts: [String: Int], missing: Int) {
            guard case .categories(let codes, let names) = self else { return ([:], range.count) }
            var perCode = [Int](repeating: 0, count: names.count)
            var missing = 0
            for r in range {
                if codes[r] >= 0 { perCode[Int(codes[r])] += 1 } else { missing += 1 }
            }
            var counts: [String: Int] = [:]
            for (code, n) in perCode.enumerated() where n > 0 { counts[names[code], default: 0] += n }
            return (counts, missing)
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

    /// Categories by count, most frequent first (ties by name): the order preprocessing keeps
    /// them in and profiles list them in.
    public static func byFrequency(_ counts: [String: Int]) -> [(name: String, count: Int)] {
        counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public init(columns: [Column], rows: Int) {
        precondition(columns.allSatisfy { $0.count == rows }, "every column holds every row")
        self.columns = columns
        self.rows = rows
    }

    /// Rows as columns (`rows[r][i]` is input `i`): numbers for numeric inputs (a text value is
    /// missing), category codes for categorical ones (a number is missing).
    public init(inputs: [InputField], rows: [[ModelInput]]) {
        let columns = inputs.indices.map { i -> Column in
            if inputs[i].type.isCategorical {
                var builder = CategoryColumnBuilder(capacity: rows.count)
                for row in rows {
                    if i < row.count, case .text(let s) = row[i] { builder.append(s) } else { builder.append(nil) }
                }
                return builder.build()
            }
            return .numbers(rows.map { row in
                if i < row.count, case .number(let v) = row[i] { return v }
                return .nan
            })
        }
        self.init(columns: columns, rows: rows.count)
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
