#if canImport(Glibc)
import Glibc
#endif

/// The `ai.onnx.ml` operators for preprocessing and linear models, computed as onnxruntime
/// does (32-bit floats). Tree ensembles are in `ONNXTreeEnsemble`.
enum ONNXMLOperators {
    typealias Run = ONNXOperators.Run

    /// Class labels of a classifier node as text (int64 labels written as numbers).
    static func labels(_ a: Attributes) -> [String]? {
        if let ints = a.ints("classlabels_ints") ?? a.ints("classlabels_int64s") { return ints.map { String($0) } }
        return a.strings("classlabels_strings")
    }

    static func make(_ node: ONNXProto.Node, opset: Int64) throws(ImportError) -> Run? {
        let a = Attributes(node, opset: opset)
        let op = node.opType
        switch op {
        case "ZipMap":
            // The probabilities before they are zipped into maps are the answer mote serves.
            return { args throws(ImportError) in [try ONNXOperators.arg(args, 0, op)] }
        case "Scaler":
            let offset = a.floats("offset") ?? [0]
            let scale = a.floats("scale") ?? [1]
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let (rows, columns) = x.matrixShape
                let v = try x.floats(op)
                guard offset.count == 1 || offset.count == columns, scale.count == 1 || scale.count == columns else {
                    throw .invalid("Scaler: \(offset.count) offsets and \(scale.count) scales for \(columns) columns")
                }
                var out = [Float](repeating: 0, count: v.count)
                for r in 0..<rows {
                    for c in 0..<columns {
                        out[r * columns + c] = (v[r * columns + c] - offset[offset.count == 1 ? 0 : c]) * scale[scale.count == 1 ? 0 : c]
                    }
                }
                return [Tensor(shape: x.shape, elements: .float(out))]
            }
        case "Normalizer":
            let norm = a.string("norm") ?? "MAX"
            guard ["MAX", "L1", "L2"].contains(norm) else { throw .unsupported("Normalizer norm '\(norm)' is not supported") }
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let (rows, columns) = x.matrixShape
                var v = try x.floats(op)
                for r in 0..<rows {
                    let row = (r * columns)..<((r + 1) * columns)
                    var d: Float
                    switch norm {
                    case "MAX": d = v[row].max() ?? 1
                    case "L1": d = v[row].reduce(0) { $0 + abs($1) }
                    default: d = sqrtf(v[row].reduce(0) { $0 + $1 * $1 })
                    }
                    if d == 0 { d = 1 }
                    for i in row { v[i] /= d }
                }
                return [Tensor(shape: [rows, columns], elements: .float(v))]
            }
        case "Imputer":
            let values = a.floats("imputed_value_floats") ?? []
            let replaced = a.float("replaced_value_float") ?? 0
            guard !values.isEmpty else { throw .unsupported("Imputer: only imputed_value_floats is supported") }
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let (rows, columns) = x.matrixShape
                var v = try x.floats(op)
                guard values.count == 1 || values.count == columns else { throw .invalid("Imputer: \(values.count) values for \(columns) columns") }
                for r in 0..<rows {
                    for c in 0..<columns where v[r * columns + c].isNaN ? replaced.isNaN : v[r * columns + c] == replaced {
                        v[r * columns + c] = values[values.count == 1 ? 0 : c]
                    }
                }
                return [Tensor(shape: x.shape, elements: .float(v))]
            }
        case "Binarizer":
            let threshold = a.float("threshold") ?? 0
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                return [Tensor(shape: x.shape, elements: .float(try x.floats(op).map { $0 > threshold ? 1 : 0 }))]
            }
        case "OneHotEncoder":
            guard let categories = a.ints("cats_int64s") else { throw .unsupported("OneHotEncoder: only cats_int64s is supported") }
            let zeros = a.intOr("zeros", 1) != 0
            var index: [Int64: Int] = [:]
            for (k, c) in categories.enumerated() { index[c] = k }
            let lookup = index
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let v = try x.doubles(op)
                var out = [Float](repeating: 0, count: v.count * categories.count)
                for (i, value) in v.enumerated() {
                    if value.rounded(.towardZero) == value, let c = Int64(exactly: value), let k = lookup[c] {
                        out[i * categories.count + k] = 1
                    } else if !zeros {
                        throw .invalid("OneHotEncoder: value \(value) is not a known category")
                    }
                }
                return [Tensor(shape: x.shape + [categories.count], elements: .float(out))]
            }
        case "ArrayFeatureExtractor":
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let indices = try ONNXOperators.arg(args, 1, op).int64s(op).map(Int.init)
                let last = x.shape.last ?? 1
                let outer = x.count / max(last, 1)
                for i in indices where i < 0 || i >= last { throw .invalid("ArrayFeatureExtractor: index \(i) outside \(last)") }
                var shape = x.shape
                if shape.isEmpty { shape = [1] }
                shape[shape.count - 1] = indices.count
                func pick<T>(_ v: [T]) -> [T] { (0..<outer).flatMap { o in indices.map { v[o * last + $0] } } }
                switch x.elements {
                case .float(let v): return [Tensor(shape: shape, elements: .float(pick(v)))]
                case .double(let v): return [Tensor(shape: shape, elements: .double(pick(v)))]
                case .int64(let v): return [Tensor(shape: shape, elements: .int64(pick(v)))]
                case .string(let v): return [Tensor(shape: shape, elements: .string(pick(v)))]
                }
            }
        case "LinearRegressor":
            let coefficients = a.floats("coefficients") ?? []
            let intercepts = a.floats("intercepts") ?? []
            let targets = Int(a.intOr("targets", 1))
            let post = try PostTransform(a.string("post_transform") ?? "NONE", op)
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                var (rows, z) = try linear(x, coefficients, intercepts, outputs: targets, op)
                post.apply(&z, columns: targets, rows: rows)
                rows = max(rows, 0)
                return [Tensor(shape: [rows, targets], elements: .float(z))]
            }
        case "LinearClassifier":
            let coefficients = a.floats("coefficients") ?? []
            let intercepts = a.floats("intercepts") ?? []
            guard let labels = labels(a), !labels.isEmpty else { throw .invalid("LinearClassifier: no class labels") }
            let post = try PostTransform(a.string("post_transform") ?? "NONE", op)
            let outputs = intercepts.isEmpty ? max(coefficients.count, 1) : intercepts.count
            return { args throws(ImportError) in
                let x = try ONNXOperators.arg(args, 0, op)
                let (rows, raw) = try linear(x, coefficients, intercepts, outputs: outputs, op)
                var z = raw
                post.apply(&z, columns: outputs, rows: rows)
                if outputs == 1 && labels.count == 2 {
                    // One score for two classes: the second class's, the first its complement
                    // (after a logistic) or its negation (raw scores).
                    var two = [Float](repeating: 0, count: rows * 2)
                    for r in 0..<rows {
                        two[r * 2 + 1] = z[r]
                        two[r * 2] = post == .logistic ? 1 - z[r] : -z[r]
                    }
                    z = two
                }
                let width = z.count / max(rows, 1)
                var label = [Int64](repeating: 0, count: rows)
                for r in 0..<rows {
                    var best = 0
                    for c in 1..<max(width, 1) where z[r * width + c] > z[r * width + best] { best = c }
                    label[r] = Int64(best)
                }
                return [Tensor(shape: [rows], elements: .int64(label)), Tensor(shape: [rows, width], elements: .float(z))]
            }
        default:
            return nil
        }
    }

    /// X W^T + b for `outputs` rows of coefficients.
    static func linear(_ x: Tensor, _ w: [Float], _ b: [Float], outputs: Int, _ op: String) throws(ImportError) -> (Int, [Float]) {
        let (rows, columns) = x.matrixShape
        guard outputs >= 1, w.count == outputs * columns else {
            throw .invalid("\(op): \(w.count) coefficients for \(outputs) outputs of \(columns) inputs")
        }
        guard b.isEmpty || b.count == outputs else { throw .invalid("\(op): \(b.count) intercepts for \(outputs) outputs") }
        let v = try x.floats(op)
        var z = [Float](repeating: 0, count: rows * outputs)
        for r in 0..<rows {
            for o in 0..<outputs {
                var s: Float = b.isEmpty ? 0 : b[o]
                for c in 0..<columns { s += v[r * columns + c] * w[o * columns + c] }
                z[r * outputs + o] = s
            }
        }
        return (rows, z)
    }
}

/// The `post_transform` attribute of the ML operators.
enum PostTransform: Equatable {
    case none, logistic, softmax, softmaxZero

    init(_ text: String, _ op: String) throws(ImportError) {
        switch text {
        case "NONE": self = .none
        case "LOGISTIC": self = .logistic
        case "SOFTMAX": self = .softmax
        case "SOFTMAX_ZERO": self = .softmaxZero
        default: throw .unsupported("\(op): post_transform '\(text)' is not supported")
        }
    }

    func apply(_ z: inout [Float], columns: Int, rows: Int) {
        switch self {
        case .none: return
        case .logistic: for i in z.indices { z[i] = 1 / (1 + expf(-z[i])) }
        case .softmax, .softmaxZero:
            for r in 0..<rows {
                let row = (r * columns)..<((r + 1) * columns)
                let m = z[row].max() ?? 0
                var total: Float = 0
                for i in row {
                    let e = self == .softmaxZero && z[i] == 0 ? 0 : expf(z[i] - m)
                    z[i] = e
                    total += e
                }
                if total > 0 { for i in row { z[i] /= total } }
            }
        }
    }
}
