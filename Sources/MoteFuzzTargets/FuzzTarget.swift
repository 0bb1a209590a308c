import MoteImport

/// The parsers that read outside input, each as a fuzz target: a function of any bytes that
/// must never crash, hang or break its stated property (a broken property stops the process
/// with a message, which the fuzzer reports as a finding). The libFuzzer build in `fuzz/`
/// runs them coverage-guided; `MoteFuzzTargetsTests` replays the committed seed corpus and
/// every past finding through them in `make test`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The HTTP/1.1 request decoder: the same messages however the bytes are split, and
    /// never a message that SwiftNIO's llhttp-based decoder reads differently.
    case http
    /// JSON: a document that parses writes back to the same value.
    case json
    /// TOML (moted.toml and definitions files).
    case toml
    /// CSV (`motectl features push --csv`, reference data of imports).
    case csv
    /// RFC 3339 timestamps: a time that parses formats back to the same instant.
    case rfc3339
    /// LightGBM text model files.
    case lightgbm
    /// XGBoost JSON and UBJSON model files.
    case xgboost
    /// ONNX model files.
    case onnx
    /// mote model bundles (an export's artifact).
    case bundle
    /// Open Inference Protocol requests with binary tensor data.
    case infer

    /// Runs the target on one input.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .http: HTTPFuzz.run(bytes)
        case .json: TextFuzz.json(bytes)
        case .toml: TextFuzz.toml(bytes)
        case .csv: TextFuzz.csv(bytes)
        case .rfc3339: TextFuzz.rfc3339(bytes)
        case .lightgbm: ModelFuzz.imported(bytes, .lightgbm)
        case .xgboost: ModelFuzz.imported(bytes, .xgboost)
        case .onnx: ModelFuzz.imported(bytes, .onnx)
        case .bundle: ModelFuzz.bundle(bytes)
        case .infer: InferFuzz.run(bytes)
        }
    }

    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Stops the process with `message` when `condition` does not hold (in every build
/// configuration, unlike `assert`).
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property broken: \(message())") }
}

extension FuzzTarget {
    /// Requests mote's decoder reads whole from `bytes` (to check that seeds reach the parser).
    public static func requestsRead(_ bytes: [UInt8]) -> Int {
        HTTPFuzz.mote(bytes, pieceSize: bytes.count).messages.count
    }

    /// Whether `bytes` read as an inference request for the infer target's model.
    public static func inferRequestReads(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { InferFuzz.request($0) != nil }
    }
}
