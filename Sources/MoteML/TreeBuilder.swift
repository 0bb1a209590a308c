import Dispatch

/// A pointer handed to worker threads that write disjoint parts of one buffer.
struct SharedPointer<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
}

/// Grows one tree leaf-wise over binned rows. The rows' bins, gradients and hessians are kept
/// in leaf order: each leaf owns a contiguous range of positions, and a split moves its rows'
/// data (not just their indices) so that building a histogram reads memory front to back
/// (LightGBM's ordered gradients, taken to the bins too). Buffers are allocated once and
/// reused for every tree; the row order carries over from one tree to the next.
struct TreeBuilder {
    let rows: Int
    let columns: Int
    let parameters: GBDTParameters
    /// Value bins per feature (+1 for the missing bin 0) are at most 256.
    static let slots = 256
    /// Doubles per bin: gradient, hessian, row count side by side.
    static let doublesPerBin = 3

    /// Position -> original row.
    var order: [Int32]
    /// Row-major bins in position order (`orderedBins[i * rowStride + f]`), rows padded to
    /// whole 8-byte words so moving a row is a few word copies.
    var orderedBins: [UInt8]
    let rowStride: Int
    /// Gradients and hessians in position order (gathered at the start of each tree).
    var orderedGrad: [Double]
    var orderedHess: [Double]
    /// Room for the right side while partitioning.
    var scratchOrder: [Int32]
    var scratchBins: [UInt8]
    var scratchGrad: [Double]
    var scratchHess: [Double]
    /// Per-thread histograms for row-split building of large leaves.
    var threadHistograms: [[Double]]
    /// Per leaf slot, per feature and bin: (gradient, hessian, row count).
    var gradHess: [[Double]]
    /// Where each leaf of the last grown tree is: (start, end, node), in positions.
    var lastLeaves: [(start: Int, end: Int, node: Int)] = []

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

    init(rows: Int, columns: Int, rowBins: [UInt8], parameters: GBDTParameters) {
        self.rows = rows
        self.columns = columns
        self.parameters = parameters
        order = (0..<rows).map { Int32($0) }
        let rowStride = (columns + 7) / 8 * 8
        self.rowStride = rowStride
        var padded = [UInt8](repeating: 0, count: rows * rowStride)
        padded.withUnsafeMutableBufferPointer { dst in
            rowBins.withUnsafeBufferPointer { src in
                for r in 0..<rows { (dst.baseAddress! + r * rowStride).update(from: src.baseAddress! + r * columns, count: columns) }
            }
        }
        orderedBins = padded
        orderedGrad = [Double](repeating: 0, count: rows)
        orderedHess = [Double](repeating: 0, count: rows)
        scratchOrder = [Int32](repeating: 0, count: rows)
        scratchBins = [UInt8](repeating: 0, count: rows * rowStride)
        scratchGrad = [Double](repeating: 0, count: rows)
        scratchHess = [Double](repeating: 0, count: rows)
        let width = columns * TreeBuilder.slots * TreeBuilder.doublesPerBin
        threadHistograms = (0..<max(1, parameters.threads)).map { _ in [Double](repeating: 0, count: width) }
        gradHess = (0..<max(2, parameters.numLeaves)).map { _ in [Double](repeating: 0, count: width) }
    }

