import Dispatch

/// Exact TreeSHAP, path-dependent (Lundberg, Erion and Lee, "Consistent Individualized Feature
/// Attribution for Tree Ensembles", algorithm 2): each input's contribution to each output's
/// raw score (the margin before the link: log-odds for a binary classifier), and the base
/// value, the score's expectation over the training data as the trees' covers record it.
/// For every row, base + the sum of the contributions equals the raw score.
public struct TreeSHAP: Sendable {
    /// One element of the path of features from the root to a node: the feature, the share of
    /// training data the path lets through when the feature is unknown (`zero`) and whether a
    /// row with the feature known follows it (`one`), and the permutation weight.
    struct PathElement {
        var feature: Int32
        var zero: Double
        var one: Double
        var weight: Double
    }

    let model: GBDTModel
    /// Per output, the base value: the base score plus each tree's expected value.
    public let base: [Double]
    /// Room for the deepest tree's nested paths: (depth + 1)(depth + 2) / 2 elements.
    let pathCapacity: Int
    /// 1 / k for k up to the deepest path's length + 1 (index 0 unused): the weight updates
    /// multiply instead of divide.
    let reciprocals: [Double]

    /// Outputs the model has (1, or the class count).
    public var outputs: Int { base.count }

    /// nil when the model has no covers (an ONNX tree ensemble records none): path-dependent
    /// TreeSHAP needs them.
    public init?(_ model: GBDTModel) {
        guard model.cover.count == model.feature.count, !model.feature.isEmpty else { return nil }
        self.model = model
        let outputs = max(model.classCount, 1)
        var base = (0..<outputs).map { $0 < model.baseScores.count ? model.baseScores[$0] : 0 }
        var deepest = 0
        for t in 0..<model.treeCount {
            let (value, depth) = Self.expectation(model, node: Int(model.roots[t]))
            base[model.output(ofTree: t)] += value
            deepest = max(deepest, depth)
        }
        let divisor = model.output.divisor
        self.base = divisor != 1 && divisor != 0 ? base.map { $0 / divisor } : base
        pathCapacity = (deepest + 2) * (deepest + 3) / 2
        reciprocals = (0...(deepest + 3)).map { $0 == 0 ? 0 : 1 / Double($0) }
    }

    /// The tree's expected value (leaves weighted by cover) and its depth.
    static func expectation(_ m: GBDTModel, node: Int) -> (Double, Int) {
        var total = 0.0
        var deepest = 0
        var stack = [(node, 0)]
        while let (n, depth) = stack.popLast() {
            deepest = max(deepest, depth)
            if m.feature[n] < 0 {
                total += m.value[n] * m.cover[n]
            } else {
                stack.append((Int(m.left[n]), depth + 1))
                stack.append((Int(m.right[n]), depth + 1))
            }
        }
        let rootCover = m.cover[node]
        return (rootCover > 0 ? total / rootCover : m.value[node], deepest)
    }

    /// Adds the contributions of `rows` rows (row-major, `featureCount` values each, NaN for
    /// missing) to `phi[(row * outputs + output) * featureCount + feature]`; `phi` holds
    /// `rows * outputs * featureCount` values. One path buffer serves each thread's rows; with
    /// `threads` above 1 a batch of at least 64 rows per thread is split into that many runs of
    /// rows explained at once (each writes only its own rows).
    public func explain(_ x: UnsafeBufferPointer<Double>, rows: Int, into phi: UnsafeMutableBufferPointer<Double>, threads: Int = 1) {
        let parts = max(1, min(threads, rows / 64))
        let width = model.featureCount
        let perRow = outputs * width
        guard rows > 0, let xBase = x.baseAddress, let phiBase = phi.baseAddress else { return }
        reciprocals.withUnsafeBufferPointer { inv in
            // The buffers outlive the parts (concurrentPerform returns when all have run), and
            // each part writes only its own rows.
            let shared = SharedBuffers(x: xBase, phi: phiBase, inv: inv.baseAddress!)
            let part: @Sendable (Int) -> Void = { k in
                let start = rows * k / parts
                let end = rows * (k + 1) / parts
                guard end > start else { return }
                let path = UnsafeMutablePointer<PathElement>.allocate(capacity: pathCapacity)
                defer { path.deallocate() }
                explain(
                    UnsafeBufferPointer(start: shared.x + start * width, count: (end - start) * width), rows: end - start,
                    into: UnsafeMutableBufferPointer(start: shared.phi + start * perRow, count: (end - start) * perRow), path: path, inv: shared.inv)
            }
            if parts == 1 {
                part(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: parts, execute: part)
            }
        }
    }

    /// The batch's buffers, handed to the threads that explain runs of its rows.
    private struct SharedBuffers: @unchecked Sendable {
        let x: UnsafePointer<Double>
        let phi: UnsafeMutablePointer<Double>
        let inv: UnsafePointer<Double>
    }

