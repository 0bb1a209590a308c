#if canImport(Glibc)
import Glibc
#endif

/// The `ai.onnx` operators that converters emit for small tabular models (skl2onnx,
/// onnxmltools, `torch.onnx.export`), computed as onnxruntime does: in the tensors' own
/// element type (32-bit floats for float models).
enum ONNXOperators {
    typealias Run = @Sendable ([Tensor?]) throws(ImportError) -> [Tensor]

    /// The operator for a node of the default domain, or nil when mote does not implement it.
    static func make(_ node: ONNXProto.Node, opset: Int64) throws(ImportError) -> Run? {
        let a = Attributes(node, opset: opset)
        let op = node.opType
        switch op {
        case "Identity", "Dropout":
            return { args throws(ImportError) in [try arg(args, 0, op)] }
        case "Cast":
            let to = try a.int("to")
            return { args throws(ImportError) in [try cast(try arg(args, 0, op), to: Int(to))] }
        case "Add", "Sub", "Mul", "Div":
            return { args throws(ImportError) in [try elementwise(op, try arg(args, 0, op), try arg(args, 1, op))] }
        case "Relu": return unary(op) { max($0, 0) } double: { max($0, 0) }
        case "Sigmoid": return unary(op) { 1 / (1 + expf(-$0)) } double: { 1 / (1 + exp(-$0)) }
        case "Tanh": return unary(op) { tanhf($0) } double: { tanh($0) }
        case "Exp": return unary(op) { expf($0) } double: { exp($0) }
        case "Log": return unary(op) { logf($0) } double: { log($0) }
        case "Abs": return unary(op) { abs($0) } double: { abs($0) }
        case "Neg": return unary(op) { -$0 } double: { -$0 }
        case "Sqrt": return unary(op) { sqrtf($0) } double: { sqrt($0) }
        case "LeakyRelu":
            let alpha = Float(a.float("alpha") ?? 0.01)
            return unary(op) { $0 < 0 ? alpha * $0 : $0 } double: { $0 < 0 ? Double(alpha) * $0 : $0 }
        case "Clip":
            let lowAttr = a.float("min")
            let highAttr = a.float("max")
            return { args throws(ImportError) in
                let x = try arg(args, 0, op)
                let low = try args.count > 1 ? args[1].map { t throws(ImportError) in try t.doubles(op).first ?? -.infinity } ?? nil : nil
                let high = try args.count > 2 ? args[2].map { t throws(ImportError) in try t.doubles(op).first ?? .infinity } ?? nil : nil
                let lo = low ?? lowAttr.map(Double.init) ?? -.infinity
                let hi = high ?? highAttr.map(Double.init) ?? .infinity
                return [try map(x, op) { min(max($0, Float(lo)), Float(hi)) } double: { min(max($0, lo), hi) }]
            }
        case "Softmax", "LogSoftmax":
            let opset13 = a.opset >= 13
            let axis = a.intOr("axis", opset13 ? -1 : 1)
            let log = op == "LogSoftmax"
            return { args throws(ImportError) in [try softmax(try arg(args, 0, op), axis: Int(axis), wholeTail: !opset13, log: log)] }
        case "MatMul":
            return { args throws(ImportError) in [try gemm(try arg(args, 0, op), try arg(args, 1, op), nil, 1, 1, false, false, op)] }
        case "Gemm":
            let alpha = a.float("alpha") ?? 1
            let beta = a.float("beta") ?? 1
            let ta = a.intOr("transA", 0) != 0
            let tb = a.intOr("transB", 0) != 0
            return { args throws(ImportError) in
                [try gemm(try arg(args, 0, op), try arg(args, 1, op), args.count > 2 ? args[2] : nil, alpha, beta, ta, tb, op)]
            }
        case "Flatten":
            let axis = a.intOr("axis", 1)
            return { args throws(ImportError) in
                let x = try arg(args, 0, op)
                let ax = try normalizedAxis(Int(axis), rank: x.shape.count, op, allowEnd: true)
                let rows = x.shape[..<ax].reduce(1, *)
                return [x.reshaped([rows, x.count / max(rows, 1)])]
            }
        case "Reshape":
            let allowZero = a.intOr("allowzero", 0) != 0
            return { args throws(ImportError) in
                let x = try arg(args, 0, op)
                let shape = try arg(args, 1, op).int64s(op).map(Int.init)
                return [x.reshaped(try reshape(x, shape, allowZero: allowZero, op))]
            }
        case "Squeeze", "Unsqueeze":
            let attrAxes = a.ints("axes")
            return { args throws(ImportError) in
                let x = try arg(args, 0, op)
                let axes = try (args.count > 1 ? args[1] : nil)?.int64s(op) ?? attrAxes ?? []
                return [x.reshaped(try squeeze(x.shape, axes.map(Int.init), unsqueeze: op == "Unsqueeze", op))]
            }
        case "Concat":
            let axis = try a.int("axis")
            return { args throws(ImportError) in [try concat(args.compactMap { $0 }, axis: Int(axis), op)] }
        case "ArgMax":
            let axis = a.intOr("axis", 0)
            let keep = a.intOr("keepdims", 1) != 0
            return { args throws(ImportError) in
                let x = try arg(args, 0, op)
                let (rows, columns) = x.matrixShape
                guard x.shape.count == 2, axis == 1 || axis == -1 else { throw .unsupported("ArgMax: only along the last axis of a matrix") }
                let v = try x.doubles(op)
                var out = [Int64](repeating: 0, count: rows)
                for r in 0..<rows {
                    var best = 0
                    for c in 1..<max(columns, 1) where v[r * columns + c] > v[r * columns + best] { best = c }
                    out[r] = Int64(best)
                }
                return [Tensor(shape: keep ? [rows, 1] : [rows], elements: .int64(out))]
            }
        default:
            return nil
        }
    }

