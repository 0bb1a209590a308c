import Dispatch

/// Quantile binning, the LightGBM way: each feature's values are mapped to at most 255 bins
/// (bin 0 is reserved for missing values, NaN), so histograms are small and fixed-size.
public struct FeatureBinner: Sendable, Equatable {
    /// Per feature, the upper bound of each value bin (bin `k + 1` holds values `<= bounds[k]`
    /// and above the previous bound; the last bound is +infinity).
    public var bounds: [[Double]]

    public var featureCount: Int { bounds.count }

    /// Learns bin bounds from the rows of `x` (row-major, `columns` wide), at most `maxBins`
    /// value bins per feature (plus the missing bin), from at most `sampleRows` rows.
    public init(x: [Double], rows: Int, columns: Int, maxBins: Int = 255, sampleRows: Int = 200_000, threads: Int = 1) {
        self = FeatureMatrix.with(rowMajor: x, rows: rows, columns: columns) {
            FeatureBinner(matrix: $0, maxBins: maxBins, sampleRows: sampleRows, threads: threads)
        }
    }

    /// Learns bin bounds from the rows of `matrix`, as `init(x:...)` does.
    public init(matrix: FeatureMatrix, maxBins: Int = 255, sampleRows: Int = 200_000, threads: Int = 1) {
        let rows = matrix.rows
        let columns = matrix.columns
        let valueBins = max(2, min(maxBins, 255))
        let step = max(1, rows / max(1, sampleRows))
        var bounds = [[Double]](repeating: [], count: columns)
        let threads = max(1, min(threads, columns))
        bounds.withUnsafeMutableBufferPointer { out in
            let target = SharedPointer(base: out.baseAddress!)
            // Features split between threads; each sorts its own sample buffer.
            let work: @Sendable (Int) -> Void = { t in
                var sample: [Double] = []
                var scratch: [UInt64] = []
                sample.reserveCapacity(rows / step + 1)
                for c in stride(from: t, to: columns, by: threads) {
                    sample.removeAll(keepingCapacity: true)
                    var r = 0
                    while r < rows {
                        let v = matrix.value(r, c)
                        if !v.isNaN { sample.append(v) }
                        r += step
                    }
                    FeatureBinner.radixSort(&sample, scratch: &scratch)
                    target.base[c] = FeatureBinner.quantileBounds(sample, bins: valueBins)
                }
            }
            if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
        }
        self.bounds = bounds
    }

    /// `values` (no NaN) sorted ascending, by `radixSort` (-0 comes back as 0).
    public static func sortedAscending(_ values: [Double]) -> [Double] {
        var sorted = values
        var scratch: [UInt64] = []
        radixSort(&sorted, scratch: &scratch)
        return sorted
    }

    /// Sorts doubles (no NaN) ascending by their bits: an order-preserving map to UInt64
    /// and an LSD radix sort by bytes, about ten times faster than a comparison sort here.
    static func radixSort(_ values: inout [Double], scratch: inout [UInt64]) {
        let n = values.count
        guard n > 1 else { return }
        var keys = values.map { v -> UInt64 in
            let bits = (v == 0 ? 0.0 : v).bitPattern  // -0 and 0 sort together
            return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
        }
        if scratch.count < n { scratch = [UInt64](repeating: 0, count: n) }
        keys.withUnsafeMutableBufferPointer { a in
            scratch.withUnsafeMutableBufferPointer { b in
                var src = a.baseAddress!
                var dst = b.baseAddress!
                var counts = [Int](repeating: 0, count: 256)
                for shift in stride(from: 0, to: 64, by: 8) {
                    for k in 0..<256 { counts[k] = 0 }
                    for i in 0..<n { counts[Int((src[i] >> UInt64(shift)) & 0xFF)] += 1 }
                    if counts[Int((src[0] >> UInt64(shift)) & 0xFF)] == n { continue }  // all equal in this byte
                    var total = 0
                    for k in 0..<256 {
                        let c = counts[k]
                        counts[k] = total
                        total += c
                    }
                    for i in 0..<n {
                        let k = Int((src[i] >> UInt64(shift)) & 0xFF)
                        dst[counts[k]] = src[i]
                        counts[k] += 1
                    }
                    swap(&src, &dst)
                }
                if src != a.baseAddress! { a.baseAddress!.update(from: src, count: n) }
            }
        }
        for i in 0..<n {
            let k = keys[i]
            values[i] = Double(bitPattern: k & (1 << 63) != 0 ? k & ~(1 << 63) : ~k)
        }
    }

