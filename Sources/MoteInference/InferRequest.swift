public import MoteCore
public import MoteModels

/// An Open Inference Protocol v2 `infer` request, read against one model's inputs.
///
/// Two shapes are taken: one input of shape `[N, F]` holding the model's F inputs in its
/// order (numbers only), or one input per model input named like it (`view:field`) of shape
/// `[N]` or `[N, 1]` (MLServer's `content_type: "pd"` style; BYTES for string inputs). `data`
/// may be flat or nested row-major; `null` is a missing value. With the binary tensor data
/// extension an input's values come as bytes after the JSON header (see `BinaryTensors`).
public struct InferRequest: Sendable {
    public var id: String?
    public var rowCount: Int
    /// Rows of inputs in the model's order (per-input form, or any model with categories).
    public var rows: [[ModelInput]]
    /// Row-major numbers in the model's order (matrix form of an all-numeric model).
    public var matrix: [Double]?
    /// Outputs asked for by name (nil: all).
    public var outputs: [String]?
    /// Outputs to send as binary data after the answer's JSON (`binary_data_output` of the
    /// request, or `binary_data` of a requested output).
    public var binaryOutputs: Set<String> = []
    /// `parameters.explain`: add `explanations` and `explanation_base` to the answer.
    public var explain = false

    static let datatypes: Set<String> = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"]