    private func explain(
        _ x: UnsafeBufferPointer<Double>, rows: Int, into phi: UnsafeMutableBufferPointer<Double>, path: UnsafeMutablePointer<PathElement>,
        inv: UnsafePointer<Double>
    ) {
        let width = model.featureCount
        let divisor = model.output.divisor
        // A forest's trees are averaged: each leaf's share is scaled once, where it is added.
        let scale = divisor != 0 && divisor != 1 ? 1 / divisor : 1
        for r in 0..<rows {
            let row = UnsafeBufferPointer(rebasing: x[(r * width)..<((r + 1) * width)])
            for t in 0..<model.treeCount {
                let out = UnsafeMutableBufferPointer(rebasing: phi[((r * outputs + model.output(ofTree: t)) * width)...])
                recurse(row, out, scale: scale, node: Int(model.roots[t]), depth: 0, path: path, inv: inv, zero: 1, one: 1, feature: -1)
            }
        }
    }

    private func recurse(
        _ row: UnsafeBufferPointer<Double>, _ phi: UnsafeMutableBufferPointer<Double>, scale: Double, node: Int, depth: Int,
        path parent: UnsafeMutablePointer<PathElement>, inv: UnsafePointer<Double>, zero: Double, one: Double, feature: Int32
    ) {
        var depth = depth
        // This node's path, after its parent's in the buffer.
        let path = parent + depth
        if depth > 0 { path.update(from: parent, count: depth) }
        Self.extend(path, depth, zero, one, feature, inv)
        let m = model
        if m.feature[node] < 0 {
            let leaf = m.value[node] * scale
            if depth > 0 {
                for i in 1...depth {
                    let w = Self.unwoundSum(path, depth, i, inv)
                    let e = path[i]
                    phi[Int(e.feature)] += w * (e.one - e.zero) * leaf
                }
            }
            return
        }
        let split = m.feature[node]
        let goesLeft = m.goesLeft(node, row[Int(split)])
        let hot = Int(goesLeft ? m.left[node] : m.right[node])
        let cold = Int(goesLeft ? m.right[node] : m.left[node])
        let cover = m.cover[node]
        let hotZero = cover > 0 ? m.cover[hot] / cover : 0
        let coldZero = cover > 0 ? m.cover[cold] / cover : 0
        var incomingZero = 1.0
        var incomingOne = 1.0
        // A feature split on before is taken off the path and put back with this split.
        var k = 0
        while k <= depth && path[k].feature != split { k += 1 }
        if k <= depth {
            incomingZero = path[k].zero
            incomingOne = path[k].one
            Self.unwind(path, depth, k, inv)
            depth -= 1
        }
        recurse(row, phi, scale: scale, node: hot, depth: depth + 1, path: path, inv: inv, zero: hotZero * incomingZero, one: incomingOne, feature: split)
        recurse(row, phi, scale: scale, node: cold, depth: depth + 1, path: path, inv: inv, zero: coldZero * incomingZero, one: 0, feature: split)
    }

    // `one` is 1 or 0 (a known feature follows the row's branch or not), so dividing by it is
    // a choice of formula; every other division is by a small integer, read from `inv`.

    static func extend(_ p: UnsafeMutablePointer<PathElement>, _ depth: Int, _ zero: Double, _ one: Double, _ feature: Int32, _ inv: UnsafePointer<Double>) {
        p[depth] = PathElement(feature: feature, zero: zero, one: one, weight: depth == 0 ? 1 : 0)
        let invD1 = inv[depth + 1]
        var i = depth - 1
        while i >= 0 {
            p[i + 1].weight += one * p[i].weight * Double(i + 1) * invD1
            p[i].weight = zero * p[i].weight * Double(depth - i) * invD1
            i -= 1
        }
    }

    static func unwind(_ p: UnsafeMutablePointer<PathElement>, _ depth: Int, _ index: Int, _ inv: UnsafePointer<Double>) {
        let one = p[index].one
        let zero = p[index].zero
        var next = p[depth].weight
        let d1 = Double(depth + 1)
        let invD1 = inv[depth + 1]
        var i = depth - 1
        if one != 0 {
            let invOne = 1 / one
            while i >= 0 {
                let tmp = p[i].weight
                p[i].weight = next * d1 * inv[i + 1] * invOne
                next = tmp - p[i].weight * zero * Double(depth - i) * invD1
                i -= 1
            }
        } else {
            let invZero = 1 / zero
            while i >= 0 {
                p[i].weight = p[i].weight * d1 * inv[depth - i] * invZero
                i -= 1
            }
        }
        for j in index..<depth {
            p[j].feature = p[j + 1].feature
            p[j].zero = p[j + 1].zero
            p[j].one = p[j + 1].one
        }
    }

    static func unwoundSum(_ p: UnsafeMutablePointer<PathElement>, _ depth: Int, _ index: Int, _ inv: UnsafePointer<Double>) -> Double {
        let one = p[index].one
        let zero = p[index].zero
        var next = p[depth].weight
        var total = 0.0
        var i = depth - 1
        if one != 0 {
            let invOne = 1 / one
            while i >= 0 {
                let tmp = next * inv[i + 1] * invOne
                total += tmp
                next = p[i].weight - tmp * zero * Double(depth - i)
                i -= 1
            }
        } else {
            let invZero = 1 / zero
            while i >= 0 {
                total += p[i].weight * inv[depth - i] * invZero
                i -= 1
            }
        }
        return total * Double(depth + 1)
    }
}
