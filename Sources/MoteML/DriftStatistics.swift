#if canImport(Glibc)
import Glibc
#endif

/// The statistics Evidently's default drift checks use, in pure Swift (checked against
/// scipy's values in the tests): two-sample Kolmogorov-Smirnov with its exact p-value,
/// Wasserstein distance, Jensen-Shannon distance, chi-square goodness of fit, the two-
/// proportion Z-test, and the population stability index.
public enum DriftStatistics {
    /// Two-sample KS: the largest distance between the empirical CDFs, and the two-sided
    /// p-value. Exact (counting lattice paths, as scipy's `method="exact"`) while
    /// `a.count * b.count <= exactLimit`, else Kolmogorov's limit distribution with
    /// Stephens' small-sample correction.
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double], exactLimit: Int = 4_000_000) -> (statistic: Double, pValue: Double) {
        let x = a.filter { !$0.isNaN }.sorted()
        let y = b.filter { !$0.isNaN }.sorted()
        let m = x.count
        let n = y.count
        guard m > 0, n > 0 else { return (0, 1) }
        // D as a count: the largest |i * n - j * m| over the merged order, in units of 1/(m n).
        var i = 0
        var j = 0
        var largest = 0
        while i < m || j < n {
            let v = i < m && (j >= n || x[i] <= y[j]) ? x[i] : y[j]
            while i < m, x[i] == v { i += 1 }
            while j < n, y[j] == v { j += 1 }
            largest = max(largest, abs(i * n - j * m))
        }
        let d = Double(largest) / Double(m * n)
        guard largest > 0 else { return (0, 1) }
        if m * n <= exactLimit {
            return (d, exactTwoSidedP(m: m, n: n, threshold: largest))
        }
        let en = Double(m * n) / Double(m + n)
        let lambda = (en.squareRoot() + 0.12 + 0.11 / en.squareRoot()) * d
        return (d, min(1, max(0, kolmogorovQ(lambda))))
    }

    /// P(D >= threshold / (m n)) for two samples of sizes m and n: one minus the share of the
    /// C(m+n, m) monotone lattice paths from (0, 0) to (m, n) that keep |i n - j m| below the
    /// threshold; shares are carried as probabilities so nothing overflows.
    static func exactTwoSidedP(m: Int, n: Int, threshold: Int) -> Double {
        // q[j] for the current i: the share of paths to (i, j) that stayed inside.
        var q = [Double](repeating: 0, count: n + 1)
        q[0] = 1
        for j in 1...n { q[j] = abs(j * m) < threshold ? q[j - 1] : 0 }
        if m >= 1 {
            for i in 1...m {
                q[0] = abs(i * n) < threshold ? q[0] : 0
                for j in 1...n {
                    if abs(i * n - j * m) < threshold {
                        let total = Double(i + j)
                        q[j] = q[j] * Double(i) / total + q[j - 1] * Double(j) / total
                    } else {
                        q[j] = 0
                    }
                }
            }
        }
        return min(1, max(0, 1 - q[n]))
    }

    /// Kolmogorov's survival function Q(λ) = 2 Σ (-1)^(k-1) e^(-2 k² λ²).
    static func kolmogorovQ(_ lambda: Double) -> Double {
        guard lambda > 0.2 else { return 1 }
        var total = 0.0
        var sign = 1.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            total += sign * term
            if term < 1e-16 { break }
            sign = -sign
        }
        return 2 * total
    }

    /// The first Wasserstein distance between two samples (the area between their
    /// empirical CDFs), as scipy's `wasserstein_distance`.
    public static func wasserstein(_ a: [Double], _ b: [Double]) -> Double {
        let x = a.filter { !$0.isNaN }.sorted()
        let y = b.filter { !$0.isNaN }.sorted()
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        let all = (x + y).sorted()
        var i = 0
        var j = 0
        var total = 0.0
        for k in 0..<(all.count - 1) {
            let v = all[k]
            while i < x.count, x[i] <= v { i += 1 }
            while j < y.count, y[j] <= v { j += 1 }
            total += abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)) * (all[k + 1] - v)
        }
        return total
    }

    /// Evidently's normed Wasserstein distance: the distance over the reference's standard
    /// deviation (population), so 0.1 means a tenth of a standard deviation.
    public static func normedWasserstein(reference: [Double], current: [Double]) -> Double {
        let r = reference.filter { !$0.isNaN }
        guard !r.isEmpty else { return 0 }
        let mean = r.reduce(0, +) / Double(r.count)
        let std = (r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count)).squareRoot()
        return wasserstein(reference, current) / max(std, 1e-12)
    }

    /// Jensen-Shannon distance (natural log; the square root of the divergence) between two
    /// distributions given as weights over the same bins, as scipy's `jensenshannon`.
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        let sp = p.reduce(0, +)
        let sq = q.reduce(0, +)
        guard sp > 0, sq > 0, p.count == q.count else { return 0 }
        var divergence = 0.0
        for k in 0..<p.count {
            let a = p[k] / sp
            let b = q[k] / sq
            let mid = (a + b) / 2
            if a > 0 { divergence += a * log(a / mid) }
            if b > 0 { divergence += b * log(b / mid) }
        }
        return max(0, divergence / 2).squareRoot()
    }

    /// Chi-square goodness of fit of `observed` counts against the `expected` proportions
    /// (scaled to the observed total), as scipy's `chisquare`: statistic and p-value with
    /// k - 1 degrees of freedom.
    public static func chiSquare(observed: [Double], expected: [Double]) -> (statistic: Double, pValue: Double) {
        let total = observed.reduce(0, +)
        let expectedTotal = expected.reduce(0, +)
        guard total > 0, expectedTotal > 0, observed.count == expected.count, observed.count > 1 else { return (0, 1) }
        var statistic = 0.0
        for k in 0..<observed.count {
            let e = expected[k] / expectedTotal * total
            guard e > 0 else { continue }
            statistic += (observed[k] - e) * (observed[k] - e) / e
        }
        return (statistic, upperRegularizedGamma(Double(observed.count - 1) / 2, statistic / 2))
    }

    /// Two-proportion Z-test (pooled), as Evidently's `proportions_diff_z_test`: the share of
    /// `successes` among `a` rows against among `b` rows; two-sided p-value.
    public static func proportionZTest(successesA: Double, totalA: Double, successesB: Double, totalB: Double) -> (statistic: Double, pValue: Double) {
        guard totalA > 0, totalB > 0 else { return (0, 1) }
        let pa = successesA / totalA
        let pb = successesB / totalB
        let pooled = (successesA + successesB) / (totalA + totalB)
        let se = (pooled * (1 - pooled) * (1 / totalA + 1 / totalB)).squareRoot()
        guard se > 0 else { return (0, pa == pb ? 1 : 0) }
        let z = (pa - pb) / se
        return (z, erfc(abs(z) / 2.0.squareRoot()))
    }

    /// Population stability index between two distributions over the same bins (weights);
    /// empty bins count as `epsilon` so the logarithm stays finite.
    public static func psi(reference: [Double], current: [Double], epsilon: Double = 0.0001) -> Double {
        let sr = reference.reduce(0, +)
        let sc = current.reduce(0, +)
        guard sr > 0, sc > 0, reference.count == current.count else { return 0 }
        var total = 0.0
        for k in 0..<reference.count {
            let r = max(reference[k] / sr, epsilon)
            let c = max(current[k] / sc, epsilon)
            total += (c - r) * log(c / r)
        }
        return total
    }

    /// Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, Lentz's continued fraction above.
    static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var term = 1 / a
            var sum = term
            var k = a
            for _ in 0..<10_000 {
                k += 1
                term *= x / k
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, min(1, 1 - sum * exp(logPrefix)))
        }
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return max(0, min(1, exp(logPrefix) * h))
    }
}
