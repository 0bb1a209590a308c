import MoteML

/// Turns model inputs into the dense row-major `Double` matrix a learner takes, and records
/// how, so prediction does exactly what training did:
/// - numbers pass through; a missing number is NaN for trees (they learn where it goes) or
///   the training mean for linear models (`missing = impute`);
/// - categories become codes: for trees one column with the category's index (most frequent
///   first; unknown and missing are NaN), for linear models one 0/1 column per kept category
///   (unknown and missing are all zeros). At most `maxCategories` are kept; rarer ones count
///   as unknown.
public struct Preprocessor: Sendable, Equatable {
    public enum MissingPolicy: String, Sendable, Equatable {
        /// NaN reaches the model (trees send it the way training found best).
        case native
        /// The training mean (numbers) or "no category" (one-hot zeros).
        case impute
    }

    public enum Column: Sendable, Equatable {
        case numeric(mean: Double)
        case categoricalCode(categories: [String])
        case categoricalOneHot(categories: [String])

        /// Matrix columns this input becomes.
        public var width: Int {
            switch self {
            case .numeric, .categoricalCode: 1
            case .categoricalOneHot(let categories): categories.count
            }
        }
    }

    public var missing: MissingPolicy
    public var columns: [Column]
    /// Total matrix columns.
    public var width: Int { columns.reduce(0) { $0 + $1.width } }

    public init(missing: MissingPolicy, columns: [Column]) {
        self.missing = missing
        self.columns = columns
    }

    public static let maxCategories = 64

    /// Learns the encoding from training rows (`rows[r][i]` is input `i` of row `r`).
    public static func fit(inputs: [InputField], rows: [[ModelInput]], oneHot: Bool) -> Preprocessor {
        fit(inputs: inputs, columns: InputColumns(inputs: inputs, rows: rows), rows: 0..<rows.count, oneHot: oneHot)
    }

    /// Encodes rows into a row-major matrix of `width` columns.
    public func encode(_ rows: [[ModelInput]]) -> [Double] {
        let w = width
        var out = [Double](repeating: 0, count: rows.count * w)
        let lookups = categoryIndexes()
        out.withUnsafeMutableBufferPointer { buffer in
            for (r, row) in rows.enumerated() {
                encode(row, into: buffer.baseAddress! + r * w, lookups: lookups)
            }
        }
        return out
    }

    /// Per categorical input, its category -> index table (build once, reuse across rows).
    public func categoryIndexes() -> [[String: Int]] {
        columns.map { column in
            switch column {
            case .numeric: return [:]
            case .categoricalCode(let c), .categoricalOneHot(let c):
                var table: [String: Int] = [:]
                for (k, name) in c.enumerated() { table[name] = k }
                return table
            }
        }
    }

    /// Encodes one row into `out` (`width` values).
    public func encode(_ row: [ModelInput], into out: UnsafeMutablePointer<Double>, lookups: [[String: Int]]) {
        var j = 0
        for (i, column) in columns.enumerated() {
            let value = i < row.count ? row[i] : .missing
            switch column {
            case .numeric(let mean):
                var v: Double
                switch value {
                case .number(let n): v = n
                case .text, .missing: v = .nan
                }
                if v.isNaN, missing == .impute { v = mean }
                out[j] = v
                j += 1
            case .categoricalCode:
                if case .text(let s) = value, let code = lookups[i][s] { out[j] = Double(code) } else { out[j] = .nan }
                j += 1
            case .categoricalOneHot(let categories):
                for k in 0..<categories.count { out[j + k] = 0 }
                if case .text(let s) = value, let code = lookups[i][s] { out[j + code] = 1 }
                j += categories.count
            }
        }
    }
}

// MARK: - Columns

