public import MoteCore
public import MoteModels

/// Open Inference Protocol v2 answers: infer outputs, model metadata, readiness.
public enum InferResponse {
    /// `{"model_name", "model_version", "id", "parameters": {"prediction_ids"}, "outputs": [...]}`
    /// for `scores` of `rows` rows (`extra` writes more members at the end);
    /// `only` limits the outputs. Rows listed in `failed` have no prediction: their values are
    /// `null` (numbers; NaN in binary) or `""` (labels). Outputs named in `binary` carry
    /// `parameters.binary_data_size` instead of `data`; their bytes, in output order, are
    /// returned, to follow the JSON in the body (the binary tensor data extension).
    /// The outputs an explained answer adds.
    public static let explanationOutputs: Set<String> = ["explanations", "explanation_base"]

    @discardableResult
    public static func write(
        model: LoadedModel, id: String?, scores: [Double], rows: Int, only: [String]?, failed: Set<Int> = [], predictionIDs: [String]? = nil,
        binary: Set<String> = [], explanation: Explanation? = nil, into w: inout JSONWriter, extra: (inout JSONWriter) -> Void = { _ in }
    ) -> [UInt8] {
        var tail: [UInt8] = []
        let bundle = model.bundle
        let width = bundle.scoreWidth
        w.beginObject()
        w.key("model_name"); w.string(model.name)
        w.key("model_version"); w.string(String(model.version))
        if let id { w.key("id"); w.string(id) }
        if let predictionIDs {
            // The protocol's free-form `parameters`: one id per row, for feedback later.
            w.key("parameters")
            w.beginObject()
            w.key("prediction_ids"); w.beginArray(); for p in predictionIDs { w.string(p) }; w.endArray()
            w.endObject()
        }
        w.key("outputs")
        w.beginArray()
        for output in bundle.outputs where only == nil || only!.contains(output.name) {
            w.beginObject()
            w.key("name"); w.string(output.name)
            w.key("datatype"); w.string(output.datatype)
            w.key("shape")
            w.beginArray()
            w.int(rows)
            if output.name == "probabilities" { w.int(bundle.classes.count) }
            w.endArray()
            if !binary.isEmpty, binary.contains(output.name) {
                let start = tail.count
                appendBinary(output.name, model: model, scores: scores, rows: rows, failed: failed, to: &tail)
                w.key("parameters"); w.beginObject(); w.key("binary_data_size"); w.int(tail.count - start); w.endObject()
                w.endObject()
                continue
            }
            w.key("data")
            w.beginArray()
            switch output.name {
            case "label":
                for r in 0..<rows {
                    if failed.contains(r) { w.string(""); continue }
                    w.string(bundle.classes[classIndex(scores, row: r, bundle: bundle)])
                }
            case "probabilities":
                for r in 0..<rows {
                    if bundle.task == .binary {
                        let p = scores[r]
                        if failed.contains(r) { w.null(); w.null() } else { w.double(1 - p); w.double(p) }
                    } else {
                        for c in 0..<width { if failed.contains(r) { w.null() } else { w.double(scores[r * width + c]) } }
                    }
                }
            default:
                for r in 0..<rows { if failed.contains(r) { w.null() } else { w.double(scores[r]) } }
            }
            w.endArray()
            w.endObject()
        }
        if let explanation { writeExplanation(explanation, rows: rows, failed: failed, binary: binary, into: &w, tail: &tail) }
        w.endArray()
        extra(&w)
        w.endObject()
        return tail
    }

