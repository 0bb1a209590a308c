import MoteML

/// `TreeEnsembleClassifier` and `TreeEnsembleRegressor` (ai.onnx.ml opsets 1-3) turned into a
/// `GBDTModel`, so they get mote's tree walk. Semantics are onnxruntime's: inputs and float
/// thresholds compared as 32-bit floats (restated as double bounds), leaf weights summed in
/// 32-bit floats in tree order, base values added after the trees, then `post_transform`. A
/// leaf that adds to several classes becomes one tree per class, each summing in tree order.
struct ONNXTreeEnsemble {
    let model: GBDTModel
    let walker: GBDTPredictor
    /// Class labels (classifiers); nil for regressors.
    let labels: [String]?
    /// A classifier with two labels and one score: the score is the second class's.
    let binary: Bool
    let featureCount: Int

    init(_ node: ONNXProto.Node) throws(ImportError) {
        let a = Attributes(node)
        let op = node.opType
        let classifier = op == "TreeEnsembleClassifier"
        func ints(_ name: String) throws(ImportError) -> [Int64] {
            guard let v = a.ints(name) else { throw .invalid("\(op): attribute '\(name)' is missing") }
            return v
        }
        let treeIDs = try ints("nodes_treeids")
        let nodeIDs = try ints("nodes_nodeids")
        let featureIDs = try ints("nodes_featureids")
        let trueIDs = try ints("nodes_truenodeids")
        let falseIDs = try ints("nodes_falsenodeids")
        guard let modes = a.strings("nodes_modes") else { throw .invalid("\(op): attribute 'nodes_modes' is missing") }
        let tracks = a.ints("nodes_missing_value_tracks_true") ?? []
        // Thresholds: floats (compared as floats), or doubles from the *_as_tensor attribute.
        var thresholdsDouble: [Double]?
        var thresholdsFloat: [Float] = a.floats("nodes_values") ?? []
        if let t = a.tensor("nodes_values_as_tensor") {
            if case .double(let d) = t.elements { thresholdsDouble = d } else { thresholdsFloat = try t.floats(op) }
        }
        let n = treeIDs.count
        let featureCount = try Self.featureCount(featureIDs, op)
        self.featureCount = featureCount
        guard [nodeIDs.count, featureIDs.count, trueIDs.count, falseIDs.count, modes.count].allSatisfy({ $0 == n }),
            (thresholdsDouble?.count ?? thresholdsFloat.count) == n, tracks.isEmpty || tracks.count == n, n > 0
        else { throw .invalid("\(op): node attributes differ in length") }
        let single = thresholdsDouble == nil

        let prefix = classifier ? "class_" : "target_"
        let leafTrees = try ints(prefix + "treeids")
        let leafNodes = try ints(prefix + "nodeids")
        let leafTargets = try ints(prefix + "ids")
        var weights: [Double]
        if let t = a.tensor(prefix + "weights_as_tensor") {
            weights = try t.doubles(op)
        } else {
            weights = (a.floats(prefix + "weights") ?? []).map(Double.init)
        }
        guard leafTrees.count == leafNodes.count, leafTargets.count == leafNodes.count, weights.count == leafNodes.count else {
            throw .invalid("\(op): leaf weight attributes differ in length")
        }
        var outputs: Int
        if classifier {
            guard let labels = ONNXMLOperators.labels(a), !labels.isEmpty else { throw .invalid("\(op): no class labels") }
            self.labels = labels
            outputs = labels.count
        } else {
            labels = nil
            outputs = Int(a.intOr("n_targets", 1))
        }
        guard outputs >= 1, outputs <= 10_000 else { throw .invalid("\(op): \(outputs) outputs") }
        for t in leafTargets where t < 0 || t >= outputs { throw .invalid("\(op): a leaf adds to output \(t) of \(outputs)") }
        let usedTargets = Set(leafTargets)
        let isBinary = classifier && outputs == 2 && usedTargets.count <= 1
        binary = isBinary
        let scores = isBinary ? 1 : outputs

        let aggregate = a.string("aggregate_function") ?? "SUM"
        guard aggregate == "SUM" || aggregate == "AVERAGE" else { throw .unsupported("\(op): aggregate_function '\(aggregate)' is not supported") }
        let post = try PostTransform(a.string("post_transform") ?? "NONE", op)
        var base: [Double] = (a.floats("base_values") ?? []).map(Double.init)
        if let t = a.tensor("base_values_as_tensor") { base = try t.doubles(op) }
        guard base.isEmpty || base.count == scores else {
            throw .invalid("\(op): \(base.count) base values for \(scores) outputs")
        }
        if base.isEmpty { base = [Double](repeating: 0, count: scores) }

        // Nodes by (tree, node id); leaves' weights by (tree, node id) -> [(target, weight)].
        var index: [Int64: [Int64: Int]] = [:]
        for k in 0..<n {
            guard index[treeIDs[k], default: [:]][nodeIDs[k]] == nil else { throw .invalid("\(op): node \(nodeIDs[k]) of tree \(treeIDs[k]) repeats") }
            index[treeIDs[k], default: [:]][nodeIDs[k]] = k
        }
        var leafWeights: [Int: [(Int, Double)]] = [:]
        for k in 0..<leafNodes.count {
            guard let node = index[leafTrees[k]]?[leafNodes[k]] else { throw .invalid("\(op): a weight names node \(leafNodes[k]) of tree \(leafTrees[k]), which does not exist") }
            leafWeights[node, default: []].append((Int(leafTargets[k]), weights[k]))
        }
        let trees = index.keys.sorted()
        // Roots: the node of each tree that no other node points to.
        var assembler = TreeAssembler(featureCount: featureCount)
        for tree in trees {
            let nodes = index[tree]!
            var children = Set<Int64>()
            for (_, k) in nodes where modes[k] != "LEAF" {
                children.insert(trueIDs[k])
                children.insert(falseIDs[k])
            }
            let roots = nodes.keys.filter { !children.contains($0) }
            guard roots.count == 1, let rootID = roots.first else { throw .invalid("\(op): tree \(tree) has \(roots.count) roots") }
            // Dense local ids for the assembler.
            let ids = nodes.keys.sorted()
            var local: [Int64: Int] = [:]
            for (k, id) in ids.enumerated() { local[id] = k }
            // The outputs this tree adds to, in order; one walk per output.
            let targets = isBinary ? [0] : Array(Set(ids.flatMap { leafWeights[nodes[$0]!]?.map(\.0) ?? [] })).sorted()
            for target in targets.isEmpty ? [0] : targets {
                try assembler.addTree(root: local[rootID]!, nodeCount: ids.count, output: target, name: "\(op) tree \(tree)") { id throws(ImportError) in
                    let k = nodes[ids[id]]!
                    let mode = modes[k]
                    if mode == "LEAF" {
                        let sum = (leafWeights[k] ?? []).filter { isBinary || $0.0 == target }.reduce(Float(0)) { $0 + Float($1.1) }
                        return .leaf(single ? Double(sum) : (leafWeights[k] ?? []).filter { isBinary || $0.0 == target }.reduce(0) { $0 + $1.1 })
                    }
                    guard let t = local[trueIDs[k]], let f = local[falseIDs[k]] else {
                        throw .invalid("\(op): node \(ids[id]) of tree \(tree) points to a node that does not exist")
                    }
                    let missingTrue = !tracks.isEmpty && tracks[k] != 0
                    let feature = Int(featureIDs[k])
                    let threshold = thresholdsDouble?[k]
                    let tf = thresholdsFloat.isEmpty ? 0 : thresholdsFloat[k]
                    guard !(threshold ?? Double(tf)).isNaN else { throw .invalid("\(op): node \(ids[id]) has a NaN threshold") }
                    let codes: [String: Int64] = ["BRANCH_LEQ": 0, "BRANCH_LT": 1, "BRANCH_GTE": 2, "BRANCH_GT": 3]
                    guard let code = codes[mode],
                        let node = Self.branch(code, feature: feature, threshold: threshold, float: tf, missingTrue: missingTrue, true: t, false: f)
                    else { throw .unsupported("\(op): node mode '\(mode)' is not supported (BRANCH_LEQ, BRANCH_LT, BRANCH_GT, BRANCH_GTE and LEAF are)") }
                    return node
                }
            }
        }
        let link: GBDTOutput.Link
        switch post {
        case .none: link = .identity
        case .logistic: link = scores == 1 ? .sigmoid : .sigmoidEach
        case .softmax: link = .softmax
        case .softmaxZero: throw .unsupported("\(op): post_transform SOFTMAX_ZERO is not supported for tree ensembles")
        }
        let divisor = aggregate == "AVERAGE" ? Double(trees.count) : 1
        model = assembler.model(
            objective: scores == 1 ? (classifier ? .binary : .regression) : .multiclass, classCount: scores, baseScores: base,
            output: GBDTOutput(link: link, divisor: divisor, singlePrecision: single, baseLast: true))
        walker = GBDTPredictor(model)
    }

