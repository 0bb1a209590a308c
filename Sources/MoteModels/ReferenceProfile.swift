import MoteML

/// A summary of the training data kept with a model, so later checks (drift, the monitoring
/// issue) compare live inputs with what the model learned from without the raw data.
public struct ReferenceProfile: Sendable, Equatable {
    public struct Numeric: Sendable, Equatable {
        public var mean: Double
        public var std: Double
        public var min: Double
        public var max: Double
        /// Values at `ReferenceProfile.quantileLevels`.
        public var quantiles: [Double]
        /// `histogramBins` equal-width bins over [min, max].
        public var histogram: [Int]
        /// Up to `sampleLimit` values drawn evenly from the sorted values (for two-sample tests).
        public var sample: [Double]
    }

    public struct Categorical: Sendable, Equatable {
        public var distinct: Int
        /// Most frequent categories first, at most `topLimit`.
        public var top: [(value: String, count: Int)]

        public static func == (a: Categorical, b: Categorical) -> Bool {
            a.distinct == b.distinct && a.top.map(\.value) == b.top.map(\.value) && a.top.map(\.count) == b.top.map(\.count)
        }
    }

    public struct Feature: Sendable, Equatable {
        public var name: String
        public var count: Int
        public var nulls: Int
        public var numeric: Numeric?
        public var categorical: Categorical?
    }

    public var rows: Int
    public var features: [Feature]
    /// The model's output on the training rows (probability of the positive class, the
    /// value, or the anomaly score); nil for multiclass.
    public var prediction: Feature?

    public static let quantileLevels: [Double] = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1]
    public static let histogramBins = 10
    public static let sampleLimit = 1000
    public static let topLimit = 20

    public init(rows: Int, features: [Feature], prediction: Feature?) {
        self.rows = rows
        self.features = features
        self.prediction = prediction
    }

    /// Profiles the inputs of training rows.
    public static func build(inputs: [InputField], rows: [[ModelInput]]) -> ReferenceProfile {
        build(inputs: inputs, columns: InputColumns(inputs: inputs, rows: rows), rows: 0..<rows.count)
    }

    /// The profile of rows `range` of `columns`.
    public static func build(inputs: [InputField], columns: InputColumns, rows range: Range<Int>) -> ReferenceProfile {
        var features: [Feature] = []
        for (i, field) in inputs.enumerated() {
            let column = columns.columns[i]
            if field.type.isCategorical {
                let (counts, nulls) = column.categoryCounts(in: range)
                let top = InputColumns.byFrequency(counts).prefix(topLimit)
                features.append(
                    Feature(
                        name: field.name, count: range.count, nulls: nulls, numeric: nil,
                        categorical: Categorical(distinct: counts.count, top: top.map { ($0.name, $0.count) })))
            } else {
                var values: [Double] = []
                if case .numbers(let v) = column {
                    values.reserveCapacity(range.count)
                    for r in range where v[r].isFinite { values.append(v[r]) }
                }
                features.append(numericFeature(name: field.name, count: range.count, nulls: range.count - values.count, values: values))
            }
        }
        return ReferenceProfile(rows: range.count, features: features, prediction: nil)
    }

    /// A numeric feature's profile from its non-missing values.
    public static func numericFeature(name: String, count: Int, nulls: Int, values: [Double]) -> Feature {
        guard !values.isEmpty else {
            return Feature(
                name: name, count: count, nulls: nulls,
                numeric: Numeric(mean: 0, std: 0, min: 0, max: 0, quantiles: [], histogram: [], sample: []), categorical: nil)
        }
        let sorted = FeatureBinner.sortedAscending(values)
        let n = sorted.count
        let mean = sorted.reduce(0, +) / Double(n)
        var variance = 0.0
        for v in sorted { variance += (v - mean) * (v - mean) }
        let std = (variance / Double(n)).squareRoot()
        let quantiles = quantileLevels.map { level -> Double in
            let position = level * Double(n - 1)
            let lower = Int(position)
            let upper = Swift.min(lower + 1, n - 1)
            return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
        }
        let lo = sorted[0]
        let hi = sorted[n - 1]
        var histogram = [Int](repeating: 0, count: histogramBins)
        for v in sorted {
            let bin = hi > lo ? Swift.min(histogramBins - 1, Int((v - lo) / (hi - lo) * Double(histogramBins))) : 0
            histogram[bin] += 1
        }
        let take = Swift.min(sampleLimit, n)
        let sample = (0..<take).map { sorted[take == n ? $0 : Int(Double($0) * Double(n - 1) / Double(take - 1))] }
        return Feature(
            name: name, count: count, nulls: nulls,
            numeric: Numeric(mean: mean, std: std, min: lo, max: hi, quantiles: quantiles, histogram: histogram, sample: sample),
            categorical: nil)
    }
}
