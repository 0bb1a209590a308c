import MoteCore
import MoteImport
import MoteML

extension ModelBundle {
    /// Reads and checks a bundle: format and version, known algorithm and task, inputs,
    /// preprocessing that fits the inputs and the model, and model arrays that are consistent
    /// (lengths, indexes in range, children after their parent so every walk ends). Any
    /// mismatch is a `BundleError` saying what.
    public static func decode(_ bytes: [UInt8]) throws(BundleError) -> ModelBundle {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw BundleError("not a model bundle: \(error)") }
        let doc = Reader(root, "bundle")
        guard try doc.string("format") == formatName else { throw BundleError("not a model bundle (format is not '\(formatName)')") }
        let version = try doc.int("format_version")
        guard version == formatVersion else {
            throw BundleError("bundle format version \(version) is not readable by this mote (reads \(formatVersion))")
        }
        let algorithm = try doc.string("algorithm")
        guard let task = ModelTask(rawValue: try doc.string("task")) else { throw BundleError("bundle: unknown task") }
        guard case .object(let hyper)? = root["hyperparameters"] else { throw BundleError("bundle: hyperparameters must be an object") }

        var inputs: [InputField] = []
        for (k, item) in try doc.array("inputs").enumerated() {
            let r = Reader(item, "inputs[\(k)]")
            guard let type = InputType(rawValue: try r.string("type")) else { throw BundleError("inputs[\(k)]: unknown type") }
            inputs.append(InputField(name: try r.string("name"), type: type))
        }
        guard !inputs.isEmpty else { throw BundleError("bundle: a model needs at least one input") }
        guard Set(inputs.map(\.name)).count == inputs.count else { throw BundleError("bundle: input names repeat") }
        let classes = try doc.array("classes").map { value throws(BundleError) -> String in
            guard case .string(let s) = value else { throw BundleError("bundle: classes must be strings") }
            return s
        }

        let pre = Reader(root["preprocessing"] ?? .null, "preprocessing")
        guard let missing = Preprocessor.MissingPolicy(rawValue: try pre.string("missing")) else {
            throw BundleError("preprocessing: unknown missing-value policy")
        }
        var columns: [Preprocessor.Column] = []
        for (k, item) in try pre.array("columns").enumerated() {
            let r = Reader(item, "preprocessing.columns[\(k)]")
            switch try r.string("kind") {
            case "numeric": columns.append(.numeric(mean: try r.double("mean")))
            case "categorical_code": columns.append(.categoricalCode(categories: try r.strings("categories")))
            case "categorical_one_hot": columns.append(.categoricalOneHot(categories: try r.strings("categories")))
            default: throw BundleError("preprocessing.columns[\(k)]: unknown kind")
            }
        }
        guard columns.count == inputs.count else {
            throw BundleError("preprocessing has \(columns.count) columns for \(inputs.count) inputs")
        }
        for (k, column) in columns.enumerated() {
            let categorical: Bool
            switch column {
            case .numeric: categorical = false
            case .categoricalCode, .categoricalOneHot: categorical = true
            }
            guard categorical == inputs[k].type.isCategorical else {
                throw BundleError("preprocessing of input '\(inputs[k].name)' does not fit its type \(inputs[k].type.rawValue)")
            }
        }
        let preprocessing = Preprocessor(missing: missing, columns: columns)

        let tr = Reader(root["training"] ?? .null, "training")
        var metrics: [String: Double] = [:]
        if case .object(let m)? = root["training"]?["metrics"] {
            for member in m { metrics[member.key] = member.value.doubleValue ?? .nan }
        }
        let trainedAt = try tr.string("trained_at")
        let training = TrainingRecord(
            runID: try tr.string("run_id"), dataset: root["training"]?["dataset"] ?? .null,
            trainedAtNanos: RFC3339.parse(trainedAt) ?? 0, metrics: metrics)

        let profile = try readProfile(Reader(root["profile"] ?? .null, "profile"))
        let model = try readModel(algorithm: algorithm, task: task, Reader(root["model"] ?? .null, "model"))

