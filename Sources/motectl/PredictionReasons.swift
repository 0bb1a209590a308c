import MoteClient
import MoteCore

/// The reasons of one explained prediction in words, from the answer's `explanations` and
/// `explanation_base` and the model's input names: "machines:temp = 91.2 raised the
/// probability of '1' most (+1.84)". Contributions are in the model's raw output space
/// (log-odds for a classifier), as the answer gives them.
struct PredictionReasons {
    /// Per input: name, value (as given or as read from the features), contribution.
    var inputs: [(name: String, value: String, contribution: Double)] = []
    /// What the contributions move: "the prediction", "the probability of '1'", "the score of 'b'".
    var subject = "the prediction"

    /// Reads the first row's explanation; `given` are the values the caller sent by name (an
    /// entity prediction carries the values it read in its row).
    init(_ answer: JSONValue, client: MoteClient, given: [String: JSONValue]) throws {
        let name = answer["model_name"]?.stringValue ?? ""
        let version = answer["model_version"]?.stringValue ?? ""
        let metadata = try CLIOutput.call(client, "GET", "/v2/models/\(CLIOutput.pathEscape(name))/versions/\(CLIOutput.pathEscape(version))").json()
        let names = (metadata["inputs"]?.arrayValue ?? []).map { $0["name"]?.stringValue ?? "" }
        let task = metadata["parameters"]?["task"]?.stringValue ?? ""
        let outputs = answer["outputs"]?.arrayValue ?? []
        func output(_ n: String) -> JSONValue? { outputs.first { $0["name"]?.stringValue == n } }
        guard let explained = output("explanations"), let data = explained["data"]?.arrayValue else { return }
        let shape = (explained["shape"]?.arrayValue ?? []).compactMap(\.int64Value).map(Int.init)
        // [N, F], or [N, C, F] for a multiclass model: speak of the predicted class.
        var offset = 0
        if shape.count == 3 {
            let probabilities = output("probabilities")?["data"]?.arrayValue ?? []
            var best = 0
            for k in 0..<min(shape[1], probabilities.count) where (probabilities[k].doubleValue ?? 0) > (probabilities[best].doubleValue ?? 0) { best = k }
            offset = best * shape[2]
            subject = "the score of '\(output("label")?["data"]?.arrayValue?.first?.stringValue ?? String(best))'"
        } else if task == "binary" {
            subject = "the probability of the positive class"
        }
        let rowValues = answer["rows"]?.arrayValue?.first?["inputs"]?.arrayValue
        for (k, input) in names.enumerated() where offset + k < data.count {
            let value = rowValues.map { k < $0.count ? $0[k] : .null } ?? given[input] ?? .null
            inputs.append((input, CLIOutput.cell(value), data[offset + k].doubleValue ?? 0))
        }
    }

    /// The `top` inputs that moved the prediction most, one sentence each, largest first.
    func lines(top: Int) -> [String] {
        let ranked = inputs.filter { $0.contribution != 0 }.sorted { abs($0.contribution) > abs($1.contribution) }.prefix(top)
        guard !ranked.isEmpty else { return ["no input moved \(subject) from the model's base value"] }
        return ranked.enumerated().map { k, input in
            let verb = input.contribution > 0 ? "raised" : "lowered"
            let sign = input.contribution > 0 ? "+" : ""
            let what = k == 0 ? "\(subject) most" : (k == 1 ? "it next" : "it")
            return "\(input.name) = \(input.value) \(verb) \(what) (\(sign)\(CLIOutput.cell(.double((input.contribution * 1e4).rounded() / 1e4))))"
        }
    }
}
