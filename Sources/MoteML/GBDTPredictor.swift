/// A GBDT model laid out for serving: each node in one 24-byte record (threshold or leaf
/// value, feature, children, default side, rule), so a step of a tree walk touches one cache
/// line, and batches scored tree by tree (a tree's nodes stay in the L1 cache while every row
/// of the batch walks it). `GBDTModel.predict` scores through it.
public struct GBDTPredictor: Sendable {
    struct Node {
        /// The split threshold, the leaf's value, or a categorical node's set index.
        var threshold: Double
        /// The feature tested; -1 for a leaf.
        var feature: Int32
        var left: Int32
        var right: Int32
        var defaultLeft: Bool
        /// `SplitRule.rawValue`.
        var rule: UInt8
    }

    let nodes: [Node]
    let roots: [Int32]
    /// Per tree, the output it adds to.
    let treeOutput: [Int32]
    let categoryBits: [UInt32]
    let categoryBounds: [Int32]
    let output: GBDTOutput
    /// Bit-vector scoring, when every split is numeric and no tree has more than 64 leaves.
    let quick: QuickScorer?
    public let objective: GBDTObjective
    public let classCount: Int
    public let baseScores: [Double]
    public let featureCount: Int

    /// Bytes the serving layout holds (nodes, roots, category sets, bit vectors).
    public var layoutBytes: Int {
        var bytes = nodes.count * MemoryLayout<Node>.stride + (roots.count + treeOutput.count + categoryBounds.count) * 4 + categoryBits.count * 4
        if let q = quick {
            bytes += (q.featureStart.count + q.nodeTree.count + q.missingStart.count + q.missingTree.count) * 4
            bytes += (q.thresholds.count + q.leafValues.count) * 8 + (q.masks.count + q.missingMasks.count) * 8
        }
        return bytes
    }

    /// `bitVectors: false` always walks the trees (tests compare the two schemes).
    public init(_ model: GBDTModel, bitVectors: Bool = true) {
        var nodes: [Node] = []
        nodes.reserveCapacity(model.feature.count)
        for n in 0..<model.feature.count {
            let leaf = model.feature[n] < 0
            nodes.append(
                Node(
                    threshold: leaf ? model.value[n] : model.threshold[n], feature: model.feature[n], left: model.left[n], right: model.right[n],
                    defaultLeft: model.defaultLeft[n], rule: model.rule.isEmpty ? 0 : model.rule[n].rawValue))
        }
        self.nodes = nodes
        self.roots = model.roots
        self.treeOutput =
            model.treeOutput.isEmpty ? model.roots.indices.map { Int32($0 % model.classCount) } : model.treeOutput
        self.categoryBits = model.categoryBits
        self.categoryBounds = model.categoryBounds
        self.output = model.output
        self.quick = bitVectors ? QuickScorer(model) : nil
        self.objective = model.objective
        self.classCount = model.classCount
        self.baseScores = model.baseScores
        self.featureCount = model.featureCount
    }

    /// Predictions for a row-major matrix (see `GBDTModel.predict`).
    public func predict(_ x: [Double], rows: Int) -> [Double] {
        x.withUnsafeBufferPointer { predict($0, rows: rows) }
    }