    /// `TreeEnsemble` (ai.onnx.ml opset 5): nodes and leaves in separate arrays, modes and
    /// thresholds as tensors, one target and weight per leaf, `tree_roots` naming each tree.
    init(opset5 node: ONNXProto.Node) throws(ImportError) {
        let a = Attributes(node)
        let op = node.opType
        func ints(_ name: String) throws(ImportError) -> [Int64] {
            guard let v = a.ints(name) else { throw .invalid("\(op): attribute '\(name)' is missing") }
            return v
        }
        func tensor(_ name: String) throws(ImportError) -> Tensor {
            guard let v = a.tensor(name) else { throw .invalid("\(op): attribute '\(name)' is missing") }
            return v
        }
        let featureIDs = try ints("nodes_featureids")
        let trueIDs = try ints("nodes_truenodeids")
        let falseIDs = try ints("nodes_falsenodeids")
        let trueLeafs = try ints("nodes_trueleafs")
        let falseLeafs = try ints("nodes_falseleafs")
        let modes = try tensor("nodes_modes").int64s(op)
        let splitsTensor = try tensor("nodes_splits")
        let tracks = a.ints("nodes_missing_value_tracks_true") ?? []
        let roots = try ints("tree_roots")
        let leafTargets = try ints("leaf_targetids")
        let leafWeightsTensor = try tensor("leaf_weights")
        let leafWeights = try leafWeightsTensor.doubles(op)
        let n = featureIDs.count
        let leaves = leafTargets.count
        guard n > 0, [trueIDs.count, falseIDs.count, trueLeafs.count, falseLeafs.count, modes.count, splitsTensor.count].allSatisfy({ $0 == n }),
            tracks.isEmpty || tracks.count == n, leafWeights.count == leaves, !roots.isEmpty
        else { throw .invalid("\(op): node or leaf attributes differ in length") }
        if a.tensor("membership_values") != nil { throw .unsupported("\(op): BRANCH_MEMBER nodes (membership_values) are not supported") }
        let single: Bool
        var splits: [Double] = []
        var splitsFloat: [Float] = []
        switch splitsTensor.elements {
        case .double(let d): (single, splits) = (false, d)
        default: (single, splitsFloat) = (true, try splitsTensor.floats(op))
        }
        let outputs = Int(a.intOr("n_targets", 1))
        guard outputs >= 1, outputs <= 10_000 else { throw .invalid("\(op): \(outputs) targets") }
        for t in leafTargets where t < 0 || t >= outputs { throw .invalid("\(op): a leaf adds to target \(t) of \(outputs)") }
        let featureCount = try Self.featureCount(featureIDs, op)
        self.featureCount = featureCount
        labels = nil
        binary = false
        let aggregate = a.intOr("aggregate_function", 1)
        guard aggregate == 0 || aggregate == 1 else { throw .unsupported("\(op): aggregate_function \(aggregate) (MIN/MAX) is not supported") }
        let link: GBDTOutput.Link
        switch a.intOr("post_transform", 0) {
        case 0: link = .identity
        case 1: link = .softmax
        case 2: link = outputs == 1 ? .sigmoid : .sigmoidEach
        case let p: throw .unsupported("\(op): post_transform \(p) is not supported (NONE, SOFTMAX, LOGISTIC are)")
        }
        // Source ids for the assembler: nodes 0..<n, leaves n..<n+leaves.
        // A leaf id outside 0..<leaves becomes -1, which the walk skips and the assembler refuses.
        func child(_ id: Int64, leaf: Int64) -> Int { leaf == 0 ? Int(id) : (id >= 0 && id < leaves ? n + Int(id) : -1) }
        var assembler = TreeAssembler(featureCount: featureCount)
        for (t, root) in roots.enumerated() {
            guard root >= 0, root < n else { throw .invalid("\(op): tree \(t) has root \(root) outside \(n) nodes") }
            // The targets this tree's leaves add to (a bounded walk; the assembler refuses cycles).
            var targets = Set<Int64>()
            var pending = [Int(root)]
            var seen = Set<Int>()
            while let id = pending.popLast(), seen.insert(id).inserted {
                guard seen.count <= n + leaves else { break }
                if id >= n {
                    guard id - n < leaves else { throw .invalid("\(op): a node points to leaf \(id - n) of \(leaves)") }
                    targets.insert(leafTargets[id - n])
                } else if id >= 0 {
                    pending += [child(trueIDs[id], leaf: trueLeafs[id]), child(falseIDs[id], leaf: falseLeafs[id])]
                }
            }
            for target in targets.sorted() {
                try assembler.addTree(root: Int(root), nodeCount: n + leaves, output: Int(target), name: "\(op) tree \(t)") { id throws(ImportError) in
                    if id >= n {
                        let w = leafTargets[id - n] == target ? leafWeights[id - n] : 0
                        return .leaf(single ? Double(Float(w)) : w)
                    }
                    let missingTrue = !tracks.isEmpty && tracks[id] != 0
                    let (t, f) = (child(trueIDs[id], leaf: trueLeafs[id]), child(falseIDs[id], leaf: falseLeafs[id]))
                    let threshold: Double? = single ? nil : splits[id]
                    let tf: Float = single ? splitsFloat[id] : 0
                    guard !(threshold ?? Double(tf)).isNaN else { throw .invalid("\(op): node \(id) has a NaN split") }
                    let feature = Int(featureIDs[id])
                    guard let node = Self.branch(modes[id], feature: feature, threshold: threshold, float: tf, missingTrue: missingTrue, true: t, false: f)
                    else { throw .unsupported("\(op): node mode \(modes[id]) (BRANCH_EQ, BRANCH_NEQ, BRANCH_MEMBER) is not supported") }
                    return node
                }
            }
        }
        model = assembler.model(
            objective: outputs == 1 ? .regression : .multiclass, classCount: outputs, baseScores: [Double](repeating: 0, count: outputs),
            output: GBDTOutput(link: link, divisor: aggregate == 0 ? Double(roots.count) : 1, singlePrecision: single, baseLast: true))
        walker = GBDTPredictor(model)
    }

