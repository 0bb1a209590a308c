// MoteML learners on CSV files (label in the first column, then features): fit time (best of
// `repeats`) and test quality, for bench/gbdt_bench.py to print beside LightGBM and scikit-learn.
// usage: gbdtbench gbdt TRAIN.csv TEST.csv trees leaves bins lr threads repeats
//        gbdtbench predict TRAIN.csv TEST.csv trees leaves batch seconds   (batch predict rows/s, 1 thread)
//        gbdtbench logistic TRAIN.csv TEST.csv lambda repeats
//        gbdtbench iforest TRAIN.csv TEST.csv trees sample_size repeats
import Foundation
import MoteML

func load(_ path: String) -> (x: [Double], y: [Double], rows: Int, columns: Int) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fatalError("cannot read \(path)") }
    var x: [Double] = []
    var y: [Double] = []
    var columns = 0
    for line in text.split(separator: "\n") {
        let cells = line.split(separator: ",")
        guard let label = Double(cells[0]) else { continue }  // header
        y.append(label)
        columns = cells.count - 1
        for cell in cells.dropFirst() { x.append(Double(cell) ?? .nan) }
    }
    return (x, y, y.count, columns)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let args = CommandLine.arguments
let mode = args[1]
let train = load(args[2])
let test = load(args[3])
func arg(_ i: Int, _ fallback: Double) -> Double { args.count > i ? Double(args[i]) ?? fallback : fallback }

switch mode {
case "gbdt":
    var p = GBDTParameters()
    p.objective = .binary
    p.trees = Int(arg(4, 100))
    p.numLeaves = Int(arg(5, 31))
    p.maxBins = Int(arg(6, 255))
    p.learningRate = arg(7, 0.1)
    p.threads = Int(arg(8, 2))
    p.minDataInLeaf = 20
    p.lambdaL2 = 0
    var model: GBDTModel?
    var best = Double.infinity
    for _ in 0..<Int(arg(9, 1)) {
        best = min(best, seconds { model = GBDTTrainer(p).fit(x: train.x, y: train.y, rows: train.rows, columns: train.columns) })
    }
    let probabilities = model!.predict(test.x, rows: test.rows)
    print(String(format: "mote gbdt: fit %.2f s (best of %d), test AUC %.4f, log loss %.4f (%d trees, %d leaves, %d threads)",
                 best, Int(arg(9, 1)), Metrics.auc(labels: test.y, scores: probabilities),
                 Metrics.logLoss(labels: test.y, probabilities: probabilities), model!.treeCount, p.numLeaves, p.threads))
case "logistic":
    var model: LogisticModel?
    var best = Double.infinity
    for _ in 0..<Int(arg(5, 1)) {
        best = min(best, try seconds { model = try LogisticRegression.fit(x: train.x, y: train.y, rows: train.rows, columns: train.columns, lambda: arg(4, 1e-4)) })
    }
    let probabilities = model!.predict(test.x, rows: test.rows)
    print(String(format: "mote logistic (L-BFGS): fit %.3f s (best of %d), test AUC %.4f, log loss %.4f",
                 best, Int(arg(5, 1)), Metrics.auc(labels: test.y, scores: probabilities), Metrics.logLoss(labels: test.y, probabilities: probabilities)))
case "iforest":
    var model: IsolationForest?
    var best = Double.infinity
    for _ in 0..<Int(arg(6, 1)) {
        best = min(best, seconds { model = IsolationForest.fit(x: train.x, rows: train.rows, columns: train.columns, trees: Int(arg(4, 100)), sampleSize: Int(arg(5, 256))) })
    }
    var scores: [Double] = []
    let scoring = seconds { scores = model!.score(test.x, rows: test.rows) }
    print(String(format: "mote isolation forest: fit %.3f s (best of %d), score %d rows %.3f s, outlier AUC %.4f",
                 best, Int(arg(6, 1)), test.rows, scoring, Metrics.auc(labels: test.y, scores: scores)))
case "predict":
    var p = GBDTParameters()
    p.objective = .binary
    p.trees = Int(arg(4, 100))
    p.numLeaves = Int(arg(5, 31))
    p.threads = 2
    let model = GBDTTrainer(p).fit(x: train.x, y: train.y, rows: train.rows, columns: train.columns)
    let predictor = GBDTPredictor(model)
    let batch = Int(arg(6, 1000))
    let budget = arg(7, 3)
    let batches = test.rows / batch
    var checksum = 0.0
    for (name, run) in [
        ("GBDTPredictor (serving layout, tree by tree)", { (b: Int) -> [Double] in
            test.x.withUnsafeBufferPointer { predictor.predict(UnsafeBufferPointer(rebasing: $0[(b * batch * test.columns)..<((b + 1) * batch * test.columns)]), rows: batch) }
        }),
    ] {
        var rows = 0
        let elapsed = seconds {
            let start = DispatchTime.now().uptimeNanoseconds
            var b = 0
            while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget {
                checksum += run(b % batches)[0]
                rows += batch
                b += 1
            }
        }
        print(String(format: "mote %@: %.0f rows/s (batches of %d, 1 thread, %d trees)", name, Double(rows) / elapsed, batch, model.treeCount))
    }
    _ = checksum
default:
    fatalError("unknown mode \(mode)")
}
