import MoteCore
import MoteML

#if canImport(Glibc)
import Glibc
#endif

/// Reads XGBoost's model files (`save_model("m.json" | "m.ubj")`; MLflow's xgboost flavour
/// writes `.ubj` by default): `gbtree` boosters with numeric splits. Prediction follows
/// XGBoost: inputs compared as 32-bit floats (`x < t`), missing values to each node's default
/// side, leaf values summed in 32-bit floats in tree order from the base margin, then the
/// objective's transform.
enum XGBoostModel {
    static func matches(_ bytes: [UInt8]) -> Bool {
        // JSON: an object whose first key is "learner" (XGBoost writes it first); UBJSON: `{L...learner`.
        let head = bytes.prefix(40)
        guard head.first == UInt8(ascii: "{") else { return false }
        return String(decoding: head, as: UTF8.self).contains("learner")
    }

    static func read(_ bytes: [UInt8]) throws(ImportError) -> ImportedModel {
        let root: JSONValue
        if bytes.count > 1, bytes[1] == UInt8(ascii: "\"") || bytes[1] == UInt8(ascii: " ") || bytes[1] == UInt8(ascii: "\n") {
            do { root = try JSONParser.parse(bytes) } catch { throw .invalid("XGBoost JSON model: \(error)") }
        } else {
            root = try UBJSON.parse(bytes)
        }
        guard let learner = root["learner"] else { throw .invalid("not an XGBoost model (no 'learner')") }
        let version = (root["version"]?.arrayValue ?? []).compactMap { $0.int64Value }.map(String.init).joined(separator: ".")
        guard let booster = learner["gradient_booster"], booster["name"]?.stringValue == "gbtree" else {
            throw .unsupported("XGBoost booster '\(learner["gradient_booster"]?["name"]?.stringValue ?? "?")' is not supported (gbtree is)")
        }
        let params = learner["learner_model_param"]
        guard let featureCount = number(params?["num_feature"]).flatMap({ Int(exactly: $0) }), featureCount >= 1, featureCount < 1_000_000 else {
            throw .invalid("XGBoost model: num_feature is missing or out of range")
        }
        let numClass = number(params?["num_class"]).flatMap { Int(exactly: $0) } ?? 0
        guard numClass >= 0, numClass <= 10_000 else { throw .invalid("XGBoost model: num_class out of range") }
        if let targets = number(params?["num_target"]), targets != 1 { throw .unsupported("XGBoost models with \(Int(targets)) targets are not supported") }
        let objective = learner["objective"]?["name"]?.stringValue ?? ""

        let outputs = max(numClass, 1)
        let baseScores = try baseScore(params?["base_score"], count: outputs)
        let (gbdtObjective, link, outcome): (GBDTObjective, GBDTOutput.Link, ImportedModel.Outcome)
        var margins: [Float]
        switch objective {
        case "binary:logistic", "reg:logistic":
            (gbdtObjective, link) = (objective == "binary:logistic" ? .binary : .regression, .sigmoid)
            outcome = objective == "binary:logistic" ? .binary(["0", "1"]) : .regression
            margins = baseScores.map { -logf(1 / $0 - 1) }
        case "multi:softprob", "multi:softmax":
            guard numClass >= 2 else { throw .invalid("XGBoost \(objective) model with num_class \(numClass)") }
            (gbdtObjective, link, outcome) = (.multiclass, .softmax, .multiclass((0..<numClass).map(String.init)))
            margins = baseScores
        case "reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror", "reg:quantileerror", "reg:linear":
            (gbdtObjective, link, outcome) = (.regression, .identity, .regression)
            margins = baseScores
        case "count:poisson", "reg:gamma", "reg:tweedie":
            (gbdtObjective, link, outcome) = (.regression, .exp, .regression)
            margins = baseScores.map { logf($0) }
        default:
            throw .unsupported("XGBoost objective '\(objective)' is not supported (binary:logistic, multi:softprob, multi:softmax, reg:squarederror and other regression objectives, count:poisson, reg:gamma, reg:tweedie are)")
        }
        if margins.count == 1 && outputs > 1 { margins = [Float](repeating: margins[0], count: outputs) }
        guard margins.allSatisfy(\.isFinite) else { throw .invalid("XGBoost model: base_score gives a non-finite margin") }

        guard let model = booster["model"], let trees = model["trees"]?.arrayValue else { throw .invalid("XGBoost model: no trees") }
        let treeInfo = (model["tree_info"]?.arrayValue ?? []).map { $0.int64Value ?? -1 }
        guard treeInfo.count == trees.count else { throw .invalid("XGBoost model: tree_info has \(treeInfo.count) entries for \(trees.count) trees") }
        var assembler = TreeAssembler(featureCount: featureCount)
        for (k, tree) in trees.enumerated() {
            let output = Int(treeInfo[k])
            guard output >= 0, output < outputs else { throw .invalid("XGBoost tree \(k) adds to output \(output) of \(outputs)") }
            try readTree(tree, index: k, output: output, into: &assembler)
        }
        guard !trees.isEmpty else { throw .invalid("XGBoost model has no trees") }

        var names = (learner["feature_names"]?.arrayValue ?? []).compactMap(\.stringValue)
        if names.count != featureCount { names = (0..<featureCount).map { "f\($0)" } }
        let m = assembler.model(
            objective: gbdtObjective, classCount: outputs, baseScores: margins.map(Double.init),
            output: GBDTOutput(link: link, singlePrecision: true))
        return ImportedModel(
            format: .xgboost, producer: "XGBoost \(version.isEmpty ? "(version not recorded)" : version)", inputNames: names,
            outcome: outcome, predictor: .trees(m), source: bytes)
    }