    /// Predictions for a row-major matrix in memory the caller owns.
    public func predict(_ x: UnsafeBufferPointer<Double>, rows: Int) -> [Double] {
        let k = classCount
        let columns = featureCount
        let single = output.singlePrecision
        var out = [Double](repeating: 0, count: rows * k)
        out.withUnsafeMutableBufferPointer { scores in
            if !output.baseLast {
                for r in 0..<rows { for c in 0..<k { scores[r * k + c] = single ? Double(Float(baseScores[c])) : baseScores[c] } }
            }
            if let quick, let base = x.baseAddress {
                // The same leaves as the tree walk, summed in the same order.
                treeOutput.withUnsafeBufferPointer { outputs in
                    quick.accumulate(base, rows: rows, columns: columns, outputs: outputs, scores: scores.baseAddress!, k: k, single: single)
                }
                for r in 0..<rows { finish(scores.baseAddress! + r * k) }
                return
            }
            nodes.withUnsafeBufferPointer { nodes in
                categoryBits.withUnsafeBufferPointer { bits in
                    categoryBounds.withUnsafeBufferPointer { bounds in
                        guard let base = x.baseAddress, let node0 = nodes.baseAddress.map({ UnsafePointer($0) }) else { return }
                        /// The rules other than `.numeric` (imported models only).
                        func otherRule(_ node: UnsafePointer<Node>, _ v: Double) -> Bool {
                            if node.pointee.rule == SplitRule.zeroAsMissing.rawValue {
                                if v.isNaN || (v >= -1e-35 && v <= 1e-35) { return node.pointee.defaultLeft }
                                return v <= node.pointee.threshold
                            }
                            // Categorical: the integer part (truncated, as C casts) in the set goes left.
                            guard v > -1, v < 2_147_483_648 else { return false }
                            let category = Int(v)
                            let set = Int(node.pointee.threshold)
                            let word = Int(bounds[set]) + category / 32
                            guard word < Int(bounds[set + 1]) else { return false }
                            return bits[word] >> UInt32(category % 32) & 1 == 1
                        }
                        @inline(__always) func step(_ node: UnsafePointer<Node>, _ row: UnsafePointer<Double>) -> UnsafePointer<Node> {
                            let v = row[Int(node.pointee.feature)]
                            let goLeft =
                                node.pointee.rule == 0
                                ? (v.isNaN ? node.pointee.defaultLeft : v <= node.pointee.threshold) : otherRule(node, v)
                            return node0 + Int(goLeft ? node.pointee.left : node.pointee.right)
                        }
                        /// Adds a leaf to a sum, in the model's precision.
                        @inline(__always) func add(_ sum: inout Double, _ leaf: Double) {
                            sum = single ? Double(Float(sum) + Float(leaf)) : sum + leaf
                        }
                        /// Four walks side by side (independent loads overlap); their leaves.
                        @inline(__always) func walk4(
                            _ starts: (UnsafePointer<Node>, UnsafePointer<Node>, UnsafePointer<Node>, UnsafePointer<Node>),
                            _ r0: UnsafePointer<Double>, _ r1: UnsafePointer<Double>, _ r2: UnsafePointer<Double>, _ r3: UnsafePointer<Double>
                        ) -> (UnsafePointer<Node>, UnsafePointer<Node>, UnsafePointer<Node>, UnsafePointer<Node>) {
                            var (n0, n1, n2, n3) = starts
                            while true {
                                let a0 = n0.pointee.feature >= 0
                                let a1 = n1.pointee.feature >= 0
                                let a2 = n2.pointee.feature >= 0
                                let a3 = n3.pointee.feature >= 0
                                if !(a0 || a1 || a2 || a3) { break }
                                if a0 { n0 = step(n0, r0) }
                                if a1 { n1 = step(n1, r1) }
                                if a2 { n2 = step(n2, r2) }
                                if a3 { n3 = step(n3, r3) }
                            }
                            return (n0, n1, n2, n3)
                        }
                        treeOutput.withUnsafeBufferPointer { outputs in
                            // Rows past the last full group of four: each walks four trees side by
                            // side instead (a single-row request is all tail; its walks overlap the
                            // same way). Each output still sums its trees in tree order.
                            let tail = rows - rows % 4
                            for r in tail..<rows {
                                let row = base + r * columns
                                let s = scores.baseAddress! + r * k
                                var t = 0
                                while t + 4 <= roots.count {
                                    let (n0, n1, n2, n3) = walk4(
                                        (node0 + Int(roots[t]), node0 + Int(roots[t + 1]), node0 + Int(roots[t + 2]), node0 + Int(roots[t + 3])), row, row,
                                        row, row)
                                    add(&s[Int(outputs[t])], n0.pointee.threshold)
                                    add(&s[Int(outputs[t + 1])], n1.pointee.threshold)
                                    add(&s[Int(outputs[t + 2])], n2.pointee.threshold)
                                    add(&s[Int(outputs[t + 3])], n3.pointee.threshold)
                                    t += 4
                                }
                                while t < roots.count {
                                    var node = node0 + Int(roots[t])
                                    while node.pointee.feature >= 0 { node = step(node, row) }
                                    add(&s[Int(outputs[t])], node.pointee.threshold)
                                    t += 1
                                }
                            }
                            guard tail > 0 else { return }
                            for (tree, root) in roots.enumerated() {
                                let c = Int(outputs[tree])
                                let start = node0 + Int(root)
                                // Four rows walk the tree side by side.
                                var r = 0
                                while r < tail {
                                    let r0 = base + r * columns
                                    let r1 = r0 + columns
                                    let r2 = r1 + columns
                                    let r3 = r2 + columns
                                    let (n0, n1, n2, n3) = walk4((start, start, start, start), r0, r1, r2, r3)
                                    add(&scores[r * k + c], n0.pointee.threshold)
                                    add(&scores[(r + 1) * k + c], n1.pointee.threshold)
                                    add(&scores[(r + 2) * k + c], n2.pointee.threshold)
                                    add(&scores[(r + 3) * k + c], n3.pointee.threshold)
                                    r += 4
                                }
                            }
                        }
                    }
                }
            }
            for r in 0..<rows { finish(scores.baseAddress! + r * k) }
        }
        return out
    }

    /// Base scores (when added last), averaging and the link, on one row's sums.
    @inline(__always)
    private func finish(_ s: UnsafeMutablePointer<Double>) {
        let k = classCount
        if output.singlePrecision {
            for c in 0..<k {
                var v = Float(s[c])
                if output.baseLast { v += Float(baseScores[c]) }
                if output.divisor != 1 { v /= Float(output.divisor) }
                s[c] = Double(v)
            }
            switch output.link {
            case .identity: break
            case .sigmoid, .sigmoidEach:
                for c in 0..<k { s[c] = Double(1 / (1 + _expf(-Float(output.scale) * Float(s[c])))) }
            case .softmax: softmaxFloat(s, k)
            case .exp: for c in 0..<k { s[c] = Double(_expf(Float(s[c]))) }
            }
            return
        }
        for c in 0..<k {
            if output.baseLast { s[c] += baseScores[c] }
            if output.divisor != 1 { s[c] /= output.divisor }
        }
        switch output.link {
        case .identity: break
        case .sigmoid, .sigmoidEach:
            if output.scale == 1 {
                for c in 0..<k { s[c] = sigmoid(s[c]) }
            } else {
                for c in 0..<k { s[c] = 1 / (1 + (-output.scale * s[c]).exp) }
            }
        case .softmax: softmax(s, k)
        case .exp: for c in 0..<k { s[c] = s[c].exp }
        }
    }
}

/// Softmax of `count` scores in place, in 32-bit floats.
@inline(__always)
func softmaxFloat(_ scores: UnsafeMutablePointer<Double>, _ count: Int) {
    var largest = -Float.infinity
    for c in 0..<count { largest = max(largest, Float(scores[c])) }
    var total: Float = 0
    for c in 0..<count {
        let e = _expf(Float(scores[c]) - largest)
        scores[c] = Double(e)
        total += e
    }
    for c in 0..<count { scores[c] = Double(Float(scores[c]) / total) }
}