    // MARK: - Helpers

    static func arg(_ args: [Tensor?], _ k: Int, _ op: String) throws(ImportError) -> Tensor {
        guard k < args.count, let t = args[k] else { throw .invalid("\(op): input \(k) is missing") }
        return t
    }

    static func unary(_ op: String, float f: @escaping @Sendable (Float) -> Float, double d: @escaping @Sendable (Double) -> Double) -> Run {
        { args throws(ImportError) in [try map(try arg(args, 0, op), op, float: f, double: d)] }
    }

    static func map(_ x: Tensor, _ op: String, float f: (Float) -> Float, double d: (Double) -> Double) throws(ImportError) -> Tensor {
        switch x.elements {
        case .float(let v): return Tensor(shape: x.shape, elements: .float(v.map(f)))
        case .double(let v): return Tensor(shape: x.shape, elements: .double(v.map(d)))
        default: throw .unsupported("\(op) on \(x.typeName) tensors is not supported")
        }
    }

    static func cast(_ x: Tensor, to: Int) throws(ImportError) -> Tensor {
        switch ONNXType(rawValue: to) {
        case .float: return Tensor(shape: x.shape, elements: .float(try x.floats("Cast")))
        case .double: return Tensor(shape: x.shape, elements: .double(try x.doubles("Cast")))
        case .int64, .int32, .int16, .int8, .uint8, .uint16, .uint32, .uint64:
            return Tensor(shape: x.shape, elements: .int64(try x.int64s("Cast")))
        case .bool:
            return Tensor(shape: x.shape, elements: .int64(try x.doubles("Cast").map { $0 != 0 ? 1 : 0 }))
        case .string:
            switch x.elements {
            case .string: return x
            case .int64(let v): return Tensor(shape: x.shape, elements: .string(v.map { String($0) }))
            default: throw .unsupported("Cast of \(x.typeName) to string is not supported")
            }
        default: throw .unsupported("Cast to element type \(to) is not supported")
        }
    }