    /// `base_score`: a number, a numeric string, or (XGBoost 3) a string like `[5E-1]` or `[a,b,c]`.
    private static func baseScore(_ value: JSONValue?, count: Int) throws(ImportError) -> [Float] {
        guard let value else { return [0.5] }
        if let d = value.doubleValue { return [Float(d)] }
        guard var text = value.stringValue else { throw .invalid("XGBoost model: base_score is not a number") }
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        let parts = text.split(separator: ",")
        var out: [Float] = []
        for p in parts {
            guard let f = Float(p.trimmingSpaces) else { throw .invalid("XGBoost model: base_score '\(text)' is not numeric") }
            out.append(f)
        }
        guard out.count == 1 || out.count == count else { throw .invalid("XGBoost model: \(out.count) base scores for \(count) outputs") }
        return out
    }

    private static func number(_ value: JSONValue?) -> Double? {
        guard let value else { return nil }
        if let d = value.doubleValue { return d }
        return value.stringValue.flatMap { Double($0) }
    }

    private static func readTree(_ tree: JSONValue, index: Int, output: Int, into assembler: inout TreeAssembler) throws(ImportError) {
        let name = "XGBoost tree \(index)"
        func ints(_ key: String) throws(ImportError) -> [Int] {
            guard let a = tree[key]?.arrayValue else { throw .invalid("\(name): '\(key)' is missing") }
            var out: [Int] = []
            out.reserveCapacity(a.count)
            for v in a {
                guard let i = v.int64Value, let small = Int(exactly: i) else { throw .invalid("\(name): '\(key)' holds a non-integer") }
                out.append(small)
            }
            return out
        }
        func floats(_ key: String) throws(ImportError) -> [Float] {
            guard let a = tree[key]?.arrayValue else { throw .invalid("\(name): '\(key)' is missing") }
            var out: [Float] = []
            out.reserveCapacity(a.count)
            for v in a {
                guard let d = v.doubleValue else { throw .invalid("\(name): '\(key)' holds a non-number") }
                out.append(Float(d))
            }
            return out
        }
        let left = try ints("left_children")
        let right = try ints("right_children")
        let feature = try ints("split_indices")
        let condition = try floats("split_conditions")
        let defaultLeft = try ints("default_left")
        let n = left.count
        guard n >= 1, [right.count, feature.count, condition.count, defaultLeft.count].allSatisfy({ $0 == n }) else {
            throw .invalid("\(name): node arrays differ in length")
        }
        if let types = tree["split_type"]?.arrayValue, types.contains(where: { ($0.int64Value ?? 0) != 0 }) {
            throw .unsupported("\(name): categorical splits in XGBoost models are not supported")
        }
        if let size = tree["tree_param"]?["size_leaf_vector"], let s = number(size), s > 1 {
            throw .unsupported("\(name): vector leaves (multi-target trees) are not supported")
        }
        // Hessian sums per node (XGBoost's own TreeSHAP, pred_contribs, weighs paths by them).
        let hessians = (try? floats("sum_hessian")).flatMap { $0.count == n ? $0 : nil }
        try assembler.addTree(root: 0, nodeCount: n, output: output, name: name, cover: hessians.map { h in { Double(h[$0]) } }) { id throws(ImportError) in
            if left[id] == -1 { return .leaf(Double(condition[id])) }
            // Float(x) < t, restated for double inputs.
            return .split(
                feature: feature[id], threshold: FloatBounds.below(condition[id]), defaultLeft: defaultLeft[id] != 0, rule: .numeric,
                left: left[id], right: right[id])
        }
    }
}