    /// How many input columns the trees read: one past the largest feature id. Ids must be
    /// non-negative and below 1,000,000 (checked before any arithmetic on them).
    static func featureCount(_ featureIDs: [Int64], _ op: String) throws(ImportError) -> Int {
        let largest = featureIDs.max() ?? 0
        guard featureIDs.allSatisfy({ $0 >= 0 }), largest < 1_000_000 else { throw .invalid("\(op): feature ids out of range") }
        return Int(largest) + 1
    }

    /// A split node of mode `code` (TreeEnsemble's numbering: 0 LEQ, 1 LT, 2 GTE, 3 GT) as a
    /// `<=` split: a double threshold as given, a float one restated as its exact double bound;
    /// `>`/`>=` swap the children (the false child takes the left side). nil for other modes.
    static func branch(
        _ code: Int64, feature: Int, threshold: Double?, float tf: Float, missingTrue: Bool, true t: Int, false f: Int
    ) -> SourceNode? {
        let atMost = threshold ?? FloatBounds.atMost(tf)
        let below = threshold.map { $0.nextDown } ?? FloatBounds.below(tf)
        switch code {
        case 0: return .split(feature: feature, threshold: atMost, defaultLeft: missingTrue, rule: .numeric, left: t, right: f)
        case 1: return .split(feature: feature, threshold: below, defaultLeft: missingTrue, rule: .numeric, left: t, right: f)
        case 2: return .split(feature: feature, threshold: below, defaultLeft: !missingTrue, rule: .numeric, left: f, right: t)
        case 3: return .split(feature: feature, threshold: atMost, defaultLeft: !missingTrue, rule: .numeric, left: f, right: t)
        default: return nil
        }
    }

