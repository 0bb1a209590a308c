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
        var columns: [Column] = []
        for (i, field) in inputs.enumerated() {
            if field.type.isCategorical {
                var counts: [String: Int] = [:]
                for row in rows { if case .text(let s) = row[i] { counts[s, default: 0] += 1 } }
                let kept = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .prefix(maxCategories).map(\.key)
                columns.append(oneHot ? .categoricalOneHot(categories: kept) : .categoricalCode(categories: kept))
            } else {
                var sum = 0.0
                var n = 0
                for row in rows { if case .number(let v) = row[i], v.isFinite { sum += v; n += 1 } }
                columns.append(.numeric(mean: n > 0 ? sum / Double(n) : 0))
            }
        }
        return Preprocessor(missing: oneHot ? .impute : .native, columns: columns)
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