    /// Reads `body` for `model`; a body that is not the protocol's shape or does not fit the
    /// model is refused (`invalid_shape`, `unknown_key`, `invalid_binary_data`), naming the
    /// input. `binary` holds the bytes after the JSON header when the request used the binary
    /// tensor data extension (`Inference-Header-Content-Length`).
    public static func parse(
        _ body: JSONValue, model: LoadedModel, maxRows: Int, binary: UnsafeBufferPointer<UInt8>? = nil
    ) throws(DomainError) -> InferRequest {
        guard case .object(let object) = body else { throw .invalidShape("the body must be a JSON object with 'inputs'") }
        // KServe's client names the model in the body too: it must be the model of the URL.
        try object.refuseUnknownKeys(["id", "parameters", "inputs", "outputs", "model_name", "model_version"])
        if let named = object["model_name"] {
            guard named.stringValue == model.name else {
                throw .invalidShape("'model_name' is \(named) but the URL names model '\(model.name)'")
            }
        }
        if let named = object["model_version"], !(named == .null || named.stringValue == "") {
            guard named.stringValue == String(model.version) else {
                throw .invalidShape("'model_version' is \(named) but version \(model.version) of '\(model.name)' answers this URL")
            }
        }
        var id: String?
        if let value = object["id"] {
            guard case .string(let s) = value else { throw .invalidShape("'id' must be a string") }
            id = s
        }
        // Request parameters: `binary_data_output` is read; others (Triton's `priority`,
        // `timeout`, `sequence_id`...) do not apply to a stateless model and are ignored.
        var binaryByDefault = false
        var explain = false
        if let p = object["parameters"] {
            guard case .object(let parameters) = p else { throw .invalidShape("'parameters' must be an object") }
            if let flag = parameters["binary_data_output"] {
                guard case .bool(let b) = flag else { throw .invalidShape("'parameters.binary_data_output' must be true or false") }
                binaryByDefault = b
            }
            if let flag = parameters["explain"] {
                guard case .bool(let b) = flag else { throw .invalidShape("'parameters.explain' must be true or false") }
                explain = b
            }
        }
        var outputs: [String]?
        var binaryOutputs = Set<String>()
        if let value = object["outputs"] {
            guard case .array(let list) = value else { throw .invalidShape("'outputs' must be an array of {\"name\": ...}") }
            var names: [String] = []
            let known = Set(model.bundle.outputs.map(\.name))
            for item in list {
                guard let name = item["name"]?.stringValue else { throw .invalidShape("each requested output needs a 'name'") }
                guard known.contains(name) else {
                    throw .invalidShape("model '\(model.name)' has no output '\(name)' (it has \(known.sorted().joined(separator: ", ")))")
                }
                var binary = binaryByDefault
                if let p = item["parameters"] {
                    guard case .object(let parameters) = p else { throw .invalidShape("output '\(name)': 'parameters' must be an object") }
                    if let flag = parameters["binary_data"] {
                        guard case .bool(let b) = flag else { throw .invalidShape("output '\(name)': 'binary_data' must be true or false") }
                        binary = b
                    }
                    if parameters["classification"] != nil {
                        throw .invalidShape("output '\(name)': the classification extension is not supported; ask for 'label' and 'probabilities'")
                    }
                }
                names.append(name)
                if binary { binaryOutputs.insert(name) }
            }
            outputs = names
        } else if binaryByDefault {
            binaryOutputs = Set(model.bundle.outputs.map(\.name))
        }
        guard case .array(let inputs)? = object["inputs"], !inputs.isEmpty else {
            throw .invalidShape("'inputs' must be a non-empty array of tensors {name, shape, datatype, data}")
        }
        var reader = binary.map { BinaryTensors.Reader($0) }
        var tensors: [Tensor] = []
        for (k, input) in inputs.enumerated() { tensors.append(try Tensor(input, index: k, binary: &reader)) }
        try reader?.finish()
        let features = model.bundle.inputs
        if binaryByDefault && explain { binaryOutputs.formUnion(InferResponse.explanationOutputs) }
        var request = InferRequest(id: id, rowCount: 0, rows: [], matrix: nil, outputs: outputs, binaryOutputs: binaryOutputs)
        request.explain = explain

        // One [N, F] tensor in the model's order.
        if tensors.count == 1, tensors[0].shape.count == 2, model.inputPositions[tensors[0].name] == nil {
            let t = tensors[0]
            guard t.shape[1] == features.count else {
                throw .invalidShape("input '\(t.name)' has \(t.shape[1]) columns; model '\(model.name)' takes \(features.count): \(features.map(\.name).joined(separator: ", "))")
            }
            guard t.datatype != "BYTES" else {
                throw .invalidShape("input '\(t.name)': a [N, F] tensor holds numbers; send string inputs one per input, named like them")
            }
            // A number in a string input's column would be read as a missing value: refused.
            if let text = features.first(where: { $0.type == .string }) {
                throw .invalidShape("input '\(t.name)': a [N, F] tensor holds numbers, but model input '\(text.name)' is a string; send one tensor per input, named like it, with BYTES for '\(text.name)'")
            }
            let n = t.shape[0]
            guard n <= maxRows else { throw DomainError.tooManyRows("\(n) rows; the limit is \(maxRows) (inference.max_batch_rows)") }
            let values = try t.numbers()
            request.rowCount = n
            if model.numericPassThrough {
                request.matrix = values
            } else {
                request.rows = (0..<n).map { r in (0..<features.count).map { c in let v = values[r * features.count + c]; return v.isNaN ? .missing : .number(v) } }
            }
            return request
        }

        // One tensor per model input.
        var byPosition = [Tensor?](repeating: nil, count: features.count)
        for t in tensors {
            guard let position = model.inputPositions[t.name] else {
                throw .invalidShape("input '\(t.name)' is not an input of model '\(model.name)' (inputs: \(features.map(\.name).joined(separator: ", ")); or send one [N, \(features.count)] tensor)")
            }
            guard byPosition[position] == nil else { throw .invalidShape("input '\(t.name)' is given twice") }
            guard t.shape.count == 1 || (t.shape.count == 2 && t.shape[1] == 1) else {
                throw .invalidShape("input '\(t.name)' must have shape [N] or [N, 1], not \(t.shape)")
            }
            byPosition[position] = t
        }
        if let missing = byPosition.indices.first(where: { byPosition[$0] == nil }) {
            throw .invalidShape("input '\(features[missing].name)' is missing (model '\(model.name)' takes \(features.map(\.name).joined(separator: ", ")))")
        }
        let n = byPosition[0]!.shape[0]
        guard n <= maxRows else { throw DomainError.tooManyRows("\(n) rows; the limit is \(maxRows) (inference.max_batch_rows)") }
        var columns: [[ModelInput]] = []
        for (position, tensor) in byPosition.enumerated() {
            guard let t = tensor else { continue }
            guard t.shape[0] == n else { throw .invalidShape("input '\(t.name)' has \(t.shape[0]) rows; '\(features[0].name)' has \(n)") }
            if features[position].type == .string {
                guard t.datatype == "BYTES" else { throw .invalidShape("input '\(t.name)' is a string input: send datatype BYTES") }
                columns.append(try t.strings())
            } else {
                guard t.datatype != "BYTES" else { throw .invalidShape("input '\(t.name)' is numeric (\(features[position].type.rawValue)); BYTES does not fit") }
                columns.append(try t.numbers().map { $0.isNaN ? .missing : .number($0) })
            }
        }
        request.rowCount = n
        if model.numericPassThrough {
            // Numbers only, NaN kept: straight into the model's matrix.
            var matrix = [Double](repeating: .nan, count: n * features.count)
            for (c, column) in columns.enumerated() {
                for r in 0..<n { if case .number(let v) = column[r] { matrix[r * features.count + c] = v } }
            }
            request.matrix = matrix
        } else {
            request.rows = (0..<n).map { r in columns.map { $0[r] } }
        }
        return request
    }
}

