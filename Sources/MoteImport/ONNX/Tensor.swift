/// A value flowing through an ONNX graph: a shape and its elements in row-major order.
struct Tensor: Sendable {
    enum Elements: Sendable {
        case float([Float])
        case double([Double])
        case int64([Int64])
        case string([String])
    }
    var shape: [Int]
    var elements: Elements

    var count: Int {
        switch elements {
        case .float(let a): a.count
        case .double(let a): a.count
        case .int64(let a): a.count
        case .string(let a): a.count
        }
    }

    var typeName: String {
        switch elements {
        case .float: "float"
        case .double: "double"
        case .int64: "int64"
        case .string: "string"
        }
    }

    /// Numeric elements as floats (what the float operators compute in).
    func floats(_ op: String) throws(ImportError) -> [Float] {
        switch elements {
        case .float(let a): return a
        case .double(let a): return a.map { Float($0) }
        case .int64(let a): return a.map { Float($0) }
        case .string: throw .unsupported("\(op): string tensors are not supported here")
        }
    }

    /// Numeric elements as doubles.
    func doubles(_ op: String) throws(ImportError) -> [Double] {
        switch elements {
        case .float(let a): return a.map { Double($0) }
        case .double(let a): return a
        case .int64(let a): return a.map { Double($0) }
        case .string: throw .unsupported("\(op): string tensors are not supported here")
        }
    }

    func int64s(_ op: String) throws(ImportError) -> [Int64] {
        switch elements {
        case .int64(let a): return a
        case .float(let a): return a.map { Int64(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .double(let a): return a.map { Int64(exactly: $0.rounded(.towardZero)) ?? 0 }
        case .string: throw .unsupported("\(op): string tensors are not supported here")
        }
    }

    /// The same elements with another shape of the same count.
    func reshaped(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, elements: elements)
    }

    /// Rows and columns when seen as a matrix: the first axis, and the product of the rest.
    var matrixShape: (rows: Int, columns: Int) {
        guard let first = shape.first else { return (1, 1) }
        return (first, shape.dropFirst().reduce(1, *))
    }
}

/// ONNX element types (`TensorProto.DataType`).
enum ONNXType: Int {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8, bool = 9
    case float16 = 10, double = 11, uint32 = 12, uint64 = 13
}
