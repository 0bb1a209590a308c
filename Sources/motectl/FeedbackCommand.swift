import ArgumentParser
import MoteClient
import MoteCore

/// `motectl feedback MODEL ...`: the true outcome of predictions, for live metrics and
/// retraining (`POST /v1/feedback`).
struct FeedbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Send the true labels of predictions: one by --prediction or --entity/--at, or many from a CSV.",
        discussion: """
            A CSV has a header of prediction_id,label, or of the entity's join keys, timestamp and label.
            Labels: true/false, a class name, or a number for regression models.
            With --feature-view, the labels are also pushed to that view (and --field), so training specs learn from them.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Model name.") var model: String
    @Option(name: .long, help: "The prediction id (from the answer's prediction_ids).") var prediction: String?
    @Option(name: .long, help: "An entity key as key=value (repeat for several keys); with --at.") var entity: [String] = []
    @Option(name: .long, help: "With --entity: the time the label is about (RFC 3339); the newest prediction at or before it gets it.")
    var at: String?
    @Option(name: .long, help: "The label (true/false, a class name, or a number).") var label: String?
    @Option(name: .long, help: "A CSV of labels (- for stdin) instead of one label.") var csv: String?
    @Option(name: .customLong("feature-view"), help: "Also push the labels to this feature view.") var featureView: String?
    @Option(name: .long, help: "The view's field for the label (when it has several).") var field: String?

    func validate() throws {
        if csv != nil {
            guard prediction == nil, entity.isEmpty, at == nil, label == nil else {
                throw ValidationError("give --csv, or one label with --prediction or --entity/--at and --label, not both")
            }
            return
        }
        guard label != nil else { throw ValidationError("give --label (or --csv)") }
        guard (prediction != nil) != !entity.isEmpty else { throw ValidationError("give --prediction ID or --entity key=value --at TIME, one of the two") }
        if !entity.isEmpty {
            guard at != nil else { throw ValidationError("--entity needs --at TIME (RFC 3339)") }
            guard CLIOutput.entityKeys(entity) != nil else { throw ValidationError("--entity takes key=value (repeat for several keys)") }
        } else if at != nil {
            throw ValidationError("--at goes with --entity")
        }
        if field != nil, featureView == nil { throw ValidationError("--field goes with --feature-view") }
    }

    func run() throws {
        var labels: [JSONValue] = []
        if let csv {
            labels = try Self.labels(fromCSV: csv)
        } else {
            var item = JSONObject()
            if let prediction { item["prediction_id"] = .string(prediction) }
            if let keys = CLIOutput.entityKeys(entity), !entity.isEmpty {
                item["entity"] = .object(keys)
                item["timestamp"] = .string(at ?? "")
            }
            item["label"] = Self.value(label ?? "")
            labels = [.object(item)]
        }
        var body = JSONObject()
        body["model"] = .string(model)
        body["labels"] = .array(labels)
        if let featureView { body["feature_view"] = .string(featureView) }
        if let field { body["field"] = .string(field) }
        var w = JSONWriter()
        w.value(.object(body))
        let answer = try CLIOutput.call(global.client(), "POST", "/v1/feedback", body: w.bytes).json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(answer))
        } else {
            let stored = answer["stored"]?.int64Value ?? 0
            let missing = answer["not_found"]?.int64Value ?? 0
            var line = "stored \(stored) label(s) for \(model)"
            if missing > 0 { line += "; \(missing) not found (no such prediction in the log)" }
            if let pushed = answer["pushed"]?.int64Value, let view = answer["feature_view"]?.stringValue { line += "; pushed \(pushed) to \(view)" }
            print(line)
            for result in answer["results"]?.arrayValue ?? [] where result["status"]?.stringValue != "stored" {
                print("  \(result["prediction_id"]?.stringValue ?? "-"): \(result["status"]?.stringValue ?? "")")
            }
        }
        // Labels that found no prediction were not taken: a script must see it.
        if (answer["not_found"]?.int64Value ?? 0) > 0 { throw ExitCode(ExitStatus.partial) }
    }

    /// A label as typed: true/false, a number, else text (a class name).
    static func value(_ text: String) -> JSONValue {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if let i = Int64(text) { return .integer(i) }
            if let d = Double(text), d.isFinite { return .double(d) }
            return .string(text)
        }
    }

    /// Label items from a CSV: `prediction_id,label`, or join keys, `timestamp` and `label`.
    static func labels(fromCSV path: String) throws -> [JSONValue] {
        var (reader, header) = try CLIOutput.openCSV(path)
        guard let labelColumn = header.firstIndex(of: "label") else {
            CLIOutput.error("\(path): the header needs a 'label' column (and prediction_id, or the join keys and timestamp)")
            throw ExitCode(ExitStatus.apiError)
        }
        let byPrediction = header.firstIndex(of: "prediction_id")
        let timeColumn = header.firstIndex(of: "timestamp")
        guard byPrediction != nil || timeColumn != nil else {
            CLIOutput.error("\(path): the header needs prediction_id, or the entity's join keys and timestamp")
            throw ExitCode(ExitStatus.apiError)
        }
        var out: [JSONValue] = []
        while let record = reader.next() {
            guard record.count == header.count else {
                CLIOutput.error("\(path) line \(reader.line): \(record.count) fields, the header has \(header.count)")
                throw ExitCode(ExitStatus.apiError)
            }
            var item = JSONObject()
            if let p = byPrediction {
                item["prediction_id"] = .string(record[p])
            } else if let t = timeColumn {
                var keys = JSONObject()
                for (k, name) in header.enumerated() where k != labelColumn && k != t {
                    keys[name] = CLIOutput.keyValue(record[k])
                }
                item["entity"] = .object(keys)
                item["timestamp"] = .string(record[t])
            }
            item["label"] = value(record[labelColumn])
            out.append(.object(item))
        }
        return out
    }
}
