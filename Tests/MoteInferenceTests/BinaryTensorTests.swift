import MoteCore
import MoteInference
import MoteModels
import Testing

/// The binary tensor data extension: a JSON header, then raw little-endian tensor bytes.
@Suite("binary tensor data")
struct BinaryTensorTests {
    /// `json` then `tail` as one body; the request read with the header length.
    func parse(_ json: String, _ tail: [UInt8], model: LoadedModel = numericModel()) throws(DomainError) -> InferRequest {
        let bytes = Array(json.utf8) + tail
        return try bytes.withUnsafeBufferPointer { all throws(DomainError) in
            let header = UnsafeBufferPointer(rebasing: all[0..<json.utf8.count])
            let binary = UnsafeBufferPointer(rebasing: all[json.utf8.count...])
            guard let value = try? JSONParser.parse(buffer: header) else { throw .invalidShape("test JSON") }
            return try InferRequest.parse(value, model: model, maxRows: 100, binary: binary)
        }
    }

    func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    }

    @Test("every numeric datatype reads as the same numbers as its JSON form")
    func datatypes() throws {
        let model = numericModel()
        let json = try InferRequest.parse(
            try JSONParser.parse(Array(#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP64","data":[1,0,2,3,1,0]}]}"#.utf8)),
            model: model, maxRows: 100)
        let cases: [(String, [UInt8])] = [
            ("FP64", [1.0, 0, 2, 3, 1, 0].flatMap { d in withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } }),
            ("FP32", [Float(1), 0, 2, 3, 1, 0].flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }),
            ("FP16", [Float16(1), 0, 2, 3, 1, 0].flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } }),
            ("INT64", le([Int64(1), 0, 2, 3, 1, 0])), ("UINT64", le([UInt64(1), 0, 2, 3, 1, 0])),
            ("INT32", le([Int32(1), 0, 2, 3, 1, 0])), ("UINT32", le([UInt32(1), 0, 2, 3, 1, 0])),
            ("INT16", le([Int16(1), 0, 2, 3, 1, 0])), ("UINT16", le([UInt16(1), 0, 2, 3, 1, 0])),
            ("INT8", [1, 0, 2, 3, 1, 0]), ("UINT8", [1, 0, 2, 3, 1, 0]),
        ]
        for (datatype, bytes) in cases {
            let request = try parse(
                #"{"inputs":[{"name":"x","shape":[2,3],"datatype":"\#(datatype)","parameters":{"binary_data_size":\#(bytes.count)}}]}"#, bytes)
            #expect(request.rowCount == 2 && request.matrix == json.matrix, "\(datatype)")
        }
        // BOOL: one byte, 0 or 1 only.
        let bools = try parse(#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"BOOL","parameters":{"binary_data_size":6}}]}"#, [1, 0, 1, 1, 1, 0])
        #expect(bools.matrix == [1, 0, 1, 1, 1, 0])
        #expect(throws: DomainError.self) {
            try parse(#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"BOOL","parameters":{"binary_data_size":3}}]}"#, [1, 2, 0])
        }
        // NaN in binary is a missing value, as null is in JSON.
        let nan = try parse(
            #"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP64","parameters":{"binary_data_size":24}}]}"#,
            [1.0, .nan, 2].flatMap { d in withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } })
        #expect(nan.matrix?[1].isNaN == true)
    }

    @Test("BYTES inputs are 4-byte lengths and UTF-8 text; JSON and binary inputs mix in input order")
    func bytesAndMixed() throws {
        let strings = stringModel()
        var tail: [UInt8] = []
        for s in ["run", "", "bööst"] { tail += le([UInt32(s.utf8.count)]) + Array(s.utf8) }
        let temps = [1.5, 2.5, 3.5].flatMap { d in withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } }
        let request = try parse(
            #"{"inputs":[{"name":"s:t","shape":[3],"datatype":"FP64","parameters":{"binary_data_size":24}},{"name":"s:mode","shape":[3],"datatype":"BYTES","parameters":{"binary_data_size":\#(tail.count)}}]}"#,
            temps + tail, model: strings)
        #expect(request.rows.map { $0[1] } == [.text("run"), .text(""), .text("bööst")])
        #expect(request.rows.map { $0[0] } == [.number(1.5), .number(2.5), .number(3.5)])
        // Not UTF-8, a length past the end, an element count that does not fill the tensor.
        for bad in [le([UInt32(2)]) + [0xFF, 0xFE], le([UInt32(9)]) + [0x61], le([UInt32(1)]) + [0x61] + le([UInt32(0)])] {
            do {
                _ = try parse(#"{"inputs":[{"name":"s:t","shape":[1],"datatype":"FP64","data":[1]},{"name":"s:mode","shape":[1],"datatype":"BYTES","parameters":{"binary_data_size":\#(bad.count)}}]}"#, bad, model: strings)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.code == .invalidBinaryData, "\(error)")
            }
        }
    }

    @Test("a [N, F] tensor of numbers for a model with a string input is refused naming that input, never read as missing")
    func matrixForStringInput() throws {
        let model = stringModel()
        let body = Array(#"{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1.5,2]}]}"#.utf8)
        #expect(body.withUnsafeBufferPointer { InferRequest.parseFast($0, model: model, maxRows: 10) } == nil)
        let value = try JSONParser.parse(body)
        do {
            _ = try InferRequest.parse(value, model: model, maxRows: 10)
            Issue.record("a number was taken for the string input")
        } catch {
            #expect(error.code == .invalidShape && error.message.contains("s:mode"), "\(error)")
        }
    }

    @Test("sizes that do not add up are refused with invalid_binary_data, naming the input")
    func mismatches() {
        let eight = [UInt8](repeating: 0, count: 8)
        let cases: [(String, [UInt8])] = [
            // 3 FP32 values are 12 bytes, not 8.
            (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":8}}]}"#, eight),
            // Declares more than the body holds.
            (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP64","parameters":{"binary_data_size":24}}]}"#, eight),
            // Bytes left over after every input.
            (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}"#, eight),
        ]
        for (json, tail) in cases {
            do {
                _ = try parse(json, tail)
                Issue.record("accepted \(json)")
            } catch {
                #expect(error.code == .invalidBinaryData, "\(error)")
                #expect(error.kind == .invalid)
            }
        }
        // binary_data_size without the header, and both data and binary_data_size.
        #expect(throws: DomainError.self) {
            try InferRequest.parse(
                try JSONParser.parse(Array(#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","parameters":{"binary_data_size":12}}]}"#.utf8)),
                model: numericModel(), maxRows: 100)
        }
        #expect(throws: DomainError.self) {
            try parse(#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3],"parameters":{"binary_data_size":12}}]}"#, [UInt8](repeating: 0, count: 12))
        }
        for header in ["", "0", "-1", "12x", "999999", "99999999999999999999"] {
            #expect(throws: DomainError.self) { try BinaryTensors.headerLength(header, bodyCount: 100) }
        }
        #expect((try? BinaryTensors.headerLength("100", bodyCount: 100)) == 100)
    }

    @Test("outputs asked for as binary carry binary_data_size and their bytes follow the JSON in output order")
    func binaryOutputs() throws {
        let model = numericModel()
        let request = try parse(
            #"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP64","data":[1,0,2,12,1,0]}],"outputs":[{"name":"label","parameters":{"binary_data":true}},{"name":"probabilities"}]}"#, [])
        #expect(request.binaryOutputs == ["label"])
        let all = try parse(#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP64","data":[1,0,2,12,1,0]}],"parameters":{"binary_data_output":true}}"#, [])
        #expect(all.binaryOutputs == ["label", "probabilities"])
        let scores = model.scores(matrix: all.matrix!, rows: 2)
        var w = JSONWriter()
        let tail = InferResponse.write(model: model, id: nil, scores: scores, rows: 2, only: nil, binary: all.binaryOutputs, into: &w)
        let answer = try JSONParser.parse(w.bytes)
        let outputs = answer["outputs"]?.arrayValue ?? []
        #expect(outputs.allSatisfy { $0["data"] == nil })
        let sizes = outputs.compactMap { $0["parameters"]?["binary_data_size"]?.int64Value }.map { Int($0) }
        #expect(sizes.reduce(0, +) == tail.count)
        // label: two BYTES elements; then probabilities: 2 x 2 FP64, the same numbers as JSON.
        var at = 0
        var labels: [String] = []
        for _ in 0..<2 {
            let n = Int(tail[at]) | Int(tail[at + 1]) << 8 | Int(tail[at + 2]) << 16 | Int(tail[at + 3]) << 24
            labels.append(String(decoding: tail[(at + 4)..<(at + 4 + n)], as: UTF8.self))
            at += 4 + n
        }
        #expect(at == sizes[0])
        var probabilities: [Double] = []
        for k in 0..<4 {
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(tail[at + k * 8 + b]) << (8 * b) }
            probabilities.append(Double(bitPattern: bits))
        }
        var plain = JSONWriter()
        InferResponse.write(model: model, id: nil, scores: scores, rows: 2, only: nil, into: &plain)
        let json = try JSONParser.parse(plain.bytes)
        #expect(json["outputs"]?.arrayValue?[0]["data"]?.arrayValue?.compactMap(\.stringValue) == labels)
        #expect(json["outputs"]?.arrayValue?[1]["data"]?.arrayValue?.compactMap(\.doubleValue) == probabilities)
    }
}
