public import MoteCore
import MoteML
public import MoteModels
import Synchronization

/// A model version ready to predict: its bundle, checked, with what prediction needs
/// precomputed. Immutable; requests keep a reference, so a swap never pulls a model from
/// under a request in flight.
public final class LoadedModel: Sendable {
    public let name: String
    public let version: Int
    /// `name@version`.
    public let key: String
    public let digest: String
    public let bundle: ModelBundle
    /// Per input, category -> code (built once).
    public let categoryIndexes: [[String: Int]]
    /// Input name -> position (for one-input-per-feature requests).
    public let inputPositions: [String: Int]
    /// Whether rows can go to the model as given (numbers only, NaN kept for the trees).
    public let numericPassThrough: Bool
    public let loadedAtNanos: Int64
    /// What holding the version costs, estimated: its artifact's size (the decoded bundle is
    /// not larger) plus the serving layout of its trees.
    public let memoryBytes: Int
    /// Trees laid out for serving (GBDT models).
    let gbdt: GBDTPredictor?
    /// When it last answered (monotonic), for idle unloading and least-recently-used eviction.
    private let lastUsed = Atomic<UInt64>(0)

    public init(name: String, version: Int, digest: String, bundle: ModelBundle, loadedAtNanos: Int64, artifactBytes: Int = 0) {
        self.name = name
        self.version = version
        self.key = "\(name)@\(version)"
        self.digest = digest
        self.bundle = bundle
        self.categoryIndexes = bundle.preprocessing.categoryIndexes()
        var positions: [String: Int] = [:]
        for (k, input) in bundle.inputs.enumerated() { positions[input.name] = k }
        self.inputPositions = positions
        self.numericPassThrough =
            bundle.preprocessing.missing == .native
            && bundle.preprocessing.columns.allSatisfy { if case .numeric = $0 { true } else { false } }
        self.loadedAtNanos = loadedAtNanos
        if case .gbdt(let model) = bundle.model { gbdt = GBDTPredictor(model) } else { gbdt = nil }
        self.memoryBytes = artifactBytes + (gbdt?.layoutBytes ?? 0)
        lastUsed.store(SystemClock.monotonicNanos(), ordering: .relaxed)
    }

    /// Marks the version as used now.
    @inline(__always)
    public func touch(_ nowMonotonic: UInt64) { lastUsed.store(nowMonotonic, ordering: .relaxed) }

    /// When it last answered (monotonic nanoseconds).
    public var lastUsedMonotonic: UInt64 { lastUsed.load(ordering: .relaxed) }

    /// Scores for rows of inputs: `scoreWidth` per row.
    public func scores(_ rows: [[ModelInput]]) -> [Double] {
        scores(encoded: encode(rows), rows: rows.count)
    }

    /// Scores for rows already encoded as the model reads them.
    func scores(encoded matrix: [Double], rows: Int) -> [Double] {
        gbdt?.predict(matrix, rows: rows) ?? bundle.scores(matrix, rows: rows)
    }

    /// Per-input explanations of rows, encoded as `scores(_:)` encodes them.
    public func explain(_ rows: [[ModelInput]], threads: Int = 1) throws(DomainError) -> Explanation {
        try bundle.explain(encode(rows), rows: rows.count, threads: threads)
    }

    /// Rows of inputs as the row-major matrix the model reads (the recorded preprocessing,
    /// with the category codes built once).
    func encode(_ rows: [[ModelInput]]) -> [Double] {
        let width = bundle.preprocessing.width
        var matrix = [Double](repeating: 0, count: rows.count * width)
        matrix.withUnsafeMutableBufferPointer { out in
            for (r, row) in rows.enumerated() {
                bundle.preprocessing.encode(row, into: out.baseAddress! + r * width, lookups: categoryIndexes)
            }
        }
        return matrix
    }

    /// Per-input explanations of a numeric matrix in the model's input order (as
    /// `scores(matrix:rows:)` takes it).
    public func explain(matrix: [Double], rows: Int, threads: Int = 1) throws(DomainError) -> Explanation {
        guard numericPassThrough else { return try explain(Self.inputs(matrix, rows: rows), threads: threads) }
        return try bundle.explain(matrix, rows: rows, threads: threads)
    }

    /// Scores for a numeric matrix already in the model's input order (NaN = missing). A model
    /// that does not take numbers as given (`numericPassThrough`: a recorded imputation or
    /// category codes) reads them as inputs first.
    public func scores(matrix: [Double], rows: Int) -> [Double] {
        guard numericPassThrough else { return scores(Self.inputs(matrix, rows: rows)) }
        return scores(encoded: matrix, rows: rows)
    }

    /// A numeric matrix as rows of inputs (NaN: missing).
    static func inputs(_ matrix: [Double], rows: Int) -> [[ModelInput]] {
        let width = rows == 0 ? 0 : matrix.count / rows
        return (0..<rows).map { r in (0..<width).map { let v = matrix[r * width + $0]; return v.isNaN ? .missing : .number(v) } }
    }
}
