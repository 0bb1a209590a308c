import MoteML
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reference values computed once with scipy 1.17.1 (`ks_2samp`, `wasserstein_distance`,
/// `jensenshannon`, `chisquare`, the pooled two-proportion Z-test and Evidently's PSI formula)
/// on the same samples, drawn from the LCG below in both languages.
@Suite("drift statistics")
struct DriftStatisticsTests {
    /// The LCG both sides draw from; "ih" sums four draws (Irwin-Hall, roughly normal).
    static func sample(seed: UInt64, count: Int, kind: String, shift: Double, scale: Double) -> [Double] {
        var s = seed
        func next() -> Double {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) / Double(UInt64(1) << 53)
        }
        return (0..<count).map { _ in
            let v = kind == "uniform" ? next() : next() + next() + next() + next()
            return v * scale + shift
        }
    }

    // (seed a, n a, kind a, shift a, scale a, seed b, n b, kind b, shift b, scale b, KS D, KS p, Wasserstein, normed, scipy method)
    static let cases: [(UInt64, Int, String, Double, Double, UInt64, Int, String, Double, Double, Double, Double, Double, Double, String)] = [
        (11, 30, "uniform", 0, 1, 12, 40, "uniform", 0.1, 1, 0.26666666666666666, 0.14992398676148241, 0.12032430910439741, 0.4371866514186944, "exact"),
        (21, 200, "ih", 0, 1, 22, 150, "ih", 0.3, 1, 0.23166666666666666, 0.00016627542698035585, 0.34262856174637807, 0.5364119096963041, "exact"),
        (31, 1000, "ih", 0, 1, 32, 800, "ih", 0.05, 1.1, 0.21175, 6.43861559513225e-18, 0.27279466325909185, 0.48090904309275867, "exact"),
        (41, 500, "uniform", 0, 1, 42, 500, "uniform", 0, 1, 0.076, 0.11136835555551457, 0.03116275761532499, 0.10627582694003579, "exact"),
        (51, 3000, "ih", 0, 1, 52, 2500, "ih", 0.08, 1, 0.06659999999999999, 1.0527723532476873e-05, 0.0836458245352359, 0.14815513604382766, "asymp"),
    ]

    @Test("Kolmogorov-Smirnov and Wasserstein match scipy on fixed samples")
    func ksAndWasserstein() {
        for c in Self.cases {
            let a = Self.sample(seed: c.0, count: c.1, kind: c.2, shift: c.3, scale: c.4)
            let b = Self.sample(seed: c.5, count: c.6, kind: c.7, shift: c.8, scale: c.9)
            let ks = DriftStatistics.kolmogorovSmirnov(a, b)
            #expect(abs(ks.statistic - c.10) < 1e-12, "D seed \(c.0)")
            if c.14 == "exact" {
                // Exact to rounding; below 1e-12 both just say "far below any threshold".
                if c.11 > 1e-12 {
                    #expect(abs(ks.pValue - c.11) <= 1e-9 + 1e-7 * c.11, "p seed \(c.0): \(ks.pValue) vs \(c.11)")
                } else {
                    #expect(ks.pValue < 1e-12)
                }
            } else {
                // Above the exact limit: Kolmogorov's limit with Stephens' correction against
                // scipy's exact one-sample distribution: the same order of magnitude.
                #expect(abs(log10(ks.pValue) - log10(c.11)) < 0.3, "p seed \(c.0): \(ks.pValue) vs \(c.11)")
            }
            #expect(abs(DriftStatistics.wasserstein(a, b) - c.12) < 1e-12 * max(1, c.12), "W seed \(c.0)")
            #expect(abs(DriftStatistics.normedWasserstein(reference: a, current: b) - c.13) < 1e-10, "normed W seed \(c.0)")
        }
    }

    @Test("Jensen-Shannon, chi-square, Z-test and PSI match scipy / Evidently's formulas")
    func categorical() {
        #expect(abs(DriftStatistics.jensenShannon([10, 20, 30, 40, 0], [15, 15, 35, 30, 5]) - 0.16181354241820844) < 1e-12)
        let chi = DriftStatistics.chiSquare(observed: [18, 22, 35, 25], expected: [0.2, 0.2, 0.3, 0.3])
        #expect(abs(chi.statistic - 2.066666666666667) < 1e-12)
        #expect(abs(chi.pValue - 0.5586857021179725) < 1e-10)
        let chi2 = DriftStatistics.chiSquare(observed: [5, 40, 80, 1, 60, 14], expected: [0.1, 0.2, 0.3, 0.05, 0.25, 0.1])
        #expect(abs(chi2.statistic - 29.816666666666666) < 1e-10)
        #expect(abs(chi2.pValue - 1.6025985861763363e-05) < 1e-12)
        let z = DriftStatistics.proportionZTest(successesA: 30, totalA: 200, successesB: 45, totalB: 210)
        #expect(abs(z.statistic - -1.6829763461389204) < 1e-12)
        #expect(abs(z.pValue - 0.09237967055994593) < 1e-12)
        #expect(abs(DriftStatistics.psi(reference: [0.1, 0.2, 0.3, 0.4, 0], current: [0.15, 0.25, 0.25, 0.3, 0.05]) - 0.37942366216726187) < 1e-12)
    }

    @Test("identical samples do not drift; a shifted one does")
    func sanity() {
        let a = Self.sample(seed: 7, count: 800, kind: "ih", shift: 0, scale: 1)
        #expect(DriftStatistics.kolmogorovSmirnov(a, a).pValue == 1)
        #expect(DriftStatistics.wasserstein(a, a) == 0)
        let shifted = a.map { $0 + 0.5 }
        #expect(DriftStatistics.kolmogorovSmirnov(a, shifted).pValue < 0.05)
        #expect(DriftStatistics.normedWasserstein(reference: a, current: shifted) > 0.1)
    }
}