/// One input tensor as sent.
struct Tensor {
    /// The values: JSON `data`, or decoded from binary data.
    enum Values {
        case json([JSONValue])
        case numbers([Double])
        case strings([ModelInput])
    }

    var name: String
    var shape: [Int]
    var datatype: String
    var values: Values

    init(_ value: JSONValue, index: Int, binary: inout BinaryTensors.Reader?) throws(DomainError) {
        guard case .object(let o) = value else { throw .invalidShape("inputs[\(index)] must be an object {name, shape, datatype, data}") }
        guard let name = o["name"]?.stringValue else { throw .invalidShape("inputs[\(index)] needs a 'name'") }
        guard case .array(let dims)? = o["shape"], !dims.isEmpty else { throw .invalidShape("input '\(name)' needs a 'shape' array") }
        var shape: [Int] = []
        for d in dims {
            guard let v = d.int64Value, v >= 0, v <= Int64(Int32.max) else { throw .invalidShape("input '\(name)': shape holds non-negative integers") }
            shape.append(Int(v))
        }
        guard let datatype = o["datatype"]?.stringValue else { throw .invalidShape("input '\(name)' needs a 'datatype'") }
        guard InferRequest.datatypes.contains(datatype) else {
            throw .invalidShape("input '\(name)': datatype '\(datatype)' is not an Open Inference Protocol datatype")
        }
        let expected = shape.reduce(1, *)
        self.name = name
        self.shape = shape
        self.datatype = datatype
        if let p = o["parameters"] {
            guard case .object(let parameters) = p else { throw .invalidShape("input '\(name)': 'parameters' must be an object") }
            if let size = parameters["binary_data_size"] {
                guard let bytes = size.int64Value, bytes >= 0, bytes <= Int64(Int32.max) else {
                    throw .invalidShape("input '\(name)': 'binary_data_size' must be a byte count")
                }
                guard o["data"] == nil else { throw .invalidShape("input '\(name)' has both 'data' and 'binary_data_size'") }
                guard binary != nil else {
                    throw BinaryTensors.invalid("input '\(name)' has binary_data_size but the request has no Inference-Header-Content-Length header")
                }
                let raw = try binary!.take(Int(bytes), for: name)
                values = datatype == "BYTES"
                    ? .strings(try BinaryTensors.strings(raw, count: expected, name: name))
                    : .numbers(try BinaryTensors.numbers(raw, datatype: datatype, count: expected, name: name))
                return
            }
        }
        guard case .array(let nested)? = o["data"] else { throw .invalidShape("input '\(name)' needs 'data' (an array) or binary data") }
        var flat: [JSONValue] = []
        func flatten(_ items: [JSONValue], _ depth: Int) throws(DomainError) {
            for item in items {
                if case .array(let inner) = item {
                    guard depth < 8 else { throw .invalidShape("input '\(name)': data nested too deeply") }
                    try flatten(inner, depth + 1)
                } else {
                    flat.append(item)
                }
            }
        }
        try flatten(nested, 0)
        guard flat.count == expected else {
            throw .invalidShape("input '\(name)': shape \(shape) needs \(expected) values, data has \(flat.count)")
        }
        values = .json(flat)
    }

    /// Numbers (bools as 0/1; null as NaN = missing).
    func numbers() throws(DomainError) -> [Double] {
        let data: [JSONValue]
        switch values {
        case .numbers(let v): return v
        case .strings: throw .invalidShape("input '\(name)': expected numbers, got BYTES")
        case .json(let d): data = d
        }
        var out: [Double] = []
        out.reserveCapacity(data.count)
        for (k, v) in data.enumerated() {
            switch v {
            case .integer(let i): out.append(Double(i))
            case .double(let d): out.append(d)
            case .bool(let b): out.append(b ? 1 : 0)
            case .null: out.append(.nan)
            default: throw .invalidShape("input '\(name)' value \(k): expected a number for \(datatype), got \(v.typeName)")
            }
        }
        return out
    }

    func strings() throws(DomainError) -> [ModelInput] {
        let data: [JSONValue]
        switch values {
        case .strings(let s): return s
        case .numbers: throw .invalidShape("input '\(name)': expected BYTES, got numbers")
        case .json(let d): data = d
        }
        var out: [ModelInput] = []
        for (k, v) in data.enumerated() {
            switch v {
            case .string(let s): out.append(.text(s))
            case .null: out.append(.missing)
            default: throw .invalidShape("input '\(name)' value \(k): expected a string for BYTES, got \(v.typeName)")
            }
        }
        return out
    }
}
