import ArgumentParser
import MoteClient
import MoteCore

/// `motectl predict MODEL --input JSON | --entity key=value ...`
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict one row: from input values (--input '{\"view:field\": 71.2, ...}') or from the online features of an entity (--entity machine_id=m1).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Model name.") var model: String
    @Option(name: .long, help: "Input values as a JSON object by input name (see motectl models show).") var input: String?
    @Option(name: .long, help: "An entity key as key=value (repeat for several keys).") var entity: [String] = []
    @Option(name: .long, help: "A version number or alias (default: champion, else the newest).") var version: String?
    @Option(name: .long, help: "With --entity: what a missing or expired feature does: error (the row fails, the default) or model (the model's own missing-value handling).") var onMissing: String?
    @Flag(name: .long, help: "Explain the prediction: the inputs that moved it most, in words (and the reasons kept in the prediction log).") var explain = false

    /// Argument mistakes are usage errors (exit 64, this command's usage), found before any call.
    func validate() throws {
        if !entity.isEmpty {
            guard input == nil else { throw ValidationError("give --input or --entity, not both") }
            guard CLIOutput.entityKeys(entity) != nil else { throw ValidationError("--entity takes key=value (repeat for several keys)") }
            guard version == nil else { throw ValidationError("--entity predicts with the served version; --version works with --input") }
            guard onMissing == nil || onMissing == "error" || onMissing == "model" else { throw ValidationError("--on-missing is error or model") }
        } else {
            guard let input else { throw ValidationError("give --input '{...}' or --entity key=value") }
            guard onMissing == nil else { throw ValidationError("--on-missing works with --entity") }
            guard case .object? = try? JSONParser.parse(input) else { throw ValidationError("--input must be a JSON object of input values") }
        }
    }

    func run() throws {
        let client = global.client()
        let name = CLIOutput.pathEscape(model)
        let result: JSONValue
        if !entity.isEmpty {
            // One row: each key a column of one value.
            var columns = JSONObject()
            for member in CLIOutput.entityKeys(entity)?.members ?? [] { columns[member.key] = .array([member.value]) }
            var w = JSONWriter()
            var body = JSONObject([("entities", .object(columns))])
            if explain { body["explain"] = .bool(true) }
            if let onMissing { body["on_missing"] = .string(onMissing) }
            w.value(.object(body))
            result = try CLIOutput.call(client, "POST", "/v1/predict/\(name)", body: w.bytes).json()
        } else {
            guard case .object(let values)? = try? JSONParser.parse(input ?? "") else { return }
            // One tensor per input, typed by its value.
            var w = JSONWriter()
            w.beginObject()
            w.key("inputs")
            w.beginArray()
            for member in values {
                w.beginObject()
                w.key("name"); w.string(member.key)
                w.key("shape"); w.beginArray(); w.int(1); w.endArray()
                let datatype: String
                switch member.value {
                case .string: datatype = "BYTES"
                case .bool: datatype = "BOOL"
                case .integer: datatype = "INT64"
                default: datatype = "FP64"
                }
                w.key("datatype"); w.string(datatype)
                w.key("data"); w.beginArray(); w.value(member.value); w.endArray()
                w.endObject()
            }
            w.endArray()
            if explain { w.key("parameters"); w.beginObject(); w.key("explain"); w.bool(true); w.endObject() }
            w.endObject()
            let path = version.map { "/v2/models/\(name)/versions/\(CLIOutput.pathEscape($0))/infer" } ?? "/v2/models/\(name)/infer"
            result = try CLIOutput.call(client, "POST", path, body: w.bytes).json()
        }
        if global.output == .json {
            print(CLIOutput.prettyJSON(result))
            return
        }
        var rows = [["model", "\(result["model_name"]?.stringValue ?? "") v\(result["model_version"]?.stringValue ?? "")"]]
        for output in result["outputs"]?.arrayValue ?? [] where !["explanations", "explanation_base"].contains(output["name"]?.stringValue ?? "") {
            let data = output["data"]?.arrayValue ?? []
            rows.append([output["name"]?.stringValue ?? "", data.map(CLIOutput.cell).joined(separator: ", ")])
        }
        if let row = result["rows"]?.arrayValue?.first {
            rows.append(["prediction_id", row["prediction_id"]?.stringValue ?? ""])
            rows.append(["features", (row["statuses"]?.arrayValue ?? []).map(CLIOutput.cell).joined(separator: ", ")])
            if let error = row["error"]?.stringValue { rows.append(["error", error]) }
        } else if let id = result["parameters"]?["prediction_ids"]?.arrayValue?.first?.stringValue {
            rows.append(["prediction_id", id])
        }
        if explain, result["rows"]?.arrayValue?.first?["error"]?.stringValue == nil {
            var values: [String: JSONValue] = [:]
            if case .object(let given)? = try? JSONParser.parse(input ?? "") { for m in given { values[m.key] = m.value } }
            let reasons = try PredictionReasons(result, client: client, given: values)
            for (k, line) in reasons.lines(top: 3).enumerated() { rows.append([k == 0 ? "reasons" : "", line]) }
        }
        print(CLIOutput.table(rows))
        if result["rows"]?.arrayValue?.first?["error"]?.stringValue != nil { throw ExitCode(1) }
    }
}
