import MoteCore
public import MoteFeatures
public import MoteModels

/// A training set built from the feature store: one row per label row (its entity and event
/// time), the features joined point-in-time at that time, ordered by time so the newest rows
/// form the holdout (nothing from the future reaches training).
public struct TrainingSet: Sendable {
    public var inputs: [InputField]
    /// Every row's inputs (train rows first, then the holdout), by column.
    public var columns: InputColumns
    /// The label per row as a number (class index for classifiers); empty for anomaly models.
    public var labels: [Double]
    /// Class labels as text, index = class (classifiers).
    public var classes: [String]
    public var times: [Int64]
    public var keys: [String]
    /// Rows `0..<trainCount` train, the rest are the holdout.
    public var trainCount: Int
    public var fingerprint: DatasetFingerprint
    /// The memory the job was estimated to need when it was admitted (`TrainingSetBuilder.memoryEstimate`).
    public var memoryEstimateBytes: Int

    public var count: Int { columns.rows }
    /// The training rows' indexes.
    public var trainRows: Range<Int> { 0..<trainCount }
    /// The holdout rows' indexes.
    public var holdoutRows: Range<Int> { trainCount..<count }
}

/// What a training set is read from and how big it may get.
public struct TrainingSetLimits: Sendable {
    public var memoryBudgetBytes: Int
    public var minRows: Int
    public init(memoryBudgetBytes: Int, minRows: Int) {
        self.memoryBudgetBytes = memoryBudgetBytes
        self.minRows = minRows
    }
}

public enum TrainingSetBuilder {
    /// What a job adds to the daemon's memory at its peak, with a margin over what
    /// `bench/training_job.py` measured (release build, 28 float64 inputs): 24 MiB for 20k
    /// rows, 42 MiB for 50k, 91 MiB for 200k, so about 25 MiB fixed (threads, caches, the
    /// model) and 11.4 bytes per row and cell (the typed columns the set keeps, bins, one key
    /// range's history). `TrainingTests` holds the daemon to it.
    public static func memoryEstimate(rows: Int, features: Int) -> Int {
        fixedBytes + rows * (features + 2) * bytesPerCell
    }

    static let fixedBytes = 32 << 20
    static let bytesPerCell = 16

    /// Builds the set for `spec` at `now`: label rows in the window, features joined at each
    /// label's time, the time-ordered split. Refuses (before loading) a set over the budget.
    public static func build(spec: TrainingSpec, store: FeatureStore, now: Int64, limits: TrainingSetLimits) throws -> TrainingSet {
        let set = store.definitions.set
        func reference(_ text: String) throws -> FeatureReference {
            guard let r = try? FeatureReference.resolve([text], in: set, fullNames: false).first else {
                throw TrainingFailure("'\(text)' is not a field of the current definitions")
            }
            return r
        }
        let features = try spec.features.map(reference)
        let label = try spec.label.map(reference)
        let rowSource = label ?? features[0]
        let from = spec.windowNanos > 0 ? now - spec.windowNanos : Int64.min
        let available = try store.historyCount(view: rowSource.view, from: from, to: now)
        let estimate = memoryEstimate(rows: available, features: features.count)
        guard estimate <= limits.memoryBudgetBytes else {
            throw TrainingFailure(
                "the training set would need about \(estimate >> 20) MiB (\(available) rows x \(features.count) features); the budget is \(limits.memoryBudgetBytes >> 20) MiB (training.memory_budget_mib); shorten the window or raise the budget")
        }
        let points = try store.history(view: rowSource.view, field: rowSource.fieldIndex, from: from, to: now, limit: available + 1)
        // Label rows without a label value teach nothing.
        let usable = label == nil ? points : points.filter { $0.value != .null }
        guard usable.count >= limits.minRows else {
            throw TrainingFailure(
                "only \(usable.count) \(label == nil ? "rows" : "labelled rows") in the window; at least \(limits.minRows) are needed (training.min_rows)")
        }
        let frame = EntityFrame(columns: [], keys: usable.map(\.entityKey), times: usable.map(\.eventNanos))
        var joined = try PointInTimeJoin.run(frame, features: features, store: store)

        let inputs = features.map { f in
            InputField(name: "\(f.view.name):\(f.view.fields[f.fieldIndex].name)", type: InputType(f.view.fields[f.fieldIndex].type))
        }
        // The joined columns become the inputs one by one, each released as it is taken.
        var columns: [InputColumns.Column] = []
        for k in inputs.indices {
            columns.append(joined.values[k].modelInputColumn(categorical: inputs[k].type.isCategorical))
            joined.values[k] = .values([])
        }
        var labels: [Double] = []
        var classes: [String] = []
        if label != nil {
            switch spec.task {
            case .regression:
                for p in usable {
                    guard let v = p.value.number else { throw TrainingFailure("label '\(spec.label ?? "")' has a non-numeric value") }
                    labels.append(v)
                }
            case .binary:
                (labels, classes) = try binaryLabels(usable.map(\.value), name: spec.label ?? "")
            default:
                var index: [String: Int] = [:]
                let texts = usable.map { $0.value.text }
                classes = Array(Set(texts)).sorted()
                guard classes.count >= 2 else { throw TrainingFailure("label '\(spec.label ?? "")' has one class only") }
                for (k, c) in classes.enumerated() { index[c] = k }
                labels = texts.map { Double(index[$0] ?? 0) }
            }
        }
        let holdout = max(1, Int((Double(usable.count) * spec.holdout).rounded()))
        return TrainingSet(
            inputs: inputs, columns: InputColumns(columns: columns, rows: usable.count), labels: labels, classes: classes, times: frame.times, keys: frame.keys,
            trainCount: usable.count - holdout, fingerprint: joined.fingerprint, memoryEstimateBytes: estimate)
    }

    /// 0/1 labels: booleans, the numbers 0 and 1, or exactly two distinct values (sorted; the
    /// second is class 1).
    static func binaryLabels(_ values: [FeatureValue], name: String) throws -> ([Double], [String]) {
        let texts = values.map(\.text)
        let distinct = Array(Set(texts)).sorted()
        guard distinct.count == 2 else {
            throw TrainingFailure("a binary label needs exactly two values; '\(name)' has \(distinct.count) (\(distinct.prefix(5).joined(separator: ", ")))")
        }
        return (texts.map { $0 == distinct[1] ? 1 : 0 }, distinct)
    }
}

/// Why a job failed, in words for the operator.
public struct TrainingFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

extension InputType {
    init(_ type: FeatureType) {
        switch type {
        case .float64: self = .float64
        case .int64: self = .int64
        case .bool: self = .bool
        case .string: self = .string
        }
    }
}

extension FeatureValue {
    var number: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// The value as class text (`true`/`false`, numbers as written).
    var text: String {
        switch self {
        case .null: ""
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        case .string(let s): s
        }
    }
}
