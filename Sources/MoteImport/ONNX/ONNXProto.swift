/// The parts of an ONNX file (`onnx.proto`) mote reads, decoded from the protobuf wire format.
/// Field numbers are ONNX's; fields mote does not use are skipped.
struct ONNXProto {
    struct ValueInfo {
        var name = ""
        /// The element type of a tensor value; nil for sequences and maps.
        var elementType: Int?
        /// Dimensions; nil where symbolic (the batch).
        var dims: [Int?] = []
        var kind = "tensor"
    }

    enum Attribute {
        case float(Float)
        case int(Int64)
        case string(String)
        case tensor(Tensor)
        case floats([Float])
        case ints([Int64])
        case strings([String])
        /// A kind mote does not read (graphs, sparse tensors, type protos).
        case other
    }

    struct Node {
        var opType = ""
        var domain = ""
        var name = ""
        var inputs: [String] = []
        var outputs: [String] = []
        var attributes: [String: Attribute] = [:]
    }

    struct Graph {
        var nodes: [Node] = []
        var initializers: [String: Tensor] = [:]
        var inputs: [ValueInfo] = []
        var outputs: [ValueInfo] = []
    }

    var irVersion: Int64 = 0
    var producerName = ""
    var producerVersion = ""
    /// Opset versions by domain ("" and "ai.onnx" are the default domain).
    var opsets: [String: Int64] = [:]
    var graph = Graph()

    /// Elements a single tensor may hold (1 GiB of floats); larger is refused as hostile.
    static let tensorLimit = 1 << 28

    static func decode(_ bytes: [UInt8]) throws(ImportError) -> ONNXProto {
        try bytes.withUnsafeBufferPointer { buffer throws(ImportError) in
            var r = ProtobufReader(buffer)
            var model = ONNXProto()
            var sawGraph = false
            while let (number, type) = try r.field() {
                switch number {
                case 1: model.irVersion = Int64(bitPattern: try r.varint())
                case 2: model.producerName = try r.string()
                case 3: model.producerVersion = try r.string()
                case 7:
                    var g = try r.message(type)
                    model.graph = try graph(&g)
                    sawGraph = true
                case 8:
                    var o = try r.message(type)
                    var domain = ""
                    var version: Int64 = 0
                    while let (n, t) = try o.field() {
                        switch n {
                        case 1: domain = try o.string()
                        case 2: version = Int64(bitPattern: try o.varint())
                        default: try o.skip(t)
                        }
                    }
                    model.opsets[domain == "ai.onnx" ? "" : domain] = version
                default: try r.skip(type)
                }
            }
            guard sawGraph else { throw .invalid("not an ONNX model (no graph)") }
            return model
        }
    }

    private static func graph(_ r: inout ProtobufReader) throws(ImportError) -> Graph {
        var g = Graph()
        while let (number, type) = try r.field() {
            switch number {
            case 1:
                var n = try r.message(type)
                g.nodes.append(try node(&n))
            case 5:
                var t = try r.message(type)
                let (name, tensor) = try tensor(&t)
                g.initializers[name] = tensor
            case 11:
                var v = try r.message(type)
                g.inputs.append(try valueInfo(&v))
            case 12:
                var v = try r.message(type)
                g.outputs.append(try valueInfo(&v))
            case 15: throw .unsupported("ONNX sparse initializers are not supported")
            default: try r.skip(type)
            }
        }
        return g
    }

    private static func node(_ r: inout ProtobufReader) throws(ImportError) -> Node {
        var n = Node()
        while let (number, type) = try r.field() {
            switch number {
            case 1: n.inputs.append(try r.string())
            case 2: n.outputs.append(try r.string())
            case 3: n.name = try r.string()
            case 4: n.opType = try r.string()
            case 7: n.domain = try r.string()
            case 5:
                var a = try r.message(type)
                let (name, value) = try attribute(&a)
                n.attributes[name] = value
            default: try r.skip(type)
            }
        }
        if n.domain == "ai.onnx" { n.domain = "" }
        return n
    }

    private static func attribute(_ r: inout ProtobufReader) throws(ImportError) -> (String, Attribute) {
        var name = ""
        var f: Float?
        var i: Int64?
        var s: String?
        var t: Tensor?
        var floats: [Float] = []
        var ints: [Int64] = []
        var strings: [String] = []
        var declared: UInt64 = 0
        var other = false
        while let (number, type) = try r.field() {
            switch number {
            case 1: name = try r.string()
            case 2: f = Float(bitPattern: try r.fixed32())
            case 3: i = Int64(bitPattern: try r.varint())
            case 4: s = try r.string()
            case 5:
                var m = try r.message(type)
                t = try tensor(&m).1
            case 7: try r.floats(type, into: &floats)
            case 8: try r.varints(type, into: &ints)
            case 9: strings.append(try r.string())
            case 20: declared = try r.varint()
            case 6, 10, 11, 22, 23, 14, 15:
                other = true
                try r.skip(type)
            default: try r.skip(type)
            }
        }
        // AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7, STRINGS 8.
        switch declared {
        case 1: return (name, .float(f ?? 0))
        case 2: return (name, .int(i ?? 0))
        case 3: return (name, .string(s ?? ""))
        case 4:
            guard let t else { throw .invalid("ONNX attribute '\(name)' declares a tensor but holds none") }
            return (name, .tensor(t))
        case 6: return (name, .floats(floats))
        case 7: return (name, .ints(ints))
        case 8: return (name, .strings(strings))
        case 0:
            // Files from before the type field: infer from what is set.
            if let f { return (name, .float(f)) }
            if let i { return (name, .int(i)) }
            if let s { return (name, .string(s)) }
            if let t { return (name, .tensor(t)) }
            if !floats.isEmpty { return (name, .floats(floats)) }
            if !ints.isEmpty { return (name, .ints(ints)) }
            if !strings.isEmpty { return (name, .strings(strings)) }
            return (name, other ? .other : .ints([]))
        default: return (name, .other)
        }
    }