extension Preprocessor {
    /// Learns the encoding from rows `range` of `columns`.
    public static func fit(inputs: [InputField], columns: InputColumns, rows range: Range<Int>, oneHot: Bool) -> Preprocessor {
        var out: [Column] = []
        for (i, field) in inputs.enumerated() {
            if field.type.isCategorical {
                let kept = InputColumns.byFrequency(columns.columns[i].categoryCounts(in: range).counts).prefix(maxCategories).map(\.name)
                out.append(oneHot ? .categoricalOneHot(categories: kept) : .categoricalCode(categories: kept))
            } else {
                var sum = 0.0
                var n = 0
                if case .numbers(let v) = columns.columns[i] {
                    for r in range where v[r].isFinite {
                        sum += v[r]
                        n += 1
                    }
                }
                out.append(.numeric(mean: n > 0 ? sum / Double(n) : 0))
            }
        }
        return Preprocessor(missing: oneHot ? .impute : .native, columns: out)
    }

    /// Per input, a column's category code -> the kept category's index (-1: not kept).
    private func codeIndexes(_ columns: InputColumns) -> [[Int]] {
        let lookups = categoryIndexes()
        return columns.columns.enumerated().map { i, column in
            guard i < self.columns.count, case .categories(_, let names) = column else { return [] }
            return names.map { lookups[i][$0] ?? -1 }
        }
    }

    /// Encodes rows `range` of `columns` into a row-major matrix of `width` columns (as
    /// `encode(_:)` does rows).
    public func encode(_ columns: InputColumns, rows range: Range<Int>) -> [Double] {
        let w = width
        var out = [Double](repeating: 0, count: range.count * w)
        let codes = codeIndexes(columns)
        out.withUnsafeMutableBufferPointer { buffer in
            var j = 0
            for (i, column) in self.columns.enumerated() {
                let input = i < columns.columns.count ? columns.columns[i] : .numbers([])
                switch (column, input) {
                case (.numeric(let mean), .numbers(let v)):
                    for (k, r) in range.enumerated() {
                        var x = v[r].isFinite ? v[r] : .nan
                        if x.isNaN, missing == .impute { x = mean }
                        buffer[k * w + j] = x
                    }
                case (.numeric(let mean), .categories):
                    for k in 0..<range.count { buffer[k * w + j] = missing == .impute ? mean : .nan }
                case (.categoricalCode, .categories(let c, _)):
                    for (k, r) in range.enumerated() {
                        let index = c[r] < 0 ? -1 : codes[i][Int(c[r])]
                        buffer[k * w + j] = index < 0 ? .nan : Double(index)
                    }
                case (.categoricalCode, .numbers):
                    for k in 0..<range.count { buffer[k * w + j] = .nan }
                case (.categoricalOneHot, .categories(let c, _)):
                    for (k, r) in range.enumerated() where c[r] >= 0 {
                        let index = codes[i][Int(c[r])]
                        if index >= 0 { buffer[k * w + j + index] = 1 }
                    }
                case (.categoricalOneHot, .numbers):
                    break  // all zeros
                }
                j += column.width
            }
        }
        return out
    }

    /// The encoded matrix by column (`result[c][r]` for every row of `columns`) when every input
    /// is one matrix column (trees: numbers and category codes), else nil. A column of numbers
    /// with nothing to replace shares the input's storage.
    public func encodedColumns(_ columns: InputColumns) -> [[Double]]? {
        guard self.columns.allSatisfy({ $0.width == 1 }) else { return nil }
        let codes = codeIndexes(columns)
        return self.columns.enumerated().map { i, column -> [Double] in
            switch (column, columns.columns[i]) {
            case (.numeric(let mean), .numbers(let v)):
                if v.allSatisfy({ $0.isFinite || $0.isNaN }) && (missing == .native || !v.contains(where: \.isNaN)) { return v }
                return v.map { x in x.isFinite ? x : (missing == .impute ? mean : .nan) }
            case (.numeric(let mean), .categories):
                return [Double](repeating: missing == .impute ? mean : .nan, count: columns.rows)
            case (.categoricalCode, .categories(let c, _)):
                return c.map { code in
                    let index = code < 0 ? -1 : codes[i][Int(code)]
                    return index < 0 ? .nan : Double(index)
                }
            default:
                return [Double](repeating: .nan, count: columns.rows)
            }
        }
    }
}
