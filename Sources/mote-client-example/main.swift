import MoteClient
import MoteCore

// The failure model's inputs for two machines, read through the feature service, then the
// model's answer for the same machines by key.
let client = MoteClient()  // $MOTE_SOCKET, else /run/mote/mote.sock

let read = try client.post(
    "/v1/get-online-features",
    json: Array(#"{"feature_service": "failure_inputs", "entities": {"machine_id": ["m1", "m2"]}}"#.utf8))
guard read.status == 200, let features = try? read.json() else { fatalError("read failed: \(read.text)") }
let names = features["metadata"]?["feature_names"]?.arrayValue ?? []
let columns = features["results"]?.arrayValue ?? []
for (name, column) in zip(names, columns) {
    let values = (column["values"]?.arrayValue ?? []).map { $0.doubleValue.map { "\($0)" } ?? $0.stringValue ?? "null" }
    print("\(name.stringValue ?? ""): \(values.joined(separator: ", "))")
}

let predicted = try client.post("/v1/predict/failure", json: Array(#"{"entities": {"machine_id": ["m1", "m2"]}}"#.utf8))
guard predicted.status == 200, let answer = try? predicted.json() else { fatalError("predict failed: \(predicted.text)") }
for output in answer["outputs"]?.arrayValue ?? [] where output["name"]?.stringValue == "probabilities" {
    let p = (output["data"]?.arrayValue ?? []).compactMap(\.doubleValue)
    print("P(failure): m1 \(p[1]), m2 \(p[3])")
}