    private static func valueInfo(_ r: inout ProtobufReader) throws(ImportError) -> ValueInfo {
        var v = ValueInfo()
        while let (number, type) = try r.field() {
            switch number {
            case 1: v.name = try r.string()
            case 2:
                var tp = try r.message(type)
                while let (n, t) = try tp.field() {
                    switch n {
                    case 1:
                        var tt = try tp.message(t)
                        while let (n2, t2) = try tt.field() {
                            switch n2 {
                            case 1: v.elementType = Int(clamping: try tt.varint())
                            case 2:
                                var shape = try tt.message(t2)
                                while let (n3, t3) = try shape.field() {
                                    guard n3 == 1 else {
                                        try shape.skip(t3)
                                        continue
                                    }
                                    var dim = try shape.message(t3)
                                    var value: Int?
                                    while let (n4, t4) = try dim.field() {
                                        if n4 == 1 { value = Int(truncatingIfNeeded: try dim.varint()) } else { try dim.skip(t4) }
                                    }
                                    v.dims.append(value)
                                }
                            default: try tt.skip(t2)
                            }
                        }
                    case 4:
                        v.kind = "sequence"
                        try tp.skip(t)
                    case 5:
                        v.kind = "map"
                        try tp.skip(t)
                    default: try tp.skip(t)
                    }
                }
            default: try r.skip(type)
            }
        }
        return v
    }

    /// A `TensorProto`: its name and value. Raw data is little-endian, as ONNX stores it.
    static func tensor(_ r: inout ProtobufReader) throws(ImportError) -> (String, Tensor) {
        var dims: [Int64] = []
        var dataType = 0
        var name = ""
        var raw: Range<Int>?
        var floats: [Float] = []
        var doubles: [Double] = []
        var int64s: [Int64] = []
        var int32s: [Int64] = []
        var strings: [String] = []
        var external = false
        while let (number, type) = try r.field() {
            switch number {
            case 1: try r.varints(type, into: &dims)
            case 2: dataType = Int(clamping: try r.varint())
            case 4: try r.floats(type, into: &floats)
            case 5: try r.varints(type, into: &int32s)
            case 6: strings.append(try r.string())
            case 7: try r.varints(type, into: &int64s)
            case 8: name = try r.string()
            case 9: raw = try r.lengthDelimited()
            case 10: try r.doubles(type, into: &doubles)
            case 13:
                external = true
                try r.skip(type)
            case 14: external = try r.varint() == 1 || external
            default: try r.skip(type)
            }
        }
        if external { throw .unsupported("ONNX tensor '\(name)' keeps its data in an external file; save the model with its data inside") }
        var count = 1
        for d in dims {
            guard d >= 0, d <= Int64(tensorLimit) else { throw .invalid("ONNX tensor '\(name)' has a dimension of \(d)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= tensorLimit else { throw .invalid("ONNX tensor '\(name)' declares more than \(tensorLimit) elements") }
            count = product
        }
        let shape = dims.map { Int($0) }
        func rawValues<T>(_ size: Int, _ make: (UInt64) -> T) throws(ImportError) -> [T] {
            guard let raw else { return [] }
            guard raw.count == count * size else {
                throw .invalid("ONNX tensor '\(name)' holds \(raw.count) bytes for \(count) elements of \(size) bytes")
            }
            var out: [T] = []
            out.reserveCapacity(count)
            var at = raw.lowerBound
            for _ in 0..<count {
                var v: UInt64 = 0
                for k in 0..<size { v |= UInt64(r.bytes[at + k]) << (8 * k) }
                out.append(make(v))
                at += size
            }
            return out
        }
        let elements: Tensor.Elements
        switch ONNXType(rawValue: dataType) {
        case .float: elements = .float(raw != nil ? try rawValues(4) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) } : floats)
        case .double: elements = .double(raw != nil ? try rawValues(8) { Double(bitPattern: $0) } : doubles)
        case .int64: elements = .int64(raw != nil ? try rawValues(8) { Int64(bitPattern: $0) } : int64s)
        case .int32: elements = .int64(raw != nil ? try rawValues(4) { Int64(Int32(truncatingIfNeeded: $0)) } : int32s)
        case .int8: elements = .int64(raw != nil ? try rawValues(1) { Int64(Int8(truncatingIfNeeded: $0)) } : int32s)
        case .uint8, .bool: elements = .int64(raw != nil ? try rawValues(1) { Int64($0) } : int32s)
        case .string: elements = .string(strings)
        default: throw .unsupported("ONNX tensor '\(name)' has element type \(dataType), which mote does not read")
        }
        let t = Tensor(shape: shape, elements: elements)
        guard t.count == count else { throw .invalid("ONNX tensor '\(name)' holds \(t.count) elements for shape \(shape)") }
        return (name, t)
    }
}
