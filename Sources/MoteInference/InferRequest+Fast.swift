import MoteCore
import MoteModels

extension InferRequest {
    /// The common request read straight from the body bytes: `id` and numeric `inputs` only
    /// (no `parameters`, `outputs` or BYTES), plain JSON. Anything else, and every error,
    /// returns nil and `parse(_:model:maxRows:)` answers it from the JSON tree, so both give
    /// the same requests and the same error messages.
    public static func parseFast(_ body: UnsafeBufferPointer<UInt8>, model: LoadedModel, maxRows: Int) -> InferRequest? {
        var scan = PlainJSONScanner(body)
        guard scan.consume(UInt8(ascii: "{")) else { return nil }
        var id: String?
        var tensors: [(name: String, shape: [Int], values: [Double])]?
        repeat {
            guard let key = scan.string(), scan.consume(UInt8(ascii: ":")) else { return nil }
            if scan.range(key, is: "id") {
                guard id == nil, let value = scan.string() else { return nil }
                id = scan.text(value)
            } else if scan.range(key, is: "inputs") {
                guard tensors == nil, let list = tensorList(&scan) else { return nil }
                tensors = list
            } else {
                return nil
            }
        } while scan.consume(UInt8(ascii: ","))
        guard scan.consume(UInt8(ascii: "}")), scan.atEnd, let tensors, !tensors.isEmpty else { return nil }

        let features = model.bundle.inputs
        let width = features.count
        var request = InferRequest(id: id, rowCount: 0, rows: [], matrix: nil, outputs: nil)
        if tensors.count == 1, tensors[0].shape.count == 2, model.inputPositions[tensors[0].name] == nil {
            // One [N, F] tensor in the model's order.
            let t = tensors[0]
            guard t.shape[1] == width, t.shape[0] <= maxRows, features.allSatisfy({ $0.type != .string }) else { return nil }
            request.rowCount = t.shape[0]
            if model.numericPassThrough {
                request.matrix = t.values
            } else {
                request.rows = (0..<t.shape[0]).map { r in (0..<width).map { c in let v = t.values[r * width + c]; return v.isNaN ? .missing : .number(v) } }
            }
            return request
        }
        // One numeric tensor per input.
        guard tensors.count == width, features.allSatisfy({ $0.type != .string }) else { return nil }
        var columns = [[Double]?](repeating: nil, count: width)
        let n = tensors[0].shape[0]
        for t in tensors {
            guard let position = model.inputPositions[t.name], columns[position] == nil, t.shape[0] == n,
                t.shape.count == 1 || (t.shape.count == 2 && t.shape[1] == 1)
            else { return nil }
            columns[position] = t.values
        }
        guard n <= maxRows else { return nil }
        request.rowCount = n
        if model.numericPassThrough {
            var matrix = [Double](repeating: 0, count: n * width)
            for (c, column) in columns.enumerated() {
                guard let column else { return nil }
                for r in 0..<n { matrix[r * width + c] = column[r] }
            }
            request.matrix = matrix
        } else {
            request.rows = (0..<n).map { r in columns.map { c in let v = c?[r] ?? .nan; return v.isNaN ? .missing : .number(v) } }
        }
        return request
    }

    /// `[{"name", "shape", "datatype", "data"}, ...]` with numeric data.
    private static func tensorList(_ scan: inout PlainJSONScanner) -> [(name: String, shape: [Int], values: [Double])]? {
        guard scan.consume(UInt8(ascii: "[")) else { return nil }
        var out: [(name: String, shape: [Int], values: [Double])] = []
        repeat {
            guard scan.consume(UInt8(ascii: "{")) else { return nil }
            var name: String?
            var shape: [Int]?
            var datatype = false
            var values: [Double]?
            repeat {
                guard let key = scan.string(), scan.consume(UInt8(ascii: ":")) else { return nil }
                if scan.range(key, is: "name") {
                    guard name == nil, let value = scan.string() else { return nil }
                    name = scan.text(value)
                } else if scan.range(key, is: "shape") {
                    guard shape == nil, scan.consume(UInt8(ascii: "[")) else { return nil }
                    var dims: [Int] = []
                    repeat {
                        guard let d = scan.integer(), d >= 0, d <= Int64(Int32.max) else { return nil }
                        dims.append(Int(d))
                    } while scan.consume(UInt8(ascii: ","))
                    guard scan.consume(UInt8(ascii: "]")) else { return nil }
                    shape = dims
                } else if scan.range(key, is: "datatype") {
                    guard !datatype, let value = scan.string(), numericTypes.contains(scan.text(value)) else { return nil }
                    datatype = true
                } else if scan.range(key, is: "data") {
                    guard values == nil else { return nil }
                    var flat: [Double] = []
                    guard numbers(&scan, into: &flat, depth: 0) else { return nil }
                    values = flat
                } else {
                    return nil
                }
            } while scan.consume(UInt8(ascii: ","))
            guard scan.consume(UInt8(ascii: "}")), let name, let shape, !shape.isEmpty, datatype, let values,
                values.count == shape.reduce(1, *)
            else { return nil }
            out.append((name, shape, values))
        } while scan.consume(UInt8(ascii: ","))
        guard scan.consume(UInt8(ascii: "]")) else { return nil }
        return out
    }

    static let numericTypes: Set<String> = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64"]

    /// A flat or nested array of numbers (`null` = NaN), appended in row-major order.
    private static func numbers(_ scan: inout PlainJSONScanner, into out: inout [Double], depth: Int) -> Bool {
        guard depth < 4, scan.consume(UInt8(ascii: "[")) else { return false }
        if scan.consume(UInt8(ascii: "]")) { return true }
        repeat {
            scan.skipWhitespace()
            guard scan.index < scan.end else { return false }
            if scan.bytes[scan.index] == UInt8(ascii: "[") {
                guard numbers(&scan, into: &out, depth: depth + 1) else { return false }
            } else if let v = scan.number() {
                out.append(v)
            } else if scan.null() {
                out.append(.nan)
            } else {
                return false
            }
        } while scan.consume(UInt8(ascii: ","))
        return scan.consume(UInt8(ascii: "]"))
    }
}
