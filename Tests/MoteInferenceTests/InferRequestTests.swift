import MoteCore
import MoteInference
import MoteML
import MoteModels
import Testing

/// A small binary GBDT fitted on `rows`, served as `name` version 1.
func servedModel(_ name: String, inputs: [InputField], rows: [[ModelInput]], labels: [Double], trees: Int) -> LoadedModel {
    let pre = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
    var p = GBDTParameters()
    p.trees = trees
    p.minDataInLeaf = 5
    let model = GBDTTrainer(p).fit(x: pre.encode(rows), y: labels, rows: rows.count, columns: pre.width)
    let bundle = ModelBundle(
        task: .binary, hyperparameters: JSONObject(), inputs: inputs, classes: ["0", "1"], preprocessing: pre,
        training: TrainingRecord(runID: "r", dataset: .null, trainedAtNanos: 0, metrics: [:]),
        profile: ReferenceProfile.build(inputs: inputs, rows: rows), model: .gbdt(model))
    return LoadedModel(name: name, version: 1, digest: "", bundle: bundle, loadedAtNanos: 0)
}

/// A numeric three-input GBDT as a served model.
func numericModel() -> LoadedModel {
    let inputs = [InputField(name: "s:a", type: .float64), InputField(name: "s:b", type: .float64), InputField(name: "s:c", type: .int64)]
    var rows: [[ModelInput]] = []
    var y: [Double] = []
    for r in 0..<400 {
        let a = Double(r % 17), b = Double(r % 5)
        rows.append([.number(a), r % 9 == 0 ? .missing : .number(b), .number(Double(r % 3))])
        y.append(a > 8 ? 1 : 0)
    }
    return servedModel("m", inputs: inputs, rows: rows, labels: y, trees: 5)
}

/// A GBDT over a number `s:t` and a string `s:mode`.
func stringModel() -> LoadedModel {
    let inputs = [InputField(name: "s:t", type: .float64), InputField(name: "s:mode", type: .string)]
    var rows: [[ModelInput]] = []
    var y: [Double] = []
    for r in 0..<300 {
        let mode = ["run", "idle", "bööst"][r % 3]
        rows.append([.number(Double(r % 11)), .text(mode)])
        y.append(mode == "run" ? 1 : 0)
    }
    return servedModel("s", inputs: inputs, rows: rows, labels: y, trees: 3)
}

@Suite("infer request parsing")
struct InferRequestTests {
    /// NaN-aware equality of two parsed requests.
    func same(_ a: InferRequest, _ b: InferRequest) -> Bool {
        func bits(_ m: [Double]?) -> [UInt64]? { m?.map { $0.isNaN ? 0x7FF8_0000_0000_0000 : $0.bitPattern } }
        return a.id == b.id && a.rowCount == b.rowCount && bits(a.matrix) == bits(b.matrix) && a.rows == b.rows && a.outputs == b.outputs
    }

    @Test("the byte-level reader gives the same request as the JSON tree, and leaves everything else to it", arguments: [
        (#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1.5,2,0,-3e2,null,1]}]}"#, true),
        (#" { "id" : "q" , "inputs" : [ { "data" : [ [1, 2, 0] , [4.25, 5, 1] ] , "datatype" : "FP64" , "shape" : [ 2 , 3 ] , "name" : "x" } ] } "#, true),
        (#"{"inputs":[{"name":"s:c","shape":[1],"datatype":"INT64","data":[2]},{"name":"s:a","shape":[1,1],"datatype":"FP64","data":[[9.5]]},{"name":"s:b","shape":[1],"datatype":"FP64","data":[null]}]}"#, true),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"parameters":{}}"#, false),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}],"outputs":[{"name":"label"}]}"#, false),
        (#"{"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}]}"#, false),
        (#"{"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}"#, false),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"BYTES","data":["a","b","c"]}]}"#, false),
        (#"{"inputs":[{"name":"s:a","shape":[1],"datatype":"FP64","data":[1]}]}"#, false),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]} trailing"#, false),
        (#"{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[01,2,3]}]}"#, false),
    ])
    func fastMatchesTree(body: String, plain: Bool) {
        let model = numericModel()
        let bytes = Array(body.utf8)
        let fast = bytes.withUnsafeBufferPointer { InferRequest.parseFast($0, model: model, maxRows: 100) }
        #expect((fast != nil) == plain, "\(body)")
        var tree: InferRequest?
        if let value = try? JSONParser.parse(bytes) { tree = try? InferRequest.parse(value, model: model, maxRows: 100) }
        if let fast {
            #expect(tree.map { same($0, fast) } == true, "\(body)")
            // And the model scores both the same way.
            let a = fast.matrix.map { model.scores(matrix: $0, rows: fast.rowCount) } ?? model.scores(fast.rows)
            let b = tree!.matrix.map { model.scores(matrix: $0, rows: tree!.rowCount) } ?? model.scores(tree!.rows)
            #expect(a == b)
        }
    }
}
