import Dispatch

/// A pointer handed to worker threads that write disjoint parts of one buffer.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// Grows one tree leaf-wise over binned columns. Buffers (row partition, histograms) are
/// allocated once and reused for every tree.
struct TreeBuilder {
    let rows: Int
    let columns: Int
    /// Column-major bins (`bins[f * rows + r]`), for partitioning by one feature.
    let bins: [UInt8]
    /// Row-major bins (`rowBins[r * columns + f]`), for histograms.
    let rowBins: [UInt8]
    let parameters: GBDTParameters
    /// Per-thread scratch histograms, summed into the leaf's slot.
    var scratchGradHess: [[Double]]
    var scratchCounts: [[Int32]]
    /// Room for the right side while partitioning.
    var partitionScratch: [Int32]
    /// Where each leaf of the last grown tree is: (start, end, node).
    var lastLeaves: [(start: Int, end: Int, node: Int)] = []
    /// Value bins per feature (+1 for the missing bin 0) are at most 256.
    static let slots = 256

    /// Row indices; each leaf owns a contiguous range.
    var indices: [Int32]
    /// Per leaf slot: (gradient, hessian) per feature and bin, and counts.
    var gradHess: [[Double]]
    var counts: [[Int32]]

    struct Leaf {
        var start: Int
        var end: Int
        var sumGrad: Double
        var sumHess: Double
        var depth: Int
        var node: Int
        var split: Split?
    }

    struct Split {
        var gain: Double
        var feature: Int
        var bin: Int
        var defaultLeft: Bool
        var leftGrad: Double
        var leftHess: Double
        var leftCount: Int
    }

    init(rows: Int, columns: Int, bins: [UInt8], rowBins: [UInt8], parameters: GBDTParameters) {
        self.rows = rows
        self.columns = columns
        self.bins = bins
        self.rowBins = rowBins
        self.parameters = parameters
        let threads = max(1, parameters.threads)
        scratchGradHess = (0..<threads).map { _ in [Double](repeating: 0, count: columns * TreeBuilder.slots * 2) }
        scratchCounts = (0..<threads).map { _ in [Int32](repeating: 0, count: columns * TreeBuilder.slots) }
        indices = [Int32](repeating: 0, count: rows)
        partitionScratch = [Int32](repeating: 0, count: rows)
        let leaves = max(2, parameters.numLeaves)
        gradHess = (0..<leaves).map { _ in [Double](repeating: 0, count: columns * TreeBuilder.slots * 2) }
        counts = (0..<leaves).map { _ in [Int32](repeating: 0, count: columns * TreeBuilder.slots) }
    }