        guard model.featureCount == preprocessing.width else {
            throw BundleError("the model reads \(model.featureCount) columns but preprocessing makes \(preprocessing.width)")
        }
        switch (task, model) {
        case (_, .imported(let m)):
            switch (task, m.outcome) {
            case (.regression, .regression): break
            case (.binary, .binary(let labels)), (.multiclass, .multiclass(let labels)):
                guard labels == classes else { throw BundleError("the imported model's classes \(labels) differ from the bundle's \(classes)") }
            default: throw BundleError("task '\(task.rawValue)' does not fit the imported model")
            }
        case (.regression, .linear), (.binary, .logistic), (.anomaly, .isolationForest): break
        case (.regression, .gbdt(let m)) where m.objective == .regression: break
        case (.binary, .gbdt(let m)) where m.objective == .binary: break
        case (.multiclass, .gbdt(let m)) where m.objective == .multiclass && m.classCount == classes.count: break
        default: throw BundleError("task '\(task.rawValue)' does not fit algorithm '\(algorithm)' and its model")
        }
        if task == .binary, classes.count != 2 { throw BundleError("a binary model needs 2 classes, has \(classes.count)") }
        return ModelBundle(
            task: task, hyperparameters: hyper, inputs: inputs, classes: classes, preprocessing: preprocessing, training: training,
            profile: profile, model: model)
    }

    private static func readProfile(_ r: Reader) throws(BundleError) -> ReferenceProfile {
        func feature(_ f: Reader) throws(BundleError) -> ReferenceProfile.Feature {
            var numeric: ReferenceProfile.Numeric?
            if let n = f.optional("numeric") {
                numeric = ReferenceProfile.Numeric(
                    mean: try n.double("mean"), std: try n.double("std"), min: try n.double("min"), max: try n.double("max"),
                    quantiles: try n.doubles("quantiles"), histogram: try n.ints("histogram").map(Int.init),
                    sample: try n.doubles("sample"))
            }
            var categorical: ReferenceProfile.Categorical?
            if let c = f.optional("categorical") {
                var top: [(value: String, count: Int)] = []
                for (k, item) in try c.array("top").enumerated() {
                    let t = Reader(item, "\(c.path).top[\(k)]")
                    top.append((try t.string("value"), try t.int("count")))
                }
                categorical = ReferenceProfile.Categorical(distinct: try c.int("distinct"), top: top)
            }
            return ReferenceProfile.Feature(
                name: try f.string("name"), count: try f.int("count"), nulls: try f.int("nulls"), numeric: numeric,
                categorical: categorical)
        }
        var features: [ReferenceProfile.Feature] = []
        for (k, item) in try r.array("features").enumerated() { features.append(try feature(Reader(item, "profile.features[\(k)]"))) }
        let prediction = try r.optional("prediction").map { p throws(BundleError) in try feature(p) }
        return ReferenceProfile(rows: try r.int("rows"), features: features, prediction: prediction)
    }

    private static func readModel(algorithm: String, task: ModelTask, _ r: Reader) throws(BundleError) -> TrainedModel {
        if let format = ImportedModel.Format(rawValue: algorithm) {
            guard let bytes = Base64.decode(try r.string("source_base64")) else { throw BundleError("model: source_base64 is not base64") }
            guard SHA256.hex(of: bytes) == (try r.string("sha256")) else { throw BundleError("model: the embedded file does not match its sha256") }
            do {
                return .imported(try ImportedModel.read(bytes, format: format, binaryOutput: task == .binary))
            } catch {
                throw BundleError("model: the embedded \(format.rawValue) file cannot be read: \(error.message)")
            }
        }
        switch algorithm {
        case "gbdt":
            guard let objective = GBDTObjective(rawValue: try r.string("objective")) else { throw BundleError("model: unknown objective") }
            // Covers (rows per node) came with TreeSHAP; bundles written before have none.
            let cover = r.optional("cover") == nil ? [] : try r.doubles("cover")
            let m = GBDTModel(
                objective: objective, classCount: try r.int("class_count"), baseScores: try r.doubles("base_scores"),
                feature: try r.ints("feature"), threshold: try r.doubles("threshold"),
                defaultLeft: try r.ints("default_left").map { $0 != 0 }, left: try r.ints("left"), right: try r.ints("right"),
                value: try r.doubles("value"), roots: try r.ints("roots"), featureCount: try r.int("feature_count"), cover: cover)
            guard cover.isEmpty || (cover.count == m.feature.count && cover.allSatisfy({ $0.isFinite && $0 >= 0 })) else {
                throw BundleError("model: cover must hold one non-negative number per node")
            }
            try checkTrees(
                nodes: m.feature.count, lengths: [m.threshold.count, m.defaultLeft.count, m.left.count, m.right.count, m.value.count],
                feature: m.feature, left: m.left, right: m.right, roots: m.roots, featureCount: m.featureCount)
            guard m.classCount >= 1, m.baseScores.count == m.classCount, m.roots.count % m.classCount == 0 else {
                throw BundleError("model: class count, base scores and trees do not fit together")
            }
            guard m.threshold.allSatisfy({ !$0.isNaN }), m.value.allSatisfy(\.isFinite) else { throw BundleError("model: non-finite node values") }
            return .gbdt(m)
        case "linear", "logistic":
            let means = try r.doubles("means")
            let scales = try r.doubles("scales")
            let weights = try r.doubles("weights")
            let intercept = try r.double("intercept")
            guard means.count == weights.count, scales.count == weights.count else { throw BundleError("model: coefficient arrays differ in length") }
            guard (means + scales + weights + [intercept]).allSatisfy(\.isFinite), scales.allSatisfy({ $0 != 0 }) else {
                throw BundleError("model: non-finite or zero-scale coefficients")
            }
            return algorithm == "linear"
                ? .linear(LinearModel(means: means, scales: scales, weights: weights, intercept: intercept))
                : .logistic(LogisticModel(means: means, scales: scales, weights: weights, intercept: intercept))
        case "isolation_forest":
            let m = IsolationForest(
                feature: try r.ints("feature"), threshold: try r.doubles("threshold"), left: try r.ints("left"), right: try r.ints("right"),
                size: try r.ints("size"), depth: try r.ints("depth"), roots: try r.ints("roots"), sampleSize: try r.int("sample_size"),
                featureCount: try r.int("feature_count"))
            try checkTrees(
                nodes: m.feature.count, lengths: [m.threshold.count, m.left.count, m.right.count, m.size.count, m.depth.count],
                feature: m.feature, left: m.left, right: m.right, roots: m.roots, featureCount: m.featureCount)
            guard m.sampleSize >= 1 else { throw BundleError("model: sample size must be positive") }
            return .isolationForest(m)
        default:
            throw BundleError("unknown algorithm '\(algorithm)' (known: gbdt, linear, logistic, isolation_forest, lightgbm, xgboost, onnx)")
        }
    }

    /// Flat trees: equal lengths, inner nodes test a feature in range, children come after
    /// their parent (so every walk ends) and inside the array, roots inside the array.
    private static func checkTrees(
        nodes: Int, lengths: [Int], feature: [Int32], left: [Int32], right: [Int32], roots: [Int32], featureCount: Int
    ) throws(BundleError) {
        guard lengths.allSatisfy({ $0 == nodes }) else { throw BundleError("model: node arrays differ in length") }
        guard featureCount >= 1 else { throw BundleError("model: feature count must be positive") }
        for root in roots where root < 0 || Int(root) >= nodes { throw BundleError("model: a tree root is out of range") }
        for n in 0..<nodes where feature[n] >= 0 {
            guard Int(feature[n]) < featureCount else { throw BundleError("model: node \(n) tests feature \(feature[n]) of \(featureCount)") }
            guard Int(left[n]) > n, Int(right[n]) > n, Int(left[n]) < nodes, Int(right[n]) < nodes else {
                throw BundleError("model: node \(n) has children out of order or range")
            }
        }
    }
}

