import MoteCore
import MoteML
public import MoteModels

/// One column's drift between the reference profile in a model's bundle and a live window.
public struct FeatureDrift: Sendable {
    public var name: String
    /// numeric | categorical
    public var kind: String
    /// ks | wasserstein | chisquare | z | jensenshannon | psi
    public var method: String
    /// A p-value (ks, chisquare, z: drift below the threshold) or a distance or index
    /// (wasserstein, jensenshannon, psi: drift at or above it).
    public var score: Double
    public var threshold: Double
    public var drifted: Bool
    public var reference: ReferenceProfile.Feature
    public var live: ColumnSketch
}

/// The drift of a model's inputs (and of its prediction) over a live window.
public struct DriftResult: Sendable {
    public var features: [FeatureDrift]
    public var prediction: FeatureDrift?
    public var datasetDrift: Bool
    public var share: Double
    public var shareThreshold: Double
}

/// Drift tests with Evidently's default choice, unless config says otherwise: numbers with
/// more than 5 distinct reference values are tested with two-sample Kolmogorov-Smirnov
/// (p < 0.05) when the reference has at most 1000 rows and with the normed Wasserstein
/// distance (>= 0.1) above; categories, and numbers with few values, with chi-square
/// (p < 0.05; the Z-test for two values) up to 1000 reference rows and the Jensen-Shannon
/// distance (>= 0.1) above. PSI (>= 0.1) on request. Per-model and per-feature rules
/// (`[monitoring.models.NAME]`) pick the method and threshold; a method that does not fit the
/// column's kind falls back to the default choice. The dataset drifts when the share of
/// drifted inputs reaches the model's `drift_share`.
public enum DriftCheck {
    public typealias Method = MonitoringSettings.DriftMethod

    public static func check(bundle: ModelBundle, window: LiveProfiles.Window, config: MonitoringSettings, model: String) -> DriftResult {
        check(profile: bundle.profile, window: window, config: config, model: model)
    }

    /// The check against a reference profile (the bundle's).
    public static func check(profile: ReferenceProfile, window: LiveProfiles.Window, config: MonitoringSettings, model: String) -> DriftResult {
        let rules = config.models[model]
        var out: [FeatureDrift] = []
        for (k, reference) in profile.features.enumerated() where k < window.inputs.count {
            let rule = resolve(feature: reference.name, rules: rules, global: config.rule)
            if let d = test(reference: reference, live: window.inputs[k], rule: rule) { out.append(d) }
        }
        var prediction: FeatureDrift?
        if let reference = profile.prediction {
            let rule = resolve(feature: "prediction", rules: rules, global: config.rule)
            prediction = test(reference: reference, live: window.prediction, rule: rule)
        }
        let drifted = out.filter(\.drifted).count
        let share = out.isEmpty ? 0 : Double(drifted) / Double(out.count)
        let shareThreshold = rules?.datasetShare ?? config.datasetShare
        return DriftResult(features: out, prediction: prediction, datasetDrift: !out.isEmpty && share >= shareThreshold, share: share, shareThreshold: shareThreshold)
    }

    /// The feature's rule, else the model's, else the global one (a threshold goes with the
    /// method it was given with).
    static func resolve(feature: String, rules: MonitoringSettings.ModelRules?, global: MonitoringSettings.DriftRule) -> MonitoringSettings.DriftRule {
        for rule in [rules?.features[feature], rules?.rule, global] {
            if let rule, rule.method != nil { return rule }
        }
        return global
    }

    /// Whether a method's score is a p-value (drift below the threshold).
    static func isPValue(_ m: Method) -> Bool { m == .ks || m == .chisquare || m == .z }

    static func defaultThreshold(_ m: Method) -> Double { isPValue(m) ? 0.05 : 0.1 }

