import MoteCore
import MoteML
import MoteModels
import Testing

/// Small training rows: a number, a category and a flag; the label depends on the first two.
func sampleRows(_ n: Int, seed: UInt64 = 3) -> (inputs: [InputField], rows: [[ModelInput]], y: [Double]) {
    var state = seed
    func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    let inputs = [InputField(name: "s:temp", type: .float64), InputField(name: "s:mode", type: .string), InputField(name: "s:ok", type: .bool)]
    var rows: [[ModelInput]] = []
    var y: [Double] = []
    for r in 0..<n {
        let temp = next() * 100
        let mode = ["idle", "run", "fault"][Int(next() * 3) % 3]
        rows.append([r % 17 == 0 ? .missing : .number(temp), .text(mode), .number(next() < 0.5 ? 1 : 0)])
        y.append(temp > 60 || mode == "fault" ? 1 : 0)
    }
    return (inputs, rows, y)
}

func bundle(_ model: TrainedModel, task: ModelTask, preprocessing: Preprocessor, inputs: [InputField], rows: [[ModelInput]]) -> ModelBundle {
    ModelBundle(
        task: task, hyperparameters: JSONObject([("trees", .integer(20))]), inputs: inputs,
        classes: task == .binary ? ["0", "1"] : [], preprocessing: preprocessing,
        training: TrainingRecord(runID: "r1", dataset: ["rows": .integer(Int64(rows.count))], trainedAtNanos: 1_700_000_000_000_000_000, metrics: ["auc": 0.97]),
        profile: ReferenceProfile.build(inputs: inputs, rows: rows), model: model)
}

/// `sampleRows(n)` fitted by every algorithm (GBDT, logistic, linear, isolation forest), each
/// bundle with the matrix its preprocessing makes of the rows.
func fittedBundles(_ n: Int) throws -> [(bundle: ModelBundle, x: [Double])] {
    let (inputs, rows, y) = sampleRows(n)
    let trees = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
    let linear = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: true)
    let xt = trees.encode(rows)
    let xl = linear.encode(rows)
    var p = GBDTParameters()
    p.trees = 20
    p.numLeaves = 7
    p.minDataInLeaf = 5
    return [
        (bundle(.gbdt(GBDTTrainer(p).fit(x: xt, y: y, rows: rows.count, columns: trees.width)), task: .binary, preprocessing: trees, inputs: inputs, rows: rows), xt),
        (bundle(.logistic(try LogisticRegression.fit(x: xl, y: y, rows: rows.count, columns: linear.width)), task: .binary, preprocessing: linear, inputs: inputs, rows: rows), xl),
        (bundle(.linear(try LinearRegression.fit(x: xl, y: y, rows: rows.count, columns: linear.width, lambda: 1e-3)), task: .regression, preprocessing: linear, inputs: inputs, rows: rows), xl),
        (bundle(.isolationForest(IsolationForest.fit(x: xl, rows: rows.count, columns: linear.width, trees: 20)), task: .anomaly, preprocessing: linear, inputs: inputs, rows: rows), xl),
    ]
}

@Suite("model bundle")
struct BundleTests {
    @Test("every algorithm round-trips through the bundle and predicts the same after loading")
    func roundTrip() throws {
        let (_, rows, y) = sampleRows(600)
        let made = try fittedBundles(600).map(\.bundle)
        for original in made {
            let loaded = try ModelBundle.decode(original.encoded())
            #expect(loaded == original, "\(original.algorithm)")
            #expect(loaded.scores(inputs: rows) == original.scores(inputs: rows), "\(original.algorithm)")
        }
        // The trees learned the rule, missing temperatures and categories included.
        let scores = made[0].scores(inputs: rows)
        #expect(Metrics.auc(labels: y, scores: scores) > 0.95)
    }

    @Test("unknown categories and missing values are encoded per the recorded policy")
    func preprocessing() {
        let (inputs, rows, _) = sampleRows(300)
        let trees = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
        let linear = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: true)
        let odd: [[ModelInput]] = [[.missing, .text("never-seen"), .number(1)]]
        let t = trees.encode(odd)
        #expect(t[0].isNaN && t[1].isNaN && t[2] == 1)
        let l = linear.encode(odd)
        guard case .numeric(let mean) = linear.columns[0] else { Issue.record("first column is numeric"); return }
        #expect(l[0] == mean)
        #expect(l[1..<4].allSatisfy { $0 == 0 })  // three known modes, none set
        #expect(linear.width == 5)
    }

    @Test("a damaged or mismatched bundle is refused with what is wrong", arguments: [
        ("\"format_version\":1", "\"format_version\":2", "format version 2"),
        ("\"algorithm\":\"gbdt\"", "\"algorithm\":\"svm\"", "unknown algorithm 'svm'"),
        ("\"kind\":\"numeric\"", "\"kind\":\"categorical_code\",\"categories\":[]", "does not fit its type"),
        ("\"feature_count\":3", "\"feature_count\":4", "reads 4 columns but preprocessing makes 3"),
        ("\"task\":\"binary\"", "\"task\":\"regression\"", "does not fit algorithm"),
    ])
    func refused(from: String, to: String, message: String) throws {
        let (inputs, rows, y) = sampleRows(200)
        let pre = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
        var p = GBDTParameters()
        p.trees = 3
        p.minDataInLeaf = 5
        let good = bundle(.gbdt(GBDTTrainer(p).fit(x: pre.encode(rows), y: y, rows: rows.count, columns: pre.width)), task: .binary, preprocessing: pre, inputs: inputs, rows: rows)
        let text = String(decoding: good.encoded(), as: UTF8.self)
        #expect(text.contains(from))
        let damaged = Array(text.replacing(from, with: to, maxReplacements: 1).utf8)
        #expect(throws: BundleError.self) { try ModelBundle.decode(damaged) }
        do {
            _ = try ModelBundle.decode(damaged)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("a tree whose child points back is refused (a walk would never end)")
    func cycle() throws {
        let (inputs, rows, y) = sampleRows(200)
        let pre = Preprocessor.fit(inputs: inputs, rows: rows, oneHot: false)
        var p = GBDTParameters()
        p.trees = 2
        p.minDataInLeaf = 5
        var model = GBDTTrainer(p).fit(x: pre.encode(rows), y: y, rows: rows.count, columns: pre.width)
        let inner = try #require(model.feature.firstIndex { $0 >= 0 })
        model.left[inner] = Int32(inner)
        let bytes = bundle(.gbdt(model), task: .binary, preprocessing: pre, inputs: inputs, rows: rows).encoded()
        #expect(throws: BundleError("model: node \(inner) has children out of order or range")) { try ModelBundle.decode(bytes) }
    }

    @Test("the reference profile summarises numbers and categories")
    func profile() {
        let inputs = [InputField(name: "v", type: .float64), InputField(name: "c", type: .string)]
        var rows: [[ModelInput]] = (0..<101).map { [.number(Double($0)), .text($0 % 4 == 0 ? "a" : "b")] }
        rows.append([.missing, .missing])
        let profile = ReferenceProfile.build(inputs: inputs, rows: rows)
        let v = profile.features[0]
        #expect(v.count == 102 && v.nulls == 1)
        #expect(v.numeric?.quantiles == [0, 1, 5, 25, 50, 75, 95, 99, 100])
        #expect(v.numeric?.histogram.reduce(0, +) == 101)
        #expect(v.numeric?.sample.count == 101)
        #expect(profile.features[1].categorical?.top.map(\.value) == ["b", "a"])
        #expect(profile.features[1].categorical?.top.map(\.count) == [75, 26])
    }
}
