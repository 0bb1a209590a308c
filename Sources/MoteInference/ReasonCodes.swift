import MoteCore
public import MoteModels

/// Reason codes: the inputs that moved one prediction most, taken from its explanation, kept
/// in the prediction log with the row when the request asked for explanations.
public enum ReasonCodes {
    /// How many reasons a logged prediction keeps.
    public static let logged = 3

    /// The output a row's reasons speak of: the only one, or a multiclass model's predicted class.
    static func output(_ e: Explanation, model: LoadedModel, scores: [Double], row: Int) -> Int {
        e.outputs == 1 ? 0 : InferResponse.classIndex(scores, row: row, bundle: model.bundle)
    }

    /// The `count` inputs with the largest absolute contribution to `output` of `row`, largest
    /// first (equal ones in input order); inputs that contributed nothing are left out.
    public static func top(_ e: Explanation, row: Int, output: Int, count: Int) -> [(input: Int, contribution: Double)] {
        let start = (row * e.outputs + output) * e.inputs
        var chosen: [(input: Int, contribution: Double)] = []
        for k in 0..<e.inputs {
            let c = e.contributions[start + k]
            if c != 0, c.isFinite { chosen.append((k, c)) }
        }
        // A stable sort keeps equal ones in input order.
        chosen.sort { (a: (input: Int, contribution: Double), b: (input: Int, contribution: Double)) -> Bool in abs(a.contribution) > abs(b.contribution) }
        return Array(chosen.prefix(count))
    }

    /// A row's reasons as the prediction log keeps them: `[{"input", "value", "contribution"}]`
    /// (and `"class"` for a multiclass model), `value` null when the input was missing.
    static func json(_ e: Explanation, model: LoadedModel, scores: [Double], row: Int, value: (Int) -> ModelInput?) -> String {
        let output = output(e, model: model, scores: scores, row: row)
        var w = JSONWriter(capacity: 160)
        w.beginArray()
        for reason in top(e, row: row, output: output, count: logged) {
            w.beginObject()
            w.key("input"); w.string(model.bundle.inputs[reason.input].name)
            w.key("value")
            switch value(reason.input) {
            case .number(let d)?: w.double(d)
            case .text(let t)?: w.string(t)
            default: w.null()
            }
            w.key("contribution"); w.double(reason.contribution)
            if e.outputs > 1 { w.key("class"); w.string(model.bundle.classes[output]) }
            w.endObject()
        }
        w.endArray()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
