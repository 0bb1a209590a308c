public import MoteCore
import MoteML
public import MoteModels

/// One input's drift between the reference profile in a model's bundle and a live window.
public struct FeatureDrift: Sendable {
    public var name: String
    /// ks | wasserstein | chisquare | z | jensenshannon
    public var method: String
    /// A p-value (ks, chisquare, z: drift below the threshold) or a distance (wasserstein,
    /// jensenshannon: drift at or above it).
    public var score: Double
    public var threshold: Double
    public var drifted: Bool
    public var liveRows: Int
    public var liveMissing: Int
}

/// Evidently's default drift checks, applied to a model's inputs: numbers with more than 5
/// distinct reference values are tested with two-sample Kolmogorov-Smirnov (p < 0.05) when
/// the reference has at most 1000 rows and with the normed Wasserstein distance (>= 0.1)
/// above; categories, and numbers with few values, with chi-square (p < 0.05; the Z-test for
/// two values) up to 1000 reference rows and the Jensen-Shannon distance (>= 0.1) above. The
/// dataset drifts when the share of drifted inputs reaches `datasetShare`.
public enum DriftCheck {
    public static func check(
        bundle: ModelBundle, live rows: [[ModelInput]], datasetShare: Double = 0.5
    ) -> (features: [FeatureDrift], datasetDrift: Bool, share: Double) {
        var out: [FeatureDrift] = []
        for (k, reference) in bundle.profile.features.enumerated() where k < bundle.inputs.count {
            let column = rows.map { k < $0.count ? $0[k] : .missing }
            let missing = column.filter { $0 == .missing }.count
            let referenceRows = reference.count - reference.nulls
            if let numeric = reference.numeric, Set(numeric.sample).count > 5 {
                let live = column.compactMap { if case .number(let v) = $0 { v } else { nil } }
                guard !live.isEmpty, !numeric.sample.isEmpty else { continue }
                if referenceRows <= 1000 {
                    let p = DriftStatistics.kolmogorovSmirnov(numeric.sample, live).pValue
                    out.append(FeatureDrift(name: reference.name, method: "ks", score: p, threshold: 0.05, drifted: p < 0.05, liveRows: live.count, liveMissing: missing))
                } else {
                    let d = DriftStatistics.normedWasserstein(reference: numeric.sample, current: live)
                    out.append(FeatureDrift(name: reference.name, method: "wasserstein", score: d, threshold: 0.1, drifted: d >= 0.1, liveRows: live.count, liveMissing: missing))
                }
                continue
            }
            // Categories: the reference's counts per value against the live ones.
            var referenceCounts: [String: Double] = [:]
            if let categorical = reference.categorical {
                for t in categorical.top { referenceCounts[t.value] = Double(t.count) }
            } else if let numeric = reference.numeric {
                for v in numeric.sample { referenceCounts[text(v), default: 0] += 1 }
            }
            var liveCounts: [String: Double] = [:]
            for cell in column {
                switch cell {
                case .text(let s): liveCounts[s, default: 0] += 1
                case .number(let v): liveCounts[text(v), default: 0] += 1
                case .missing: break
                }
            }
            let keys = Set(referenceCounts.keys).union(liveCounts.keys).sorted()
            guard !keys.isEmpty, liveCounts.values.reduce(0, +) > 0 else { continue }
            let r = keys.map { referenceCounts[$0] ?? 0 }
            let l = keys.map { liveCounts[$0] ?? 0 }
            let liveTotal = Int(l.reduce(0, +))
            if referenceRows <= 1000 {
                if keys.count == 2 {
                    let z = DriftStatistics.proportionZTest(successesA: r[0], totalA: r[0] + r[1], successesB: l[0], totalB: l[0] + l[1])
                    out.append(FeatureDrift(name: reference.name, method: "z", score: z.pValue, threshold: 0.05, drifted: z.pValue < 0.05, liveRows: liveTotal, liveMissing: missing))
                } else {
                    // Expected proportions from the reference; a live value the reference never
                    // had gets a tiny share so it counts against the fit.
                    let expected = r.map { max($0, 1e-4) }
                    let chi = DriftStatistics.chiSquare(observed: l, expected: expected)
                    out.append(FeatureDrift(name: reference.name, method: "chisquare", score: chi.pValue, threshold: 0.05, drifted: chi.pValue < 0.05, liveRows: liveTotal, liveMissing: missing))
                }
            } else {
                let js = DriftStatistics.jensenShannon(r, l)
                out.append(FeatureDrift(name: reference.name, method: "jensenshannon", score: js, threshold: 0.1, drifted: js >= 0.1, liveRows: liveTotal, liveMissing: missing))
            }
        }
        let drifted = out.filter(\.drifted).count
        let share = out.isEmpty ? 0 : Double(drifted) / Double(out.count)
        return (out, !out.isEmpty && share >= datasetShare, share)
    }

    static func text(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// The check as JSON (the monitoring API's `features`, `dataset_drift`, `drift_share`).
    public static func write(_ result: (features: [FeatureDrift], datasetDrift: Bool, share: Double), into w: inout JSONWriter) {
        w.key("dataset_drift"); w.bool(result.datasetDrift)
        w.key("drift_share"); w.double(result.share)
        w.key("features")
        w.beginArray()
        for f in result.features {
            w.beginObject()
            w.key("name"); w.string(f.name)
            w.key("method"); w.string(f.method)
            w.key("score"); w.double(f.score)
            w.key("threshold"); w.double(f.threshold)
            w.key("drifted"); w.bool(f.drifted)
            w.key("live_rows"); w.int(f.liveRows)
            w.key("live_missing"); w.int(f.liveMissing)
            w.endObject()
        }
        w.endArray()
    }
}
