// importbench: batch scoring of an imported model, in process, one thread.
// usage: importbench batch MODEL_FILE ROWS_FILE COLUMNS [REPEATS]
//          ROWS_FILE: float64 little-endian, row-major, COLUMNS per row. Prints the best rate of
//          REPEATS passes over all rows for the imported model and for the same trees scored as
//          a native mote GBDT, and a checksum of the scores.
//        importbench explain MODEL_FILE ROWS_FILE COLUMNS [REPEATS] [OUT_FILE] [THREADS]
//          Exact TreeSHAP of every row (the path serving takes: the imported bundle's explain),
//          best rate of REPEATS passes; OUT_FILE gets the contributions and base per row
//          (float64, COLUMNS + 1 per row and output) for the exactness check.
//        importbench native-export MODEL_FILE OUT_JSON
//          Writes a mote export (`motectl models import` reads it) whose bundle holds the same
//          trees as a native GBDT model, for the socket comparison imported vs native.
import Foundation
import MoteCore
import MoteImport
import MoteML
import MoteModels

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

let args = Array(CommandLine.arguments.dropFirst())
guard args.count >= 3 else { fail("usage: importbench batch MODEL ROWS COLUMNS [REPEATS] | native-export MODEL OUT") }
guard let data = FileManager.default.contents(atPath: args[1]) else { fail("cannot read \(args[1])") }
let model: ImportedModel
do { model = try ImportedModel.read([UInt8](data)) } catch { fail("\(error)") }

func nativeTrees() -> GBDTModel {
    guard var trees = model.trees, trees.rule.isEmpty, trees.categoryBits.isEmpty, !trees.output.singlePrecision else {
        fail("the model is not a plain double-precision tree ensemble")
    }
    trees.output = GBDTOutput(trees.objective)
    trees.treeOutput = []
    return trees
}

switch args[0] {
case "batch":
    guard args.count >= 4, let columns = Int(args[3]) else { fail("usage: importbench batch MODEL ROWS COLUMNS [REPEATS]") }
    let repeats = args.count > 4 ? Int(args[4]) ?? 3 : 3
    guard let raw = FileManager.default.contents(atPath: args[2]) else { fail("cannot read \(args[2])") }
    let x: [Double] = raw.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    let rows = x.count / columns
    guard columns == model.featureCount else { fail("the model takes \(model.featureCount) columns, not \(columns)") }
    func best(_ score: () -> [Double]) -> (Double, Double) {
        var fastest = Double.infinity
        var sum = 0.0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let s = score()
            let took = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            fastest = min(fastest, took)
            sum = s.reduce(0, +)
        }
        return (Double(rows) / fastest, sum)
    }
    let (importedRate, importedSum) = best { model.scores(x, rows: rows) }
    print("mote imported \(model.format.rawValue): \(Int(importedRate)) rows/s (best of \(repeats), \(rows) rows, checksum \(importedSum))")
    if model.trees != nil, model.format == .lightgbm {
        let native = GBDTPredictor(nativeTrees())
        let (nativeRate, nativeSum) = best { native.predict(x, rows: rows) }
        print("mote native gbdt, same trees: \(Int(nativeRate)) rows/s (checksum \(nativeSum))")
    }
case "explain":
    guard args.count >= 4, let columns = Int(args[3]) else { fail("usage: importbench explain MODEL ROWS COLUMNS [REPEATS] [OUT]") }
    let repeats = args.count > 4 ? Int(args[4]) ?? 3 : 3
    guard let raw = FileManager.default.contents(atPath: args[2]) else { fail("cannot read \(args[2])") }
    let x: [Double] = raw.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    let rows = x.count / columns
    let bundle = ModelBundle.imported(model, importedAtNanos: 0)
    let threads = args.count > 6 ? Int(args[6]) ?? 1 : 1
    var fastest = Double.infinity
    var last: Explanation?
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        do { last = try bundle.explain(x, rows: rows, threads: threads) } catch { fail("\(error)") }
        fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    print("mote TreeSHAP, \(threads) thread\(threads == 1 ? "" : "s"): \(Int(Double(rows) / fastest)) rows/s (best of \(repeats), \(rows) rows)")
    if args.count > 5, let e = last {
        var out: [Double] = []
        out.reserveCapacity(rows * e.outputs * (e.inputs + 1))
        for r in 0..<rows {
            for o in 0..<e.outputs {
                let start = (r * e.outputs + o) * e.inputs
                out += e.contributions[start..<(start + e.inputs)]
                out.append(e.base[o])
            }
        }
        guard FileManager.default.createFile(atPath: args[5], contents: out.withUnsafeBytes { Data($0) }) else { fail("cannot write \(args[5])") }
    }
case "native-export":
    let trees = nativeTrees()
    let bundle = ModelBundle(
        task: model.scoreWidth > 1 ? .multiclass : (trees.objective == .binary ? .binary : .regression), hyperparameters: JSONObject(),
        inputs: model.inputNames.map { InputField(name: $0, type: .float64) },
        classes: {
            switch model.outcome {
            case .regression: return []
            case .binary(let l), .multiclass(let l): return l
            }
        }(),
        preprocessing: Preprocessor(missing: .native, columns: model.inputNames.map { _ in .numeric(mean: 0) }),
        training: TrainingRecord(runID: "bench", dataset: .null, trainedAtNanos: 0, metrics: [:]),
        profile: ReferenceProfile(rows: 0, features: [], prediction: nil), model: .gbdt(trees))
    let bytes = bundle.encoded()
    var w = JSONWriter()
    w.beginObject()
    w.key("mote_export"); w.int(1)
    w.key("model"); w.string("native")
    w.key("version"); w.beginObject(); w.key("format"); w.string("mote.model/1"); w.endObject()
    w.key("artifact"); w.beginObject()
    w.key("sha256"); w.string(SHA256.hex(of: bytes))
    w.key("size"); w.int(bytes.count)
    w.key("base64"); w.string(Base64.encode(bytes))
    w.endObject()
    w.endObject()
    guard FileManager.default.createFile(atPath: args[2], contents: Data(w.bytes)) else { fail("cannot write \(args[2])") }
    print("wrote \(args[2]): \(trees.treeCount) trees as a native bundle")
default:
    fail("unknown command \(args[0])")
}