/// Field access over a parsed JSON object with errors that name the path.
struct Reader {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, _ path: String) {
        self.value = value
        self.path = path
    }

    private func member(_ key: String) throws(BundleError) -> JSONValue {
        guard case .object(let o) = value else { throw BundleError("\(path) must be an object") }
        guard let v = o[key] else { throw BundleError("\(path).\(key) is missing") }
        return v
    }

    func optional(_ key: String) -> Reader? {
        guard case .object(let o) = value, let v = o[key], v != .null else { return nil }
        return Reader(v, "\(path).\(key)")
    }

    func string(_ key: String) throws(BundleError) -> String {
        guard case .string(let s) = try member(key) else { throw BundleError("\(path).\(key) must be a string") }
        return s
    }

    func int(_ key: String) throws(BundleError) -> Int {
        guard let i = try member(key).int64Value, let v = Int(exactly: i) else { throw BundleError("\(path).\(key) must be an integer") }
        return v
    }

    /// A number; `null` reads as NaN (the writer writes non-finite numbers as null).
    func double(_ key: String) throws(BundleError) -> Double {
        let v = try member(key)
        if v == .null { return .nan }
        guard let d = v.doubleValue else { throw BundleError("\(path).\(key) must be a number") }
        return d
    }

    func array(_ key: String) throws(BundleError) -> [JSONValue] {
        guard case .array(let a) = try member(key) else { throw BundleError("\(path).\(key) must be an array") }
        return a
    }

    func doubles(_ key: String) throws(BundleError) -> [Double] {
        var out: [Double] = []
        for v in try array(key) {
            if v == .null { out.append(.nan); continue }
            guard let d = v.doubleValue else { throw BundleError("\(path).\(key) must hold numbers") }
            out.append(d)
        }
        return out
    }

    func ints(_ key: String) throws(BundleError) -> [Int32] {
        var out: [Int32] = []
        for v in try array(key) {
            guard let i = v.int64Value, let small = Int32(exactly: i) else { throw BundleError("\(path).\(key) must hold integers") }
            out.append(small)
        }
        return out
    }

    func strings(_ key: String) throws(BundleError) -> [String] {
        var out: [String] = []
        for v in try array(key) {
            guard case .string(let s) = v else { throw BundleError("\(path).\(key) must hold strings") }
            out.append(s)
        }
        return out
    }
}