    /// The shape two shapes broadcast to (numpy rules).
    static func broadcastShape(_ a: [Int], _ b: [Int], _ op: String) throws(ImportError) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for k in 0..<rank {
            let x = k < rank - a.count ? 1 : a[k - (rank - a.count)]
            let y = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { throw .invalid("\(op): shapes \(a) and \(b) do not broadcast") }
            out[k] = x == 1 ? y : x
        }
        return out
    }

    /// For each element of `shape`, the index into a tensor of `from` broadcast to it.
    static func broadcastIndexes(_ from: [Int], to shape: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        let rank = shape.count
        let padded = [Int](repeating: 1, count: rank - from.count) + from
        var strides = [Int](repeating: 0, count: rank)
        var s = 1
        for k in stride(from: rank - 1, through: 0, by: -1) {
            strides[k] = padded[k] == 1 ? 0 : s
            s *= padded[k]
        }
        if padded == shape { return Array(0..<count) }
        var out = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for i in 0..<count {
            var offset = 0
            for k in 0..<rank { offset += index[k] * strides[k] }
            out[i] = offset
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }

    static func elementwise(_ op: String, _ x: Tensor, _ y: Tensor) throws(ImportError) -> Tensor {
        let shape = try broadcastShape(x.shape, y.shape, op)
        let ix = broadcastIndexes(x.shape, to: shape)
        let iy = broadcastIndexes(y.shape, to: shape)
        func combine<T>(_ a: [T], _ b: [T], _ f: (T, T) -> T) -> [T] { zip(ix, iy).map { f(a[$0], b[$1]) } }
        switch (x.elements, y.elements) {
        case (.float(let a), _):
            let b = try y.floats(op)
            let f: (Float, Float) -> Float =
                switch op {
                case "Add": (+)
                case "Sub": (-)
                case "Mul": (*)
                default: (/)
                }
            return Tensor(shape: shape, elements: .float(combine(a, b, f)))
        case (.double(let a), _):
            let b = try y.doubles(op)
            let f: (Double, Double) -> Double =
                switch op {
                case "Add": (+)
                case "Sub": (-)
                case "Mul": (*)
                default: (/)
                }
            return Tensor(shape: shape, elements: .double(combine(a, b, f)))
        case (.int64(let a), .int64(let b)):
            let f: (Int64, Int64) -> Int64 =
                switch op {
                case "Add": (&+)
                case "Sub": (&-)
                case "Mul": (&*)
                default: { $1 == 0 ? 0 : $0 / $1 }
                }
            return Tensor(shape: shape, elements: .int64(combine(a, b, f)))
        default:
            throw .unsupported("\(op) of \(x.typeName) and \(y.typeName) tensors is not supported")
        }
    }

    static func normalizedAxis(_ axis: Int, rank: Int, _ op: String, allowEnd: Bool = false) throws(ImportError) -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank || (allowEnd && a == rank) else { throw .invalid("\(op): axis \(axis) outside rank \(rank)") }
        return a
    }

    static func softmax(_ x: Tensor, axis: Int, wholeTail: Bool, log: Bool) throws(ImportError) -> Tensor {
        let ax = try normalizedAxis(axis, rank: x.shape.count, "Softmax")
        // Opset < 13 normalizes over everything from `axis` on; later opsets over that axis only.
        let inner = wholeTail ? 1 : x.shape[(ax + 1)...].reduce(1, *)
        let length = wholeTail ? x.shape[ax...].reduce(1, *) : x.shape[ax]
        let outer = x.count / max(inner * length, 1)
        switch x.elements {
        case .float(var v):
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * length * inner + i
                    var m = -Float.infinity
                    for k in 0..<length { m = max(m, v[base + k * inner]) }
                    var total: Float = 0
                    for k in 0..<length {
                        let e = expf(v[base + k * inner] - m)
                        if !log { v[base + k * inner] = e }
                        total += e
                    }
                    for k in 0..<length { v[base + k * inner] = log ? v[base + k * inner] - m - logf(total) : v[base + k * inner] / total }
                }
            }
            return Tensor(shape: x.shape, elements: .float(v))
        case .double(var v):
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * length * inner + i
                    var m = -Double.infinity
                    for k in 0..<length { m = max(m, v[base + k * inner]) }
                    var total = 0.0
                    for k in 0..<length {
                        let e = exp(v[base + k * inner] - m)
                        if !log { v[base + k * inner] = e }
                        total += e
                    }
                    for k in 0..<length { v[base + k * inner] = log ? v[base + k * inner] - m - Glibc.log(total) : v[base + k * inner] / total }
                }
            }
            return Tensor(shape: x.shape, elements: .double(v))
        default:
            throw .unsupported("Softmax of \(x.typeName) tensors is not supported")
        }
    }

    /// alpha * A' B' + beta * C for matrices (A may be a vector for MatMul). Float tensors are
    /// computed as onnxruntime's kernels do: each output a fused multiply-add chain over k in
    /// order, in 32-bit floats, then alpha, then beta * C added; doubles in doubles.
    static func gemm(
        _ a: Tensor, _ b: Tensor, _ c: Tensor?, _ alpha: Float, _ beta: Float, _ transA: Bool, _ transB: Bool, _ op: String
    ) throws(ImportError) -> Tensor {
        var aShape = a.shape
        if aShape.count == 1 { aShape = [1, aShape[0]] }
        var bShape = b.shape
        let vectorB = bShape.count == 1
        if vectorB { bShape = [bShape[0], 1] }
        guard aShape.count == 2, bShape.count == 2 else { throw .unsupported("\(op): only matrices are supported (shapes \(a.shape), \(b.shape))") }
        let (n, k) = transA ? (aShape[1], aShape[0]) : (aShape[0], aShape[1])
        let (k2, m) = transB ? (bShape[1], bShape[0]) : (bShape[0], bShape[1])
        guard k == k2 else { throw .invalid("\(op): inner dimensions \(k) and \(k2) differ") }
        let shape = vectorB ? [n] : (a.shape.count == 1 ? [m] : [n, m])
        var bias: [Int] = []
        if let c, beta != 0 {
            guard (try? broadcastShape(c.shape, [n, m], op)) == [n, m] else { throw .invalid("\(op): C of shape \(c.shape) does not broadcast to [\(n), \(m)]") }
            bias = broadcastIndexes(c.shape, to: [n, m])
        }
        @inline(__always) func aIndex(_ i: Int, _ p: Int) -> Int { transA ? p * aShape[1] + i : i * aShape[1] + p }
        @inline(__always) func bIndex(_ p: Int, _ j: Int) -> Int { transB ? j * bShape[1] + p : p * bShape[1] + j }
        if case .double = a.elements {
            let av = try a.doubles(op)
            let bv = try b.doubles(op)
            let cv = try c?.doubles(op) ?? []
            var out = [Double](repeating: 0, count: n * m)
            for i in 0..<n {
                for j in 0..<m {
                    var s = 0.0
                    for p in 0..<k { s = s.addingProduct(av[aIndex(i, p)], bv[bIndex(p, j)]) }
                    out[i * m + j] = Double(alpha) * s + (bias.isEmpty ? 0 : Double(beta) * cv[bias[i * m + j]])
                }
            }
            return Tensor(shape: shape, elements: .double(out))
        }
        let av = try a.floats(op)
        let bv = try b.floats(op)
        let cv = try c?.floats(op) ?? []
        var out = [Float](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m {
                var s: Float = 0
                for p in 0..<k { s = s.addingProduct(av[aIndex(i, p)], bv[bIndex(p, j)]) }
                if alpha != 1 { s *= alpha }
                out[i * m + j] = bias.isEmpty ? s : s + (beta == 1 ? cv[bias[i * m + j]] : beta * cv[bias[i * m + j]])
            }
        }
        return Tensor(shape: shape, elements: .float(out))
    }

    static func reshape(_ x: Tensor, _ shape: [Int], allowZero: Bool, _ op: String) throws(ImportError) -> [Int] {
        var out = shape
        var unknown: Int?
        for (k, d) in shape.enumerated() {
            if d == 0 && !allowZero {
                guard k < x.shape.count else { throw .invalid("\(op): 0 copies a missing dimension") }
                out[k] = x.shape[k]
            } else if d == -1 {
                guard unknown == nil else { throw .invalid("\(op): more than one -1") }
                unknown = k
            } else if d < -1 {
                throw .invalid("\(op): negative dimension \(d)")
            }
        }
        if let unknown {
            let known = out.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            guard known > 0, x.count % known == 0 else { throw .invalid("\(op): \(x.count) elements do not fit \(shape)") }
            out[unknown] = x.count / known
        }
        guard out.reduce(1, *) == x.count else { throw .invalid("\(op): \(x.count) elements do not fit \(shape)") }
        return out
    }

    static func squeeze(_ shape: [Int], _ axes: [Int], unsqueeze: Bool, _ op: String) throws(ImportError) -> [Int] {
        if unsqueeze {
            let rank = shape.count + axes.count
            let set = Set(try axes.map { a throws(ImportError) in try normalizedAxis(a, rank: rank, op) })
            var out: [Int] = []
            var source = shape.makeIterator()
            for k in 0..<rank { out.append(set.contains(k) ? 1 : (source.next() ?? 1)) }
            return out
        }
        if axes.isEmpty { return shape.filter { $0 != 1 } }
        let set = Set(try axes.map { a throws(ImportError) in try normalizedAxis(a, rank: shape.count, op) })
        for k in set where shape[k] != 1 { throw .invalid("\(op): axis \(k) has size \(shape[k]), not 1") }
        return shape.enumerated().filter { !set.contains($0.offset) }.map(\.element)
    }

    static func concat(_ parts: [Tensor], axis: Int, _ op: String) throws(ImportError) -> Tensor {
        guard let first = parts.first else { throw .invalid("\(op): no inputs") }
        let rank = first.shape.count
        let ax = try normalizedAxis(axis, rank: rank, op)
        for p in parts {
            guard p.shape.count == rank, zip(p.shape, first.shape).enumerated().allSatisfy({ $0.offset == ax || $0.element.0 == $0.element.1 }) else {
                throw .invalid("\(op): shapes \(parts.map(\.shape)) do not concatenate on axis \(axis)")
            }
        }
        let outer = first.shape[..<ax].reduce(1, *)
        var shape = first.shape
        shape[ax] = parts.reduce(0) { $0 + $1.shape[ax] }
        func join<T>(_ arrays: [[T]]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(shape.reduce(1, *))
            for o in 0..<outer {
                for (p, a) in zip(parts, arrays) {
                    let chunk = p.shape[ax...].reduce(1, *)
                    out.append(contentsOf: a[(o * chunk)..<((o + 1) * chunk)])
                }
            }
            return out
        }
        switch first.elements {
        case .double: return Tensor(shape: shape, elements: .double(join(try parts.map { t throws(ImportError) in try t.doubles(op) })))
        case .int64: return Tensor(shape: shape, elements: .int64(join(try parts.map { t throws(ImportError) in try t.int64s(op) })))
        case .string: throw .unsupported("\(op) of string tensors is not supported")
        case .float: return Tensor(shape: shape, elements: .float(join(try parts.map { t throws(ImportError) in try t.floats(op) })))
        }
    }
}