    /// The operator's outputs for an input matrix: classifiers give (label, probabilities),
    /// regressors their predictions.
    func run(_ x: Tensor) throws(ImportError) -> [Tensor] {
        let (rows, columns) = x.matrixShape
        guard columns >= featureCount else { throw .invalid("tree ensemble: \(columns) input columns, the trees read \(featureCount)") }
        var matrix = try x.doubles("tree ensemble")
        if columns > featureCount {
            // The trees read the first columns only; keep those, so rows have the trees' width.
            matrix = (0..<rows).flatMap { r in matrix[(r * columns)..<(r * columns + featureCount)] }
        }
        var scores = walker.predict(matrix, rows: rows)
        guard let labels else {
            return [Tensor(shape: [rows, model.classCount], elements: .float(scores.map { Float($0) }))]
        }
        if binary {
            var two = [Float](repeating: 0, count: rows * 2)
            for r in 0..<rows {
                two[r * 2 + 1] = Float(scores[r])
                two[r * 2] = 1 - Float(scores[r])
            }
            scores = two.map(Double.init)
        }
        let width = labels.count
        var label = [Int64](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = 0
            for c in 1..<width where scores[r * width + c] > scores[r * width + best] { best = c }
            label[r] = Int64(best)
        }
        return [Tensor(shape: [rows], elements: .int64(label)), Tensor(shape: [rows, width], elements: .float(scores.map { Float($0) }))]
    }
}
