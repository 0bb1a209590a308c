import MoteML

/// Reads LightGBM's text model format (what `Booster.save_model` writes, and MLflow's lightgbm
/// flavour stores as `model.lgb`): the header, then one `Tree=` block per tree. Thresholds and
/// leaf values are written with 17 significant digits, so they read back exactly; prediction
/// follows LightGBM's rules (double sums in tree order, `<=` splits, missing-value types
/// None/Zero/NaN, categorical bitsets, `average_output`, the objective's output transform).
enum LightGBMText {
    /// Whether the bytes look like a LightGBM text model.
    static func matches(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(64), as: UTF8.self)
        return head.hasPrefix("tree\n") || head.hasPrefix("tree\r\n")
    }

    static func read(_ bytes: [UInt8]) throws(ImportError) -> ImportedModel {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })[...]
        guard lines.first.map({ $0.trimmingSpaces == "tree" }) == true else { throw .invalid("not a LightGBM text model (no 'tree' header)") }
        lines = lines.dropFirst()

        var header: [String: String] = [:]
        var flags = Set<String>()
        while let line = lines.first, !line.hasPrefix("Tree=") {
            lines = lines.dropFirst()
            let s = line.trimmingSpaces
            if s.isEmpty { continue }
            if s == "end of trees" { break }
            if let eq = s.firstIndex(of: "=") {
                header[String(s[..<eq])] = String(s[s.index(after: eq)...])
            } else {
                flags.insert(String(s))
            }
        }
        guard let maxFeature = header["max_feature_idx"].flatMap({ Int($0) }), maxFeature >= 0, maxFeature < 1_000_000 else {
            throw .invalid("LightGBM model: max_feature_idx is missing or out of range")
        }
        let featureCount = maxFeature + 1
        guard let classCount = header["num_class"].flatMap({ Int($0) }), classCount >= 1, classCount <= 10_000 else {
            throw .invalid("LightGBM model: num_class is missing or out of range")
        }
        let perIteration = header["num_tree_per_iteration"].flatMap { Int($0) } ?? classCount
        guard perIteration == classCount else {
            throw .unsupported("LightGBM model: \(perIteration) trees per iteration for \(classCount) classes")
        }
        var names = (header["feature_names"] ?? "").split(separator: " ").map(String.init)
        if names.count != featureCount { names = (0..<featureCount).map { "Column_\($0)" } }

        let (objective, output, outcome) = try objectiveOf(header["objective"] ?? "", classCount: classCount)

        var assembler = TreeAssembler(featureCount: featureCount)
        var categoryBits: [UInt32] = []
        var categoryBounds: [Int32] = [0]
        var treeIndex = 0
        while let line = lines.first, line.hasPrefix("Tree=") {
            lines = lines.dropFirst()
            var fields: [String: Substring] = [:]
            while let l = lines.first, !l.hasPrefix("Tree="), l.trimmingSpaces != "end of trees" {
                lines = lines.dropFirst()
                if let eq = l.firstIndex(of: "=") { fields[String(l[..<eq])] = l[l.index(after: eq)...] }
            }
            try readTree(
                fields, index: treeIndex, output: treeIndex % classCount, into: &assembler, categoryBits: &categoryBits,
                categoryBounds: &categoryBounds)
            treeIndex += 1
        }
        guard treeIndex > 0 else { throw .invalid("LightGBM model has no trees") }
        guard treeIndex % classCount == 0 else { throw .invalid("LightGBM model: \(treeIndex) trees do not divide into \(classCount) classes") }
        if lines.first?.trimmingSpaces != "end of trees" { throw .invalid("LightGBM model is truncated (no 'end of trees')") }

        var out = output
        if flags.contains("average_output") { out.divisor = Double(treeIndex / classCount) }
        let model = assembler.model(
            objective: objective, classCount: classCount, baseScores: [Double](repeating: 0, count: classCount), output: out,
            categoryBits: categoryBits, categoryBounds: categoryBounds.count > 1 ? categoryBounds : [])
        return ImportedModel(
            format: .lightgbm, producer: "LightGBM (model format \(header["version"] ?? "unknown"))", inputNames: names,
            outcome: outcome, predictor: .trees(model), source: bytes)
    }

    /// The prediction rule of a LightGBM objective string (`binary sigmoid:1`, `multiclass num_class:3`, ...).
    private static func objectiveOf(_ text: String, classCount: Int) throws(ImportError) -> (GBDTObjective, GBDTOutput, ImportedModel.Outcome) {
        let parts = text.split(separator: " ")
        let name = parts.first.map(String.init) ?? ""
        var sigmoid = 1.0
        for p in parts.dropFirst() where p.hasPrefix("sigmoid:") {
            guard let v = Double(p.dropFirst(8)), v.isFinite, v > 0 else { throw .invalid("LightGBM model: bad sigmoid coefficient '\(p)'") }
            sigmoid = v
        }
        let labels = (0..<classCount).map(String.init)
        let multiclass = ["multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"].contains(name)
        if !name.isEmpty, multiclass != (classCount > 1) {
            throw .invalid("LightGBM model: objective '\(name)' with num_class=\(classCount)")
        }
        switch name {
        case "binary":
            return (.binary, GBDTOutput(link: .sigmoid, scale: sigmoid), .binary(["0", "1"]))
        case "cross_entropy", "xentropy":
            return (.binary, GBDTOutput(link: .sigmoid), .binary(["0", "1"]))
        case "multiclass", "softmax":
            return (.multiclass, GBDTOutput(link: .softmax), .multiclass(labels))
        case "multiclassova", "multiclass_ova", "ova", "ovr":
            return (.multiclass, GBDTOutput(link: .sigmoidEach, scale: sigmoid), .multiclass(labels))
        case "regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root", "root_mean_squared_error", "rmse",
            "regression_l1", "l1", "mean_absolute_error", "mae", "huber", "fair", "quantile", "mape", "mean_absolute_percentage_error":
            return (.regression, GBDTOutput(link: .identity), .regression)
        case "poisson", "gamma", "tweedie":
            return (.regression, GBDTOutput(link: .exp), .regression)
        case "":
            throw .invalid("LightGBM model names no objective")
        default:
            throw .unsupported("LightGBM objective '\(name)' is not supported (binary, multiclass, multiclassova, cross_entropy, regression objectives, poisson, gamma, tweedie are)")
        }
    }

    private static func readTree(
        _ f: [String: Substring], index: Int, output: Int, into assembler: inout TreeAssembler, categoryBits: inout [UInt32],
        categoryBounds: inout [Int32]
    ) throws(ImportError) {
        let name = "LightGBM tree \(index)"
        if let linear = f["is_linear"], linear.trimmingSpaces != "0" { throw .unsupported("\(name): linear trees are not supported") }
        guard let leaves = f["num_leaves"].flatMap({ Int($0.trimmingSpaces) }), leaves >= 1, leaves <= 10_000_000 else {
            throw .invalid("\(name): num_leaves is missing or out of range")
        }
        let leafValue = try doubles(f["leaf_value"], "leaf_value", name)
        guard leafValue.count == leaves else { throw .invalid("\(name): \(leafValue.count) leaf values for \(leaves) leaves") }
        // Row counts per node, as LightGBM's own TreeSHAP (pred_contrib) weighs paths by them.
        let leafCount = (try? doubles(f["leaf_count"], "leaf_count", name)) ?? []
        let internalCount = (try? doubles(f["internal_count"], "internal_count", name)) ?? []
        if leaves == 1 {
            try assembler.addTree(root: 0, nodeCount: 1, output: output, name: name, cover: { _ in leafCount.first ?? 1 }) { _ throws(ImportError) in
                .leaf(leafValue[0])
            }
            return
        }
        let inner = leaves - 1
        let feature = try ints(f["split_feature"], "split_feature", name)
        let threshold = try doubles(f["threshold"], "threshold", name)
        let decision = try ints(f["decision_type"], "decision_type", name)
        let left = try ints(f["left_child"], "left_child", name)
        let right = try ints(f["right_child"], "right_child", name)
        guard [feature.count, threshold.count, decision.count, left.count, right.count].allSatisfy({ $0 == inner }) else {
            throw .invalid("\(name): split arrays do not all have num_leaves - 1 = \(inner) entries")
        }
        // This tree's category sets, moved into the model's shared bitset store.
        let setBase = Int32(categoryBounds.count - 1)
        let categories = Int(f["num_cat"].flatMap { Int($0.trimmingSpaces) } ?? 0)
        if categories > 0 {
            let bounds = try ints(f["cat_boundaries"], "cat_boundaries", name)
            let bits = try ints(f["cat_threshold"], "cat_threshold", name)
            guard bounds.count == categories + 1, bounds.first == 0, bounds.last == bits.count,
                zip(bounds, bounds.dropFirst()).allSatisfy({ $0 <= $1 })
            else { throw .invalid("\(name): cat_boundaries do not fit cat_threshold") }
            let offset = Int32(categoryBits.count)
            for word in bits {
                guard let w = UInt32(exactly: word) else { throw .invalid("\(name): cat_threshold holds a value outside 32 bits") }
                categoryBits.append(w)
            }
            for b in bounds.dropFirst() { categoryBounds.append(offset + Int32(b)) }
        }
        // Source ids: inner nodes 0..<inner, leaf i as inner + i (LightGBM writes leaves as ~i).
        func child(_ c: Int) -> Int { c < 0 ? inner + ~c : c }
        let counts: ((Int) -> Double?)? =
            leafCount.count == leaves && internalCount.count == inner ? { id in id >= inner ? leafCount[id - inner] : internalCount[id] } : nil
        try assembler.addTree(root: 0, nodeCount: inner + leaves, output: output, name: name, cover: counts) { id throws(ImportError) in
            if id >= inner { return .leaf(leafValue[id - inner]) }
            let d = decision[id]
            guard d >= 0, d < 16 else { throw .invalid("\(name): decision_type \(d) of node \(id) is unknown") }
            let defaultLeft = d & 2 != 0
            if d & 1 != 0 {
                let set = Int(threshold[id])
                guard Double(set) == threshold[id], set >= 0, set < categories else {
                    throw .invalid("\(name): categorical node \(id) names category set \(threshold[id]) of \(categories)")
                }
                return .split(
                    feature: feature[id], threshold: Double(Int(setBase) + set), defaultLeft: false, rule: .categorical,
                    left: child(left[id]), right: child(right[id]))
            }
            switch (d >> 2) & 3 {
            case 0:
                // Missing type None: NaN is read as 0, so it goes where 0 goes.
                return .split(
                    feature: feature[id], threshold: threshold[id], defaultLeft: 0 <= threshold[id], rule: .numeric, left: child(left[id]),
                    right: child(right[id]))
            case 1:
                return .split(
                    feature: feature[id], threshold: threshold[id], defaultLeft: defaultLeft, rule: .zeroAsMissing, left: child(left[id]),
                    right: child(right[id]))
            case 2:
                return .split(
                    feature: feature[id], threshold: threshold[id], defaultLeft: defaultLeft, rule: .numeric, left: child(left[id]),
                    right: child(right[id]))
            default:
                throw .invalid("\(name): node \(id) has an unknown missing-value type")
            }
        }
    }

    private static func doubles(_ field: Substring?, _ key: String, _ name: String) throws(ImportError) -> [Double] {
        guard let field else { throw .invalid("\(name): '\(key)' is missing") }
        var out: [Double] = []
        for part in field.split(separator: " ") {
            guard let v = Double(part) else { throw .invalid("\(name): '\(key)' holds '\(part.prefix(40))', not a number") }
            out.append(v)
        }
        return out
    }

    private static func ints(_ field: Substring?, _ key: String, _ name: String) throws(ImportError) -> [Int] {
        guard let field else { throw .invalid("\(name): '\(key)' is missing") }
        var out: [Int] = []
        for part in field.split(separator: " ") {
            guard let v = Int(part) else { throw .invalid("\(name): '\(key)' holds '\(part.prefix(40))', not an integer") }
            out.append(v)
        }
        return out
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns.
    var trimmingSpaces: Substring {
        let s = Substring(self)
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" }) else { return "" }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" && $0 != "\r" })!
        return s[start...end]
    }
}
