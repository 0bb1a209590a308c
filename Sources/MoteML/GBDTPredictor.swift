/// A GBDT model laid out for serving: each node in one 24-byte record (threshold or leaf
/// value, feature, children, default side), so a step of a tree walk touches one cache line,
/// and batches scored tree by tree (a tree's nodes stay in the L1 cache while every row of the
/// batch walks it). `GBDTModel.predict` scores through it.
public struct GBDTPredictor: Sendable {
    struct Node {
        /// The split threshold, or the leaf's value.
        var threshold: Double
        /// The feature tested; -1 for a leaf.
        var feature: Int32
        var left: Int32
        var right: Int32
        var defaultLeft: Bool
    }

    let nodes: [Node]
    let roots: [Int32]
    public let objective: GBDTObjective
    public let classCount: Int
    public let baseScores: [Double]
    public let featureCount: Int

    public init(_ model: GBDTModel) {
        var nodes: [Node] = []
        nodes.reserveCapacity(model.feature.count)
        for n in 0..<model.feature.count {
            let leaf = model.feature[n] < 0
            nodes.append(
                Node(
                    threshold: leaf ? model.value[n] : model.threshold[n], feature: model.feature[n], left: model.left[n], right: model.right[n],
                    defaultLeft: model.defaultLeft[n]))
        }
        self.nodes = nodes
        self.roots = model.roots
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
        var out = [Double](repeating: 0, count: rows * k)
        out.withUnsafeMutableBufferPointer { scores in
            for r in 0..<rows { for c in 0..<k { scores[r * k + c] = baseScores[c] } }
            nodes.withUnsafeBufferPointer { nodes in
                guard let base = x.baseAddress, let node0 = nodes.baseAddress.map({ UnsafePointer($0) }) else { return }
                @inline(__always) func step(_ node: UnsafePointer<Node>, _ row: UnsafePointer<Double>) -> UnsafePointer<Node> {
                    let v = row[Int(node.pointee.feature)]
                    let goLeft = v.isNaN ? node.pointee.defaultLeft : v <= node.pointee.threshold
                    return node0 + Int(goLeft ? node.pointee.left : node.pointee.right)
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
                // Rows past the last full group of four: each walks four trees side by side
                // instead (a single-row request is all tail; its walks overlap the same way).
                let tail = rows - rows % 4
                for r in tail..<rows {
                    let row = base + r * columns
                    let s = scores.baseAddress! + r * k
                    var t = 0
                    var c = 0
                    while t + 4 <= roots.count {
                        let (n0, n1, n2, n3) = walk4(
                            (node0 + Int(roots[t]), node0 + Int(roots[t + 1]), node0 + Int(roots[t + 2]), node0 + Int(roots[t + 3])), row, row, row, row)
                        // Tree t adds to class t % k (kept by counting: no division per tree).
                        s[c] += n0.pointee.threshold
                        c = c + 1 == k ? 0 : c + 1
                        s[c] += n1.pointee.threshold
                        c = c + 1 == k ? 0 : c + 1
                        s[c] += n2.pointee.threshold
                        c = c + 1 == k ? 0 : c + 1
                        s[c] += n3.pointee.threshold
                        c = c + 1 == k ? 0 : c + 1
                        t += 4
                    }
                    while t < roots.count {
                        var node = node0 + Int(roots[t])
                        while node.pointee.feature >= 0 { node = step(node, row) }
                        s[c] += node.pointee.threshold
                        c = c + 1 == k ? 0 : c + 1
                        t += 1
                    }
                }
                guard tail > 0 else { return }
                for (tree, root) in roots.enumerated() {
                    let c = tree % k
                    let start = node0 + Int(root)
                    // Four rows walk the tree side by side.
                    var r = 0
                    while r < tail {
                        let r0 = base + r * columns
                        let r1 = r0 + columns
                        let r2 = r1 + columns
                        let r3 = r2 + columns
                        let (n0, n1, n2, n3) = walk4((start, start, start, start), r0, r1, r2, r3)
                        scores[r * k + c] += n0.pointee.threshold
                        scores[(r + 1) * k + c] += n1.pointee.threshold
                        scores[(r + 2) * k + c] += n2.pointee.threshold
                        scores[(r + 3) * k + c] += n3.pointee.threshold
                        r += 4
                    }
                }
            }
            for r in 0..<rows {
                let s = scores.baseAddress! + r * k
                switch objective {
                case .regression: break
                case .binary: s[0] = sigmoid(s[0])
                case .multiclass: softmax(s, k)
                }
            }
        }
        return out
    }
}