    mutating func grow(grad: [Double], hess: [Double], rng: inout SplitMix64) -> BinTree {
        let p = parameters
        // Rows of this tree (bagging: drawn per original row, moved to the front), then their
        // gradients in position order.
        var n = rows
        if p.baggingFraction < 1 {
            var inBag = [Bool](repeating: false, count: rows)
            for r in 0..<rows { inBag[r] = rng.unit() < p.baggingFraction }
            n = partition(start: 0, end: rows) { position, _ in inBag[Int(position)] }
        }
        order.withUnsafeBufferPointer { order in
            grad.withUnsafeBufferPointer { g in
                hess.withUnsafeBufferPointer { h in
                    orderedGrad.withUnsafeMutableBufferPointer { og in
                        orderedHess.withUnsafeMutableBufferPointer { oh in
                            for i in 0..<n {
                                let r = Int(order[i])
                                og[i] = g[r]
                                oh[i] = h[r]
                            }
                        }
                    }
                }
            }
        }
        var active = [Bool](repeating: true, count: columns)
        if p.featureFraction < 1 {
            let keep = max(1, Int((Double(columns) * p.featureFraction).rounded()))
            var shuffled = Array(0..<columns)
            for i in stride(from: columns - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            active = [Bool](repeating: false, count: columns)
            for f in shuffled.prefix(keep) { active[f] = true }
        }
        let activeFeatures = (0..<columns).filter { active[$0] }

        var tree = BinTree()
        tree.cover.append(Double(n))
        tree.feature.append(-1)
        tree.threshold.append(0)
        tree.defaultLeft.append(false)
        tree.left.append(-1)
        tree.right.append(-1)
        tree.value.append(0)
        var sumG = 0.0
        var sumH = 0.0
        for i in 0..<n {
            sumG += orderedGrad[i]
            sumH += orderedHess[i]
        }
        var leaves = [Leaf(start: 0, end: n, sumGrad: sumG, sumHess: sumH, depth: 0, node: 0, split: nil)]
        guard n > 0 else { return tree }
        buildHistogram(slot: 0, start: 0, end: n, features: activeFeatures)
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
            let feature = split.feature
            let threshold = UInt8(split.bin)
            let defaultLeft = split.defaultLeft
            let mid = partition(start: parent.start, end: parent.end) { _, bins in
                let b = bins[feature]
                return b == 0 ? defaultLeft : b <= threshold
            }
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
            tree.cover.append(Double(mid - parent.start))
            tree.cover.append(Double(parent.end - mid))

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
            buildHistogram(slot: newSlot, start: small.start, end: small.end, features: activeFeatures)
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
    /// when there is no bagging): one pass over the positions, no tree walk.
    func addLeafValues(of tree: BinTree, to scores: inout [Double], offset: Int = 0) {
        order.withUnsafeBufferPointer { order in
            scores.withUnsafeMutableBufferPointer { s in
                for leaf in lastLeaves {
                    let v = tree.value[leaf.node]
                    for i in leaf.start..<leaf.end { s[offset + Int(order[i])] += v }
                }
            }
        }
    }

    /// Moves the rows of `start..<end` for which `goesLeft(originalRow, rowBins)` holds to the
    /// front of the range, with their bins, gradient and hessian, keeping both sides in their
    /// order; returns where the right side starts.
    @inline(__always)
    mutating func partition(start: Int, end: Int, _ goesLeft: (Int32, UnsafePointer<UInt8>) -> Bool) -> Int {
        let stride = rowStride
        let words = stride / 8
        @inline(__always) func copyRow(_ to: UnsafeMutablePointer<UInt8>, _ from: UnsafePointer<UInt8>) {
            let t = UnsafeMutableRawPointer(to)
            let f = UnsafeRawPointer(from)
            for w in 0..<words { t.storeBytes(of: f.load(fromByteOffset: w * 8, as: UInt64.self), toByteOffset: w * 8, as: UInt64.self) }
        }
        var l = start
        var r = 0
        order.withUnsafeMutableBufferPointer { order in
            orderedBins.withUnsafeMutableBufferPointer { bins in
                orderedGrad.withUnsafeMutableBufferPointer { g in
                    orderedHess.withUnsafeMutableBufferPointer { h in
                        scratchOrder.withUnsafeMutableBufferPointer { so in
                            scratchBins.withUnsafeMutableBufferPointer { sb in
                                scratchGrad.withUnsafeMutableBufferPointer { sg in
                                    scratchHess.withUnsafeMutableBufferPointer { sh in
                                        let binBase = bins.baseAddress!
                                        let scratchBase = sb.baseAddress!
                                        for i in start..<end {
                                            let row = binBase + i * stride
                                            if goesLeft(order[i], row) {
                                                if l != i {
                                                    order[l] = order[i]
                                                    g[l] = g[i]
                                                    h[l] = h[i]
                                                    copyRow(binBase + l * stride, row)
                                                }
                                                l += 1
                                            } else {
                                                so[r] = order[i]
                                                sg[r] = g[i]
                                                sh[r] = h[i]
                                                copyRow(scratchBase + r * stride, row)
                                                r += 1
                                            }
                                        }
                                        for k in 0..<r {
                                            order[l + k] = so[k]
                                            g[l + k] = sg[k]
                                            h[l + k] = sh[k]
                                        }
                                        (binBase + l * stride).update(from: scratchBase, count: r * stride)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return l
    }

    /// Sums gradient, hessian and count per bin for the positions `start..<end` (contiguous
    /// memory). Large leaves are split across threads by position, each into its own
    /// histogram, summed into the slot in a fixed order, so the result does not depend on
    /// timing.
    mutating func buildHistogram(slot: Int, start: Int, end: Int, features: [Int]) {
        let columns = self.columns
        let width = TreeBuilder.slots * TreeBuilder.doublesPerBin
        let count = end - start
        let threads = count < 16384 ? 1 : max(1, min(parameters.threads, threadHistograms.count))
        if threads == 1 {
            gradHess[slot].withUnsafeMutableBufferPointer { gh in
                for f in features { (gh.baseAddress! + f * width).update(repeating: 0, count: width) }
                orderedBins.withUnsafeBufferPointer { bins in
                    orderedGrad.withUnsafeBufferPointer { g in
                        orderedHess.withUnsafeBufferPointer { h in
                            TreeBuilder.addRows(
                                start..<end, features: features, columns: columns, stride: rowStride, bins: bins.baseAddress!, grad: g.baseAddress!,
                                hess: h.baseAddress!, into: gh.baseAddress!)
                        }
                    }
                }
            }
            return
        }
        var outs: [SharedPointer<Double>] = []
        for t in 0..<threads {
            threadHistograms[t].withUnsafeMutableBufferPointer { gh in
                for f in features { (gh.baseAddress! + f * width).update(repeating: 0, count: width) }
            }
            outs.append(threadHistograms[t].withUnsafeMutableBufferPointer { SharedPointer(base: $0.baseAddress!) })
        }
        orderedBins.withUnsafeBufferPointer { bins in
            orderedGrad.withUnsafeBufferPointer { g in
                orderedHess.withUnsafeBufferPointer { h in
                    let binsP = SharedPointer(base: UnsafeMutablePointer(mutating: bins.baseAddress!))
                    let gP = SharedPointer(base: UnsafeMutablePointer(mutating: g.baseAddress!))
                    let hP = SharedPointer(base: UnsafeMutablePointer(mutating: h.baseAddress!))
                    let targets = outs
                    let stride = rowStride
                    DispatchQueue.concurrentPerform(iterations: threads) { t in
                        TreeBuilder.addRows(
                            (start + count * t / threads)..<(start + count * (t + 1) / threads), features: features, columns: columns,
                            stride: stride, bins: binsP.base, grad: gP.base, hess: hP.base, into: targets[t].base)
                    }
                }
            }
        }
        gradHess[slot].withUnsafeMutableBufferPointer { gh in
            let dst = gh.baseAddress!
            for f in features {
                let base = f * width
                (dst + base).update(from: outs[0].base + base, count: width)
                for t in 1..<threads {
                    let src = outs[t].base + base
                    for i in 0..<width { dst[base + i] += src[i] }
                }
            }
        }
    }

    /// The histogram inner loop over contiguous positions: each position's gradient, hessian
    /// and a count go to the bin of each feature.
    @inline(__always)
    static func addRows(
        _ range: Range<Int>, features: [Int], columns: Int, stride: Int, bins: UnsafePointer<UInt8>, grad: UnsafePointer<Double>,
        hess: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>
    ) {
        let width = TreeBuilder.slots * TreeBuilder.doublesPerBin
        if features.count == columns {
            for i in range {
                let gr = grad[i]
                let hr = hess[i]
                let row = bins + i * stride
                var histogram = out
                for f in 0..<columns {
                    let cell = histogram + Int(row[f]) * 3
                    cell[0] += gr
                    cell[1] += hr
                    cell[2] += 1
                    histogram += width
                }
            }
        } else {
            features.withUnsafeBufferPointer { features in
                for i in range {
                    let gr = grad[i]
                    let hr = hess[i]
                    let row = bins + i * stride
                    for f in features {
                        let cell = out + f * width + Int(row[f]) * 3
                        cell[0] += gr
                        cell[1] += hr
                        cell[2] += 1
                    }
                }
            }
        }
    }

    /// `histogram[slot] -= histogram[other]` for the given features.
    mutating func subtract(from slot: Int, _ other: Int, features: [Int]) {
        let width = TreeBuilder.slots * TreeBuilder.doublesPerBin
        let otherGH = gradHess[other]
        gradHess[slot].withUnsafeMutableBufferPointer { gh in
            otherGH.withUnsafeBufferPointer { o in
                for f in features {
                    for i in (f * width)..<((f + 1) * width) { gh[i] -= o[i] }
                }
            }
        }
    }

    /// The best split of a leaf over its histogram: for each feature and bin threshold, with
    /// missing values sent left or right, the largest gain under the leaf constraints.
    func bestSplit(slot: Int, leaf: Leaf, features: [Int]) -> Split? {
        let p = parameters
        let slots = TreeBuilder.slots
        let width = slots * TreeBuilder.doublesPerBin
        let lambda = p.lambdaL2
        let totalCount = leaf.end - leaf.start
        let minData = max(1, p.minDataInLeaf)
        let minHessian = p.minSumHessian
        let parentScore = leaf.sumGrad * leaf.sumGrad / (leaf.sumHess + lambda)
        var best: Split?
        var bestGain = 1e-12
        gradHess[slot].withUnsafeBufferPointer { gh in
            for f in features {
                let base = gh.baseAddress! + f * width
                let missingG = base[0]
                let missingH = base[1]
                let missingC = Int(base[2])
                var g = 0.0
                var h = 0.0
                var c = 0
                for b in 1..<(slots - 1) {
                    let cell = base + b * 3
                    g += cell[0]
                    h += cell[1]
                    c += Int(cell[2])
                    if c == 0 { continue }
                    if c == totalCount { break }
                    // Missing values right (the bins so far go left), then, when there are
                    // any, missing values left.
                    for missingLeft in 0..<(missingC == 0 ? 1 : 2) {
                        let left = missingLeft == 1
                        let lg = left ? g + missingG : g
                        let lh = left ? h + missingH : h
                        let lc = left ? c + missingC : c
                        let rc = totalCount - lc
                        if lc < minData || rc < minData { continue }
                        let rg = leaf.sumGrad - lg
                        let rh = leaf.sumHess - lh
                        if lh < minHessian || rh < minHessian { continue }
                        let gain = lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parentScore
                        if gain > bestGain {
                            bestGain = gain
                            best = Split(gain: gain, feature: f, bin: b, defaultLeft: left, leftGrad: lg, leftHess: lh, leftCount: lc)
                        }
                    }
                }
            }
        }
        return best
    }
}
