/// Tree-ensemble scoring by bit vectors (the QuickScorer scheme of Lucchese et al., 2015),
/// for ensembles of numeric splits and at most 64 leaves a tree. Leaves of each tree are
/// numbered left to right; a row starts with every leaf of every tree possible (all bits set)
/// and, feature by feature, walks that feature's split thresholds of all trees in ascending
/// order: each node whose threshold is below the value sends the row right, which rules out
/// the leaves of its left subtree (AND with the node's mask). The exit leaf of a tree is then
/// its leftmost remaining leaf (the lowest set bit). The walks over sorted thresholds stop at
/// the first threshold not below the value, so the branches follow the data predictably,
/// where a tree walk takes one unpredictable branch per level.
///
/// It picks exactly the leaf a tree walk picks (`value <= threshold` goes left, NaN to the
/// node's default side), so `GBDTPredictor` sums the same leaves in the same order either way.
struct QuickScorer: Sendable {
    let treeCount: Int
    let featureCount: Int
    /// Nodes of feature `f` are `featureStart[f]..<featureStart[f + 1]`, by threshold ascending.
    let featureStart: [Int32]
    let thresholds: [Double]
    let nodeTree: [Int32]
    let masks: [UInt64]
    /// Per feature, the nodes a missing value (NaN) sends right.
    let missingStart: [Int32]
    let missingTree: [Int32]
    let missingMasks: [UInt64]
    /// Leaf values, tree `t`'s leaf `k` at `t * 64 + k`.
    let leafValues: [Double]

    /// nil when the model has a non-numeric split or a tree with more than 64 leaves.
    init?(_ model: GBDTModel) {
        guard model.rule.allSatisfy({ $0 == .numeric }) else { return nil }
        struct Entry {
            var feature: Int32
            var threshold: Double
            var tree: Int32
            var mask: UInt64
            var missingRight: Bool
        }
        var entries: [Entry] = []
        var leafValues = [Double](repeating: 0, count: model.roots.count * 64)
        for (tree, root) in model.roots.enumerated() {
            // In-order walk: leaves numbered left to right; each inner node learns the range of
            // leaves in its left subtree.
            var nextLeaf = 0
            // (node, stage): stage 0 = enter, 1 = left done (record the left range), 2 = done.
            var stack: [(node: Int, stage: Int, firstLeaf: Int)] = [(Int(root), 0, 0)]
            var steps = 0
            while let (node, stage, first) = stack.popLast() {
                steps += 1
                guard steps <= 4 * model.feature.count + 4 else { return nil }
                if model.feature[node] < 0 {
                    guard nextLeaf < 64 else { return nil }
                    leafValues[tree * 64 + nextLeaf] = model.value[node]
                    nextLeaf += 1
                    continue
                }
                switch stage {
                case 0:
                    stack.append((node, 1, nextLeaf))
                    stack.append((Int(model.left[node]), 0, 0))
                case 1:
                    // Leaves first..<nextLeaf are the left subtree's.
                    let count = nextLeaf - first
                    let ones: UInt64 = count >= 64 ? ~0 : ((1 << UInt64(count)) - 1)
                    entries.append(
                        Entry(
                            feature: model.feature[node], threshold: model.threshold[node], tree: Int32(tree), mask: ~(ones << UInt64(first)),
                            missingRight: !model.defaultLeft[node]))
                    stack.append((Int(model.right[node]), 0, 0))
                default:
                    break
                }
            }
        }
        entries.sort { $0.feature != $1.feature ? $0.feature < $1.feature : $0.threshold < $1.threshold }
        var featureStart = [Int32](repeating: 0, count: model.featureCount + 1)
        var missingStart = [Int32](repeating: 0, count: model.featureCount + 1)
        var missingTree: [Int32] = []
        var missingMasks: [UInt64] = []
        var k = 0
        for f in 0..<model.featureCount {
            featureStart[f] = Int32(k)
            missingStart[f] = Int32(missingTree.count)
            while k < entries.count, Int(entries[k].feature) == f {
                if entries[k].missingRight {
                    missingTree.append(entries[k].tree)
                    missingMasks.append(entries[k].mask)
                }
                k += 1
            }
        }
        featureStart[model.featureCount] = Int32(k)
        missingStart[model.featureCount] = Int32(missingTree.count)
        self.treeCount = model.roots.count
        self.featureCount = model.featureCount
        self.featureStart = featureStart
        self.thresholds = entries.map(\.threshold)
        self.nodeTree = entries.map(\.tree)
        self.masks = entries.map(\.mask)
        self.missingStart = missingStart
        self.missingTree = missingTree
        self.missingMasks = missingMasks
        self.leafValues = leafValues
    }

    /// Adds each tree's exit leaf of each row to `scores` (`k` per row, tree `t` to output
    /// `outputs[t]`), in tree order, in 32-bit floats when `single`.
    func accumulate(
        _ x: UnsafePointer<Double>, rows: Int, columns: Int, outputs: UnsafeBufferPointer<Int32>, scores: UnsafeMutablePointer<Double>, k: Int,
        single: Bool
    ) {
        let trees = treeCount
        let bits = UnsafeMutablePointer<UInt64>.allocate(capacity: max(trees, 1))
        defer { bits.deallocate() }
        featureStart.withUnsafeBufferPointer { start in
            thresholds.withUnsafeBufferPointer { threshold in
                nodeTree.withUnsafeBufferPointer { tree in
                    masks.withUnsafeBufferPointer { mask in
                        missingStart.withUnsafeBufferPointer { missingStart in
                            missingTree.withUnsafeBufferPointer { missingTree in
                                missingMasks.withUnsafeBufferPointer { missingMask in
                                    leafValues.withUnsafeBufferPointer { leaves in
                                        for r in 0..<rows {
                                            let row = x + r * columns
                                            bits.update(repeating: ~0, count: trees)
                                            for f in 0..<featureCount {
                                                let v = row[f]
                                                if v.isNaN {
                                                    var i = Int(missingStart[f])
                                                    let end = Int(missingStart[f + 1])
                                                    while i < end {
                                                        bits[Int(missingTree[i])] &= missingMask[i]
                                                        i += 1
                                                    }
                                                    continue
                                                }
                                                // Nodes whose threshold is below v send it right.
                                                var i = Int(start[f])
                                                let end = Int(start[f + 1])
                                                while i < end, threshold[i] < v {
                                                    bits[Int(tree[i])] &= mask[i]
                                                    i += 1
                                                }
                                            }
                                            let s = scores + r * k
                                            for t in 0..<trees {
                                                let leaf = leaves[t &* 64 &+ bits[t].trailingZeroBitCount]
                                                let c = Int(outputs[t])
                                                s[c] = single ? Double(Float(s[c]) + Float(leaf)) : s[c] + leaf
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
