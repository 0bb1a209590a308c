/// A GBDT model laid out for serving: each node in one 24-byte record (threshold or leaf
/// value, feature, children, default side), so a step of a tree walk touches one cache line,
/// and batches scored tree by tree (a tree's nodes stay in the L1 cache while every row of the
/// batch walks it). Gives exactly `GBDTModel.predict`'s numbers.
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

    /// Predictions for a row-major matrix, as `GBDTModel.predict`.
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
                guard let base = x.baseAddress, let node0 = nodes.baseAddress else { return }
                for (tree, root) in roots.enumerated() {
                    let c = tree % k
                    for r in 0..<rows {
                        let row = base + r * columns
                        var node = node0 + Int(root)
                        while node.pointee.feature >= 0 {
                            let v = row[Int(node.pointee.feature)]
                            let goLeft = v.isNaN ? node.pointee.defaultLeft : v <= node.pointee.threshold
                            node = node0 + Int(goLeft ? node.pointee.left : node.pointee.right)
                        }
                        scores[r * k + c] += node.pointee.threshold
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