    /// One column's test; nil when either side has nothing to compare.
    public static func test(reference: ReferenceProfile.Feature, live: ColumnSketch, rule: MonitoringSettings.DriftRule) -> FeatureDrift? {
        let referenceRows = reference.count - reference.nulls
        let numeric = reference.numeric.map { Set($0.sample).count > 5 } ?? false
        var method = rule.method ?? .auto
        let fits: Set<Method> = numeric ? [.ks, .wasserstein, .psi] : [.chisquare, .z, .jensenshannon, .psi]
        if !fits.contains(method) { method = .auto }
        if method == .auto {
            method = numeric ? (referenceRows <= 1000 ? .ks : .wasserstein) : (referenceRows <= 1000 ? .chisquare : .jensenshannon)
        }
        var score: Double
        if numeric, let r = reference.numeric {
            guard !live.sample.isEmpty, !r.sample.isEmpty else { return nil }
            switch method {
            case .ks: score = DriftStatistics.kolmogorovSmirnov(r.sample, live.sample).pValue
            case .psi:
                let edges = quantileEdges(r.sample, bins: 10)
                score = DriftStatistics.psi(reference: binned(r.sample, edges: edges), current: binned(live.sample, edges: edges))
            default: score = DriftStatistics.normedWasserstein(reference: r.sample, current: live.sample)
            }
        } else {
            // Categories: the reference's counts per value against the live ones.
            let referenceCounts = counts(reference)
            let liveCounts = counts(live)
            let keys = Set(referenceCounts.keys).union(liveCounts.keys).sorted()
            guard !keys.isEmpty, liveCounts.values.reduce(0, +) > 0 else { return nil }
            let r = keys.map { referenceCounts[$0] ?? 0 }
            let l = keys.map { liveCounts[$0] ?? 0 }
            // The Z-test needs two values; for two values it is Evidently's default over chi-square.
            if method == .z && keys.count != 2 { method = .chisquare }
            if method == .chisquare && rule.method == nil && keys.count == 2 { method = .z }
            switch method {
            case .z:
                score = DriftStatistics.proportionZTest(successesA: r[0], totalA: r[0] + r[1], successesB: l[0], totalB: l[0] + l[1]).pValue
            case .chisquare:
                // Expected proportions from the reference; a live value the reference never
                // had gets a tiny share so it counts against the fit.
                score = DriftStatistics.chiSquare(observed: l, expected: r.map { max($0, 1e-4) }).pValue
            case .psi: score = DriftStatistics.psi(reference: r, current: l)
            default: score = DriftStatistics.jensenShannon(r, l)
            }
        }
        if !score.isFinite { score = isPValue(method) ? 1 : 0 }
        let threshold = rule.method == method ? rule.threshold ?? defaultThreshold(method) : defaultThreshold(method)
        let drifted = isPValue(method) ? score < threshold : score >= threshold
        return FeatureDrift(
            name: reference.name, kind: numeric ? "numeric" : "categorical", method: method.rawValue, score: score, threshold: threshold,
            drifted: drifted, reference: reference, live: live)
    }

    /// The reference's count per value: its top categories, or its sampled few-valued numbers.
    static func counts(_ reference: ReferenceProfile.Feature) -> [String: Double] {
        var out: [String: Double] = [:]
        if let categorical = reference.categorical {
            for t in categorical.top { out[t.value] = Double(t.count) }
        } else if let numeric = reference.numeric {
            for v in numeric.sample { out[text(v), default: 0] += 1 }
        }
        return out
    }

    /// The live count per value: texts, and numbers (exact while few, else from the sample).
    static func counts(_ live: ColumnSketch) -> [String: Double] {
        var out: [String: Double] = [:]
        for (k, c) in live.texts { out[k, default: 0] += Double(c) }
        if live.numbersOverflow {
            for v in live.sample { out[text(v), default: 0] += 1 }
        } else {
            for (v, c) in live.numberCounts { out[text(v), default: 0] += Double(c) }
        }
        return out
    }

    /// Bin edges at the reference's quantiles (duplicates removed).
    static func quantileEdges(_ values: [Double], bins: Int) -> [Double] {
        let sorted = values.sorted()
        var edges: [Double] = []
        for b in 1..<bins {
            let v = sorted[min(sorted.count - 1, b * sorted.count / bins)]
            if edges.last != v { edges.append(v) }
        }
        return edges
    }

    /// Counts per bin: below the first edge, between edges, at or above the last.
    static func binned(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for v in values {
            var lo = 0
            var hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if v < edges[mid] { hi = mid } else { lo = mid + 1 }
            }
            counts[lo] += 1
        }
        return counts
    }

    static func text(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