    /// `explanations` (FP64 `[N, F]`, or `[N, C, F]` per class) and `explanation_base` (`[N]`
    /// or `[N, C]`): per row, each input's contribution to the raw score and the base they
    /// add to. A failed row's values are null (NaN in binary).
    static func writeExplanation(_ e: Explanation, rows: Int, failed: Set<Int>, binary: Set<String>, into w: inout JSONWriter, tail: inout [UInt8]) {
        for name in ["explanations", "explanation_base"] {
            let perRow = name == "explanations" ? e.outputs * e.inputs : e.outputs
            w.beginObject()
            w.key("name"); w.string(name)
            w.key("datatype"); w.string("FP64")
            w.key("shape"); w.beginArray(); w.int(rows); if e.outputs > 1 { w.int(e.outputs) }
            if name == "explanations" { w.int(e.inputs) }
            w.endArray()
            func value(_ r: Int, _ k: Int) -> Double {
                if failed.contains(r) { return .nan }
                return name == "explanations" ? e.contributions[r * perRow + k] : e.base(row: r, output: k)
            }
            if binary.contains(name) {
                let start = tail.count
                BinaryTensors.append((0..<(rows * perRow)).lazy.map { value($0 / perRow, $0 % perRow) }, to: &tail)
                w.key("parameters"); w.beginObject(); w.key("binary_data_size"); w.int(tail.count - start); w.endObject()
            } else {
                w.key("data"); w.beginArray()
                for r in 0..<rows {
                    for k in 0..<perRow {
                        let v = value(r, k)
                        if v.isNaN { w.null() } else { w.double(v) }
                    }
                }
                w.endArray()
            }
            w.endObject()
        }
    }

    /// One output's values as binary data: FP64 numbers (NaN for a failed row) or BYTES labels.
    static func appendBinary(_ name: String, model: LoadedModel, scores: [Double], rows: Int, failed: Set<Int>, to out: inout [UInt8]) {
        let bundle = model.bundle
        switch name {
        case "label":
            for r in 0..<rows { BinaryTensors.append(text: failed.contains(r) ? "" : bundle.classes[classIndex(scores, row: r, bundle: bundle)], to: &out) }
        case "probabilities":
            let width = bundle.scoreWidth
            out.reserveCapacity(out.count + rows * 8 * bundle.classes.count)
            for r in 0..<rows {
                if failed.contains(r) {
                    BinaryTensors.append(repeatElement(Double.nan, count: bundle.classes.count), to: &out)
                } else if bundle.task == .binary {
                    BinaryTensors.append([1 - scores[r], scores[r]], to: &out)
                } else {
                    BinaryTensors.append(scores[(r * width)..<((r + 1) * width)], to: &out)
                }
            }
        default:
            out.reserveCapacity(out.count + rows * 8)
            if failed.isEmpty {
                BinaryTensors.append(scores[0..<rows], to: &out)
            } else {
                BinaryTensors.append((0..<rows).lazy.map { failed.contains($0) ? .nan : scores[$0] }, to: &out)
            }
        }
    }

    /// The class a row's scores choose (the positive class at 0.5 for a binary model).
    public static func classIndex(_ scores: [Double], row r: Int, bundle: ModelBundle) -> Int {
        if bundle.task == .binary { return scores[r] >= 0.5 ? 1 : 0 }
        let k = bundle.classes.count
        var best = 0
        for c in 1..<k where scores[r * k + c] > scores[r * k + best] { best = c }
        return best
    }

    /// The OIP datatype of an input type.
    static func datatype(_ type: InputType) -> String {
        switch type {
        case .float64: "FP64"
        case .int64: "INT64"
        case .bool: "BOOL"
        case .string: "BYTES"
        }
    }

    /// `GET /v2/models/{model}[/versions/{v}]`: name, versions, platform, inputs, outputs.
    public static func metadata(model: LoadedModel, versions: [Int], into w: inout JSONWriter) {
        let bundle = model.bundle
        w.beginObject()
        w.key("name"); w.string(model.name)
        w.key("versions"); w.beginArray(); for v in versions { w.string(String(v)) }; w.endArray()
        w.key("platform"); w.string("mote-\(bundle.algorithm)")
        w.key("inputs")
        w.beginArray()
        for input in bundle.inputs {
            w.beginObject()
            w.key("name"); w.string(input.name)
            w.key("datatype"); w.string(datatype(input.type))
            w.key("shape"); w.beginArray(); w.int(-1); w.endArray()
            w.endObject()
        }
        w.endArray()
        w.key("outputs")
        w.beginArray()
        for output in bundle.outputs { output.write(into: &w) }
        w.endArray()
        w.key("parameters")
        w.beginObject()
        w.key("version"); w.string(String(model.version))
        w.key("task"); w.string(bundle.task.rawValue)
        w.key("digest"); w.string(model.digest)
        w.endObject()
        w.endObject()
    }
}
