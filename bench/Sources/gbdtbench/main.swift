// Trains MoteML's GBDT on a CSV (label in the first column, then features) and reports the
// fit time and test AUC. usage: gbdtbench TRAIN.csv TEST.csv [trees leaves bins lr threads]
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

let args = CommandLine.arguments
let train = load(args[1])
let test = load(args[2])
var p = GBDTParameters()
p.objective = .binary
p.trees = args.count > 3 ? Int(args[3])! : 100
p.numLeaves = args.count > 4 ? Int(args[4])! : 31
p.maxBins = args.count > 5 ? Int(args[5])! : 255
p.learningRate = args.count > 6 ? Double(args[6])! : 0.1
p.threads = args.count > 7 ? Int(args[7])! : 2
p.minDataInLeaf = 20
p.lambdaL2 = 0
let start = DispatchTime.now().uptimeNanoseconds
let model = GBDTTrainer(p).fit(x: train.x, y: train.y, rows: train.rows, columns: train.columns)
let fit = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
let predictStart = DispatchTime.now().uptimeNanoseconds
let probabilities = model.predict(test.x, rows: test.rows)
let predict = Double(DispatchTime.now().uptimeNanoseconds - predictStart) / 1e9
let auc = Metrics.auc(labels: test.y, scores: probabilities)
print(String(format: "mote gbdt: fit %.2f s, predict %d rows %.3f s, test AUC %.4f, log loss %.4f (%d trees, %d leaves, %d threads)",
             fit, test.rows, predict, auc, Metrics.logLoss(labels: test.y, probabilities: probabilities), model.treeCount, p.numLeaves, p.threads))
