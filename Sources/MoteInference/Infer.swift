public import MoteCore
import MoteModels

/// `POST /v2/models/{model}[/versions/{v}]/infer` of the Open Inference Protocol: reads the
/// body (the byte-level reader for the common shape, the JSON tree for the rest and every
/// error), scores the rows, logs them and writes the answer; while a version rolls out, a
/// canary answers its share of requests and a shadow scores the answered rows afterwards.
public enum Infer {
    /// One answer: the JSON, the binary output data that follows it (empty when no output was
    /// asked for as binary), and how many rows were scored.
    public struct Answer {
        public var json: JSONWriter
        public var binary: [UInt8]
        public var rows: Int
    }

    /// The answer to one request. `headerLength` is the request's
    /// `Inference-Header-Content-Length`: the JSON is that many bytes, binary input data follows.
    public static func answer(
        body: UnsafeRawBufferPointer, headerLength: Int? = nil, model champion: LoadedModel, maxRows: Int, log: PredictionLog, started: UInt64,
        challenger: Challenger? = nil, shadows: ShadowScorer? = nil, explainThreads: Int = 1
    ) throws -> Answer {
        let all = body.bindMemory(to: UInt8.self)
        let split = headerLength.map { min($0, all.count) } ?? all.count
        let bytes = UnsafeBufferPointer(rebasing: all[0..<split])
        let binary = headerLength == nil ? nil : UnsafeBufferPointer(rebasing: all[split...])
        let request = try (binary == nil ? InferRequest.parseFast(bytes, model: champion, maxRows: maxRows) : nil)
            ?? InferRequest.parse(try JSONParser.parse(buffer: bytes), model: champion, maxRows: maxRows, binary: binary)
        // A canary (same inputs as the champion) answers a request whose id hashes into its
        // share, or, without an id, a share of requests at random.
        var model = champion
        if let canary = challenger, canary.mode == .canary, request.id.map(canary.answers) ?? canary.answersUnkeyed() { model = canary.model }
        let scores = request.matrix.map { model.scores(matrix: $0, rows: request.rowCount) } ?? model.scores(request.rows)
        let ids = (0..<request.rowCount).map { _ in PredictionID.make() }
        let now = SystemClock.nowNanos()
        let features = model.bundle.inputs.count
        let explanation =
            request.explain
            ? try (request.matrix.map { try model.explain(matrix: $0, rows: request.rowCount, threads: explainThreads) }
                ?? model.explain(request.rows, threads: explainThreads)) : nil
        log.append(
            rows: 0..<request.rowCount, ids: ids, model: model, scores: scores, atNanos: now,
            latencyNanos: Int64(SystemClock.monotonicNanos() &- started),
            inputs: { request.matrix == nil ? request.rows[$0] : nil },
            numbers: { r in request.matrix.map { $0[(r * features)..<((r + 1) * features)] } },
            reasons: explanation.map { e in
                { r in
                    ReasonCodes.json(e, model: model, scores: scores, row: r) { k in
                        request.matrix.map { m in m[r * features + k].isNaN ? .missing : .number(m[r * features + k]) } ?? request.rows[r][k]
                    }
                }
            })
        if let shadow = challenger, shadow.mode == .shadow, let shadows {
            shadows.submit(
                ShadowScorer.Job(
                    shadow: shadow.model, rows: request.matrix == nil ? request.rows : nil, matrix: request.matrix, rowCount: request.rowCount,
                    answered: ids, entityKeys: nil, atNanos: now))
        }
        var w = JSONWriter(capacity: 128 + request.rowCount * 24 * max(1, model.bundle.scoreWidth) * (request.explain ? 2 + features : 1))
        let tail = InferResponse.write(
            model: model, id: request.id, scores: scores, rows: request.rowCount, only: request.outputs, predictionIDs: ids,
            binary: request.binaryOutputs, explanation: explanation, into: &w)
        return Answer(json: w, binary: tail, rows: request.rowCount)
    }
}