/// A node's attributes, read with the operator's defaults.
struct Attributes {
    let values: [String: ONNXProto.Attribute]
    let op: String
    /// The opset of the node's domain (set by the importer).
    var opset: Int64 = 0

    init(_ node: ONNXProto.Node, opset: Int64 = 0) {
        values = node.attributes
        op = node.opType
        self.opset = opset
    }

    func int(_ name: String) throws(ImportError) -> Int64 {
        guard case .int(let v)? = values[name] else { throw .invalid("\(op): attribute '\(name)' is missing") }
        return v
    }

    func intOr(_ name: String, _ fallback: Int64) -> Int64 {
        if case .int(let v)? = values[name] { return v }
        return fallback
    }

    func float(_ name: String) -> Float? {
        if case .float(let v)? = values[name] { return v }
        return nil
    }

    func floats(_ name: String) -> [Float]? {
        if case .floats(let v)? = values[name] { return v }
        return nil
    }

    func ints(_ name: String) -> [Int64]? {
        if case .ints(let v)? = values[name] { return v }
        return nil
    }

    func strings(_ name: String) -> [String]? {
        if case .strings(let v)? = values[name] { return v }
        return nil
    }

    func string(_ name: String) -> String? {
        if case .string(let v)? = values[name] { return v }
        return nil
    }

    func tensor(_ name: String) -> Tensor? {
        if case .tensor(let v)? = values[name] { return v }
        return nil
    }
}
