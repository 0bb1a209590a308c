/// Isolation forest (Liu, Ting, Zhou 2008): anomaly scores in [0, 1] for boxes without
/// labels. Each tree isolates points of a random subsample with random splits; anomalies are
/// isolated in fewer splits. A score near 1 is anomalous, around 0.5 or below is ordinary.
public struct IsolationForest: Sendable, Equatable {
    /// Per node: feature tested, or -1 for an external node.
    public var feature: [Int32]
    /// Per node: values `< threshold` go left (a missing value goes left).
    public var threshold: [Double]
    public var left: [Int32]
    public var right: [Int32]
    /// Per external node: how many training points ended there.
    public var size: [Int32]
    /// Per external node: its depth.
    public var depth: [Int32]
    public var roots: [Int32]
    public var sampleSize: Int
    public var featureCount: Int

    public init(
        feature: [Int32], threshold: [Double], left: [Int32], right: [Int32], size: [Int32], depth: [Int32], roots: [Int32],
        sampleSize: Int, featureCount: Int
    ) {
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right
        self.size = size
        self.depth = depth
        self.roots = roots
        self.sampleSize = sampleSize
        self.featureCount = featureCount
    }

    /// Grows `trees` trees on subsamples of `sampleSize` rows (height limit log2 of it).
    public static func fit(x: [Double], rows: Int, columns: Int, trees: Int = 100, sampleSize: Int = 256, seed: UInt64 = 7) -> IsolationForest {
        var forest = IsolationForest(
            feature: [], threshold: [], left: [], right: [], size: [], depth: [], roots: [], sampleSize: min(sampleSize, max(rows, 1)),
            featureCount: columns)
        guard rows > 0, columns > 0 else { return forest }
        var rng = SplitMix64(seed: seed)
        let psi = forest.sampleSize
        var heightLimit = 0
        while (1 << heightLimit) < psi { heightLimit += 1 }
        var sample = [Int](repeating: 0, count: psi)
        for _ in 0..<trees {
            // Subsample without replacement (partial Fisher-Yates over row ids).
            var pool = Array(0..<rows)
            for k in 0..<psi {
                let j = k + Int(rng.next() % UInt64(rows - k))
                pool.swapAt(k, j)
                sample[k] = pool[k]
            }
            forest.roots.append(Int32(forest.feature.count))
            forest.grow(x: x, columns: columns, rows: &sample, range: 0..<psi, depth: 0, limit: heightLimit, rng: &rng)
        }
        return forest
    }

    /// Builds the subtree of `rows[range]`; returns its node index.
    @discardableResult
    mutating func grow(x: [Double], columns: Int, rows: inout [Int], range: Range<Int>, depth: Int, limit: Int, rng: inout SplitMix64) -> Int {
        let node = feature.count
        feature.append(-1)
        threshold.append(0)
        left.append(-1)
        right.append(-1)
        size.append(Int32(range.count))
        self.depth.append(Int32(depth))
        guard depth < limit, range.count > 1 else { return node }
        // A random feature among those that still vary here, a random threshold inside its range.
        var candidates: [(feature: Int, low: Double, high: Double)] = []
        for c in 0..<columns {
            var low = Double.infinity
            var high = -Double.infinity
            for i in range {
                let v = x[rows[i] * columns + c]
                if v.isNaN { continue }
                low = min(low, v)
                high = max(high, v)
            }
            if low < high { candidates.append((c, low, high)) }
        }
        guard !candidates.isEmpty else { return node }
        let pick = candidates[Int(rng.next() % UInt64(candidates.count))]
        let cut = pick.low + rng.unit() * (pick.high - pick.low)
        var mid = range.lowerBound
        for i in range {
            let v = x[rows[i] * columns + pick.feature]
            if v.isNaN || v < cut {
                rows.swapAt(i, mid)
                mid += 1
            }
        }
        feature[node] = Int32(pick.feature)
        threshold[node] = cut
        let l = grow(x: x, columns: columns, rows: &rows, range: range.lowerBound..<mid, depth: depth + 1, limit: limit, rng: &rng)
        let r = grow(x: x, columns: columns, rows: &rows, range: mid..<range.upperBound, depth: depth + 1, limit: limit, rng: &rng)
        left[node] = Int32(l)
        right[node] = Int32(r)
        return node
    }

    /// Average path length of an unsuccessful search in a binary search tree of `n` points.
    static func averagePath(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let harmonic = _log(Double(n - 1)) + 0.5772156649015329
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }

    /// Anomaly scores in [0, 1] for the rows of a row-major matrix.
    public func score(_ x: [Double], rows: Int) -> [Double] {
        let normaliser = IsolationForest.averagePath(sampleSize)
        var out = [Double](repeating: 0, count: rows)
        guard !roots.isEmpty, normaliser > 0 else { return out }
        for r in 0..<rows {
            var total = 0.0
            for root in roots {
                var node = Int(root)
                while feature[node] >= 0 {
                    let v = x[r * featureCount + Int(feature[node])]
                    node = Int(v.isNaN || v < threshold[node] ? left[node] : right[node])
                }
                total += Double(depth[node]) + IsolationForest.averagePath(Int(size[node]))
            }
            out[r] = _pow(2, -(total / Double(roots.count)) / normaliser)
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _pow(_ a: Double, _ b: Double) -> Double { Glibc.pow(a, b) }
#endif
