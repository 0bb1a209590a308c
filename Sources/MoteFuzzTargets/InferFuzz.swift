import MoteCore
import MoteInference
import MoteML
import MoteModels

/// The Open Inference Protocol request reader with binary tensor data: the input's first two
/// bytes give the JSON header's length (little-endian), the rest is the body. A body either
/// is refused with an error or reads as rows that score, and an answer with binary outputs
/// declares exactly the bytes it carries.
enum InferFuzz {
    /// A small classifier over a number, an integer and a string input, trained once.
    static let model: LoadedModel = {
        let inputs = [InputField(name: "s:a", type: .float64), InputField(name: "s:b", type: .int64), InputField(name: "s:mode", type: .string)]
        var rows: [[ModelInput]] = []
        var y: [Double] = []
        for r in 0..<200 {
            rows.append([.number(Double(r % 13)), r % 7 == 0 ? .missing : .number(Double(r % 3)), .text(["run", "idle"][r % 2])])
            y.append(r % 13 > 6 ? 1 : 0)
        }
        let pre = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
        var p = GBDTParameters()
        p.trees = 3
        p.minDataInLeaf = 5
        let fitted = GBDTTrainer(p).fit(x: pre.encode(rows), y: y, rows: rows.count, columns: pre.width)
        let bundle = ModelBundle(
            task: .binary, hyperparameters: JSONObject(), inputs: inputs, classes: ["0", "1"], preprocessing: pre,
            training: TrainingRecord(runID: "fuzz", dataset: .null, trainedAtNanos: 0, metrics: [:]),
            profile: ReferenceProfile.build(inputs: inputs, rows: rows), model: .gbdt(fitted))
        return LoadedModel(name: "m", version: 1, digest: "", bundle: bundle, loadedAtNanos: 0)
    }()

    /// The request an input reads as, nil when refused.
    static func request(_ bytes: UnsafeRawBufferPointer) -> InferRequest? {
        guard bytes.count >= 2 else { return nil }
        let body = bytes.bindMemory(to: UInt8.self)
        let split = min(Int(body[0]) | Int(body[1]) << 8, body.count - 2)
        let header = UnsafeBufferPointer(rebasing: body[2..<(2 + split)])
        let binary = UnsafeBufferPointer(rebasing: body[(2 + split)...])
        guard let value = try? JSONParser.parse(buffer: header) else { return nil }
        return try? InferRequest.parse(value, model: model, maxRows: 1000, binary: binary)
    }

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let request = request(bytes) else { return }
        let scores = request.matrix.map { model.scores(matrix: $0, rows: request.rowCount) } ?? model.scores(request.rows)
        require(scores.count == request.rowCount * model.bundle.scoreWidth, "\(scores.count) scores for \(request.rowCount) rows")
        var w = JSONWriter()
        let tail = InferResponse.write(
            model: model, id: request.id, scores: scores, rows: request.rowCount, only: request.outputs, binary: request.binaryOutputs, into: &w)
        guard let answer = try? JSONParser.parse(w.bytes) else { return require(false, "the answer is not JSON") }
        let declared = (answer["outputs"]?.arrayValue ?? []).compactMap { $0["parameters"]?["binary_data_size"]?.int64Value }.reduce(0, +)
        require(Int(declared) == tail.count, "outputs declare \(declared) binary bytes, \(tail.count) follow")
    }
}