    mutating func grow(grad: [Double], hess: [Double], rng: inout SplitMix64) -> BinTree {
        let p = parameters
        // Rows of this tree (bagging) and features it may split on.
        var n = 0
        for r in 0..<rows where p.baggingFraction >= 1 || rng.unit() < p.baggingFraction {
            indices[n] = Int32(r)
            n += 1
        }
        var active = [Bool](repeating: true, count: columns)
        if p.featureFraction < 1 {
            let keep = max(1, Int((Double(columns) * p.featureFraction).rounded()))
            var order = Array(0..<columns)
            for i in stride(from: columns - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            active = [Bool](repeating: false, count: columns)
            for f in order.prefix(keep) { active[f] = true }
        }
        let activeFeatures = (0..<columns).filter { active[$0] }

        var tree = BinTree()
        tree.feature.append(-1)
        tree.threshold.append(0)
        tree.defaultLeft.append(false)
        tree.left.append(-1)
        tree.right.append(-1)
        tree.value.append(0)
        var sumG = 0.0
        var sumH = 0.0
        for i in 0..<n {
            sumG += grad[Int(indices[i])]
            sumH += hess[Int(indices[i])]
        }
        var leaves = [Leaf(start: 0, end: n, sumGrad: sumG, sumHess: sumH, depth: 0, node: 0, split: nil)]
        guard n > 0 else { return tree }
        buildHistogram(slot: 0, start: 0, end: n, features: activeFeatures, grad: grad, hess: hess)
        leaves[0].split = bestSplit(slot: 0, leaf: leaves[0], features: activeFeatures)

        while leaves.count < max(2, p.numLeaves) {
            var chosen = -1
            var bestGain = 0.0
            for (k, leaf) in leaves.enumerated() {
                if let split = leaf.split, split.gain > bestGain {
                    bestGain = split.gain
                    chosen = k
                }
            }
            guard chosen >= 0, let split = leaves[chosen].split else { break }
            let parent = leaves[chosen]
            let mid = partition(parent, split)
            // Tree nodes: the leaf becomes a split with two new leaves.
            let leftNode = tree.feature.count
            for _ in 0..<2 {
                tree.feature.append(-1)
                tree.threshold.append(0)
                tree.defaultLeft.append(false)
                tree.left.append(-1)
                tree.right.append(-1)
                tree.value.append(0)
            }
            tree.feature[parent.node] = Int32(split.feature)
            tree.threshold[parent.node] = UInt8(split.bin)
            tree.defaultLeft[parent.node] = split.defaultLeft
            tree.left[parent.node] = Int32(leftNode)
            tree.right[parent.node] = Int32(leftNode + 1)

            let leftLeaf = Leaf(
                start: parent.start, end: mid, sumGrad: split.leftGrad, sumHess: split.leftHess, depth: parent.depth + 1, node: leftNode,
                split: nil)
            let rightLeaf = Leaf(
                start: mid, end: parent.end, sumGrad: parent.sumGrad - split.leftGrad, sumHess: parent.sumHess - split.leftHess,
                depth: parent.depth + 1, node: leftNode + 1, split: nil)
            // The parent's slot becomes the larger child's (by subtraction); the smaller child
            // is built into a fresh slot.
            let parentSlot = chosen
            let newSlot = leaves.count
            let leftSmaller = (mid - parent.start) <= (parent.end - mid)
            let small = leftSmaller ? leftLeaf : rightLeaf
            buildHistogram(slot: newSlot, start: small.start, end: small.end, features: activeFeatures, grad: grad, hess: hess)
            subtract(from: parentSlot, newSlot, features: activeFeatures)
            // Keep slot k == leaf k: the larger child takes the parent's place.
            if leftSmaller {
                leaves[chosen] = rightLeaf
                leaves.append(leftLeaf)
            } else {
                leaves[chosen] = leftLeaf
                leaves.append(rightLeaf)
            }
            for k in [chosen, newSlot] {
                let leaf = leaves[k]
                let depthOK = p.maxDepth <= 0 || leaf.depth < p.maxDepth
                leaves[k].split = depthOK && leaf.end - leaf.start >= 2 * p.minDataInLeaf
                    ? bestSplit(slot: k, leaf: leaf, features: activeFeatures) : nil
            }
        }
        for leaf in leaves {
            tree.value[leaf.node] = -leaf.sumGrad / (leaf.sumHess + p.lambdaL2) * p.learningRate
        }
        lastLeaves = leaves.map { ($0.start, $0.end, $0.node) }
        return tree
    }

    /// Adds the last tree's leaf values to the scores of the rows in its leaves (all rows
    /// when there is no bagging): one pass over the partition, no tree walk.
    func addLeafValues(of tree: BinTree, to scores: inout [Double], offset: Int = 0) {
        indices.withUnsafeBufferPointer { idx in
            scores.withUnsafeMutableBufferPointer { s in
                for leaf in lastLeaves {
                    let v = tree.value[leaf.node]
                    for i in leaf.start..<leaf.end { s[offset + Int(idx[i])] += v }
                }
            }
        }
    }

    /// Moves the leaf's rows that go left to the front of its range, keeping both sides in
    /// ascending row order (so histogram building walks memory forward); returns where the
    /// right side starts.
    mutating func partition(_ leaf: Leaf, _ split: Split) -> Int {
        let rows = self.rows
        let threshold = UInt8(split.bin)
        let defaultLeft = split.defaultLeft
        return bins.withUnsafeBufferPointer { bins in
            partitionScratch.withUnsafeMutableBufferPointer { right in
                indices.withUnsafeMutableBufferPointer { idx in
                    let column = bins.baseAddress! + split.feature * rows
                    var l = leaf.start
                    var r = 0
                    for i in leaf.start..<leaf.end {
                        let row = idx[i]
                        let b = column[Int(row)]
                        if b == 0 ? defaultLeft : b <= threshold {
                            idx[l] = row
                            l += 1
                        } else {
                            right[r] = row
                            r += 1
                        }
                    }
                    for k in 0..<r { idx[l + k] = right[k] }
                    return l
                }
            }
        }
    }

    /// Sums gradient, hessian and count per bin for the rows in `start..<end`. Rows are split
    /// across threads, each filling its own scratch histogram from row-major bins (one row's
    /// bins are contiguous), and the scratch histograms are summed into the slot in a fixed
    /// order, so the result does not depend on timing.
    mutating func buildHistogram(slot: Int, start: Int, end: Int, features: [Int], grad: [Double], hess: [Double]) {
        let columns = self.columns
        let slots = TreeBuilder.slots
        let count = end - start
        let threads = count < 8192 ? 1 : max(1, min(parameters.threads, scratchGradHess.count))
        if threads == 1 {
            // One thread: accumulate straight into the slot, no scratch and no merge.
            accumulate(into: slot, start: start, end: end, features: features, grad: grad, hess: hess)
            return
        }
        for t in 0..<threads {
            scratchGradHess[t].withUnsafeMutableBufferPointer { gh in
                for f in features { (gh.baseAddress! + f * slots * 2).update(repeating: 0, count: slots * 2) }
            }
            scratchCounts[t].withUnsafeMutableBufferPointer { c in
                for f in features { (c.baseAddress! + f * slots).update(repeating: 0, count: slots) }
            }
        }
        var ghPointers: [SharedPointer<Double>] = []
        var countPointers: [SharedPointer<Int32>] = []
        for t in 0..<threads {
            ghPointers.append(scratchGradHess[t].withUnsafeMutableBufferPointer { SharedPointer(base: $0.baseAddress!) })
            countPointers.append(scratchCounts[t].withUnsafeMutableBufferPointer { SharedPointer(base: $0.baseAddress!) })
        }
        rowBins.withUnsafeBufferPointer { rowBins in
            indices.withUnsafeBufferPointer { idx in
                grad.withUnsafeBufferPointer { g in
                    hess.withUnsafeBufferPointer { h in
                        let binsP = SharedPointer(base: UnsafeMutablePointer(mutating: rowBins.baseAddress!))
                        let idxP = SharedPointer(base: UnsafeMutablePointer(mutating: idx.baseAddress!))
                        let gP = SharedPointer(base: UnsafeMutablePointer(mutating: g.baseAddress!))
                        let hP = SharedPointer(base: UnsafeMutablePointer(mutating: h.baseAddress!))
                        let ghs = ghPointers
                        let cnts = countPointers
                        let work: @Sendable (Int) -> Void = { t in
                            TreeBuilder.addRows(
                                (start + count * t / threads)..<(start + count * (t + 1) / threads), features: features,
                                columns: columns, rowBins: binsP.base, indices: idxP.base, grad: gP.base, hess: hP.base,
                                into: ghs[t].base, counts: cnts[t].base)
                        }
                        if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
                    }
                }
            }
        }
        // Sum the scratch histograms into the slot (only the features in use).
        gradHess[slot].withUnsafeMutableBufferPointer { gh in
            counts[slot].withUnsafeMutableBufferPointer { cnt in
                let dstGH = gh.baseAddress!
                let dstC = cnt.baseAddress!
                for f in features {
                    let ghBase = f * slots * 2
                    let cBase = f * slots
                    (dstGH + ghBase).update(from: ghPointers[0].base + ghBase, count: slots * 2)
                    (dstC + cBase).update(from: countPointers[0].base + cBase, count: slots)
                    for t in 1..<max(1, threads) {
                        let srcGH = ghPointers[t].base + ghBase
                        let srcC = countPointers[t].base + cBase
                        for i in 0..<(slots * 2) { dstGH[ghBase + i] += srcGH[i] }
                        for i in 0..<slots { dstC[cBase + i] += srcC[i] }
                    }
                }
            }
        }
    }

    /// Single-threaded histogram of `start..<end` written directly into a slot.
    mutating func accumulate(into slot: Int, start: Int, end: Int, features: [Int], grad: [Double], hess: [Double]) {
        let columns = self.columns
        let slots = TreeBuilder.slots
        gradHess[slot].withUnsafeMutableBufferPointer { gh in
            counts[slot].withUnsafeMutableBufferPointer { cnt in
                for f in features {
                    (gh.baseAddress! + f * slots * 2).update(repeating: 0, count: slots * 2)
                    (cnt.baseAddress! + f * slots).update(repeating: 0, count: slots)
                }
                rowBins.withUnsafeBufferPointer { rowBins in
                    indices.withUnsafeBufferPointer { idx in
                        grad.withUnsafeBufferPointer { g in
                            hess.withUnsafeBufferPointer { h in
                                TreeBuilder.addRows(
                                    start..<end, features: features, columns: columns, rowBins: rowBins.baseAddress!,
                                    indices: idx.baseAddress!, grad: g.baseAddress!, hess: h.baseAddress!, into: gh.baseAddress!,
                                    counts: cnt.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The histogram inner loop: for each row in `range` of the partition, its gradient,
    /// hessian and a count go to the bin of each feature (row-major bins: one row's bins are
    /// contiguous). Shared by the single-threaded and the per-thread paths.
    @inline(__always)
    static func addRows(
        _ range: Range<Int>, features: [Int], columns: Int, rowBins: UnsafePointer<UInt8>, indices: UnsafePointer<Int32>,
        grad: UnsafePointer<Double>, hess: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>,
        counts c: UnsafeMutablePointer<Int32>
    ) {
        let slots = TreeBuilder.slots
        let allFeatures = features.count == columns
        for i in range {
            let r = Int(indices[i])
            let gr = grad[r]
            let hr = hess[r]
            let row = rowBins + r * columns
            if allFeatures {
                for f in 0..<columns {
                    let cell = f * slots + Int(row[f])
                    out[2 * cell] += gr
                    out[2 * cell + 1] += hr
                    c[cell] += 1
                }
            } else {
                for f in features {
                    let cell = f * slots + Int(row[f])
                    out[2 * cell] += gr
                    out[2 * cell + 1] += hr
                    c[cell] += 1
                }
            }
        }
    }

    /// `histogram[slot] -= histogram[other]` for the given features.
    mutating func subtract(from slot: Int, _ other: Int, features: [Int]) {
        let slots = TreeBuilder.slots
        let otherGH = gradHess[other]
        let otherCount = counts[other]
        gradHess[slot].withUnsafeMutableBufferPointer { gh in
            counts[slot].withUnsafeMutableBufferPointer { cnt in
                for f in features {
                    for i in (f * slots * 2)..<((f + 1) * slots * 2) { gh[i] -= otherGH[i] }
                    for i in (f * slots)..<((f + 1) * slots) { cnt[i] -= otherCount[i] }
                }
            }
        }
    }

    /// The best split of a leaf over its histogram: for each feature and bin threshold, with
    /// missing values sent left or right, the largest gain under the leaf constraints.
    func bestSplit(slot: Int, leaf: Leaf, features: [Int]) -> Split? {
        let p = parameters
        let slots = TreeBuilder.slots
        let lambda = p.lambdaL2
        let totalCount = leaf.end - leaf.start
        let minData = max(1, p.minDataInLeaf)
        let parentScore = leaf.sumGrad * leaf.sumGrad / (leaf.sumHess + lambda)
        var best: Split?
        gradHess[slot].withUnsafeBufferPointer { gh in
            counts[slot].withUnsafeBufferPointer { cnt in
                for f in features {
                    let base = f * slots
                    let missingG = gh[2 * base]
                    let missingH = gh[2 * base + 1]
                    let missingC = Int(cnt[base])
                    var g = 0.0
                    var h = 0.0
                    var c = 0
                    for b in 1..<(slots - 1) {
                        g += gh[2 * (base + b)]
                        h += gh[2 * (base + b) + 1]
                        c += Int(cnt[base + b])
                        if c == 0 { continue }
                        if c == totalCount { break }
                        for missingLeft in [false, true] {
                            let lg = missingLeft ? g + missingG : g
                            let lh = missingLeft ? h + missingH : h
                            let lc = missingLeft ? c + missingC : c
                            let rc = totalCount - lc
                            if lc < minData || rc < minData { continue }
                            let rg = leaf.sumGrad - lg
                            let rh = leaf.sumHess - lh
                            if lh < p.minSumHessian || rh < p.minSumHessian { continue }
                            let gain = lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parentScore
                            if gain > (best?.gain ?? 1e-12) {
                                best = Split(gain: gain, feature: f, bin: b, defaultLeft: missingLeft, leftGrad: lg, leftHess: lh, leftCount: lc)
                            }
                            if missingC == 0 { break }
                        }
                    }
                }
            }
        }
        return best
    }
}