    public init(bounds: [[Double]]) {
        self.bounds = bounds
    }

    /// Bounds between distinct values at (roughly) equal counts; few distinct values get one
    /// bin each.
    static func quantileBounds(_ sorted: [Double], bins: Int) -> [Double] {
        guard !sorted.isEmpty else { return [Double.infinity] }
        var distinct: [Double] = []
        var counts: [Int] = []
        for v in sorted {
            if let last = distinct.last, last == v {
                counts[counts.count - 1] += 1
            } else {
                distinct.append(v)
                counts.append(1)
            }
        }
        if distinct.count <= bins {
            var out: [Double] = []
            for k in 0..<(distinct.count - 1) { out.append((distinct[k] + distinct[k + 1]) / 2) }
            out.append(Double.infinity)
            return out
        }
        let perBin = Double(sorted.count) / Double(bins)
        var out: [Double] = []
        var seen = 0
        var target = perBin
        for k in 0..<(distinct.count - 1) {
            seen += counts[k]
            if Double(seen) >= target, out.count < bins - 1 {
                out.append((distinct[k] + distinct[k + 1]) / 2)
                while target <= Double(seen) { target += perBin }
            }
        }
        out.append(Double.infinity)
        return out
    }

    /// The bin of `value` for `feature` (0 for NaN).
    @inline(__always)
    public func bin(_ value: Double, feature: Int) -> UInt8 {
        if value.isNaN { return 0 }
        let b = bounds[feature]
        var lo = 0
        var hi = b.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if value <= b[mid] { hi = mid } else { lo = mid + 1 }
        }
        return UInt8(truncatingIfNeeded: lo + 1)
    }

    /// Bins `matrix` into row-major bytes (`out[r * features + f]`): one row's bins are
    /// contiguous, which is what histogram building walks.
    public func binRows(_ matrix: FeatureMatrix, threads: Int = 1) -> [UInt8] {
        let rows = matrix.rows
        let columns = featureCount
        var out = [UInt8](repeating: 0, count: rows * columns)
        let threads = rows < 10_000 ? 1 : max(1, threads)
        out.withUnsafeMutableBufferPointer { dst in
            let d = SharedPointer(base: dst.baseAddress!)
            // Rows split between threads.
            let work: @Sendable (Int) -> Void = { t in
                let range = (rows * t / threads)..<(rows * (t + 1) / threads)
                for c in 0..<columns {
                    self.bounds[c].withUnsafeBufferPointer { b in
                        for r in range { d.base[r * columns + c] = FeatureBinner.search(b, matrix.value(r, c)) }
                    }
                }
            }
            if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
        }
        return out
    }

    /// Column-major bytes (`out[f * rows + r]`) from row-major ones.
    public static func transpose(_ rowBins: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * columns)
        out.withUnsafeMutableBufferPointer { dst in
            rowBins.withUnsafeBufferPointer { src in
                for r in 0..<rows {
                    for c in 0..<columns { dst[c * rows + r] = src[r * columns + c] }
                }
            }
        }
        return out
    }

    /// Bins `matrix` into column-major bytes (`columns[f * rows + r]`).
    public func binColumns(_ matrix: FeatureMatrix) -> [UInt8] {
        let rows = matrix.rows
        var out = [UInt8](repeating: 0, count: rows * featureCount)
        out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<featureCount {
                bounds[c].withUnsafeBufferPointer { b in
                    for r in 0..<rows { dst[c * rows + r] = FeatureBinner.search(b, matrix.value(r, c)) }
                }
            }
        }
        return out
    }

    /// The bin of `value` among `bounds` (0 for NaN).
    @inline(__always)
    static func search(_ bounds: UnsafeBufferPointer<Double>, _ value: Double) -> UInt8 {
        if value.isNaN { return 0 }
        var lo = 0
        var hi = bounds.count - 1
        while lo < hi {
            let mid = (lo + hi) >> 1
            if value <= bounds[mid] { hi = mid } else { lo = mid + 1 }
        }
        return UInt8(truncatingIfNeeded: lo + 1)
    }
}
