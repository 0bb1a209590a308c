public import MoteCore
import MoteModels

/// `POST /v2/models/{model}[/versions/{v}]/infer` of the Open Inference Protocol: reads the
/// body (the byte-level reader for the common shape, the JSON tree for the rest and every
/// error), scores the rows, logs them and writes the answer.
public enum Infer {
    /// The answer to one request and how many rows it scored.
    public static func answer(
        body: UnsafeRawBufferPointer, model: LoadedModel, maxRows: Int, log: PredictionLog, started: UInt64
    ) throws -> (answer: JSONWriter, rows: Int) {
        let bytes = body.bindMemory(to: UInt8.self)
        let request = try InferRequest.parseFast(bytes, model: model, maxRows: maxRows)
            ?? InferRequest.parse(try JSONParser.parse(buffer: bytes), model: model, maxRows: maxRows)
        let scores = request.matrix.map { model.scores(matrix: $0, rows: request.rowCount) } ?? model.scores(request.rows)
        let ids = (0..<request.rowCount).map { _ in PredictionID.make() }
        let features = model.bundle.inputs.count
        log.append(
            rows: 0..<request.rowCount, ids: ids, model: model, scores: scores, atNanos: SystemClock.nowNanos(),
            latencyNanos: Int64(SystemClock.monotonicNanos() &- started),
            inputs: { request.matrix == nil ? request.rows[$0] : nil },
            numbers: { r in request.matrix.map { $0[(r * features)..<((r + 1) * features)] } })
        var w = JSONWriter(capacity: 128 + request.rowCount * 24 * max(1, model.bundle.scoreWidth))
        InferResponse.write(
            model: model, id: request.id, scores: scores, rows: request.rowCount, only: request.outputs, predictionIDs: ids, into: &w)
        return (w, request.rowCount)
    }
}
