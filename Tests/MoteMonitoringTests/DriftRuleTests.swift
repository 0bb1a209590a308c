import MoteCore
import MoteML
import MoteModels
import MoteMonitoring
import Testing

@Suite("drift rules")
struct DriftRuleTests {
    static func reference(_ values: [Double], name: String = "x") -> ReferenceProfile.Feature {
        ReferenceProfile.numericFeature(name: name, count: values.count, nulls: 0, values: values)
    }

    static func live(_ values: [Double]) -> ColumnSketch {
        var s = ColumnSketch()
        var random = SplitMix64(seed: 1)
        for v in values { s.add(v, capacity: 5000, random: &random) }
        return s
    }

    @Test("config overrides per model and feature: the feature's method and threshold win, a method that does not fit the kind falls back")
    func overrides() throws {
        let config = try MonitoringSettings.parse(
            """
            [monitoring]
            method = "wasserstein"
            threshold = 0.3
            [monitoring.models.failure]
            drift_share = 0.25
            [monitoring.models.failure.features."sensors:temp"]
            method = "psi"
            threshold = 0.2
            [monitoring.models.failure.features."sensors:mode"]
            method = "ks"
            """
        )
        #expect(config.rule == .init(method: .wasserstein, threshold: 0.3))
        #expect(config.models["failure"]?.datasetShare == 0.25)
        #expect(config.models["failure"]?.features["sensors:temp"] == .init(method: .psi, threshold: 0.2))

        let ref = Self.reference((0..<2000).map { Double($0 % 100) })
        let shifted = Self.live((0..<2000).map { Double($0 % 100) + 15 })
        let psi = try #require(DriftCheck.test(reference: ref, live: shifted, rule: .init(method: .psi, threshold: 0.2)))
        #expect(psi.method == "psi" && psi.threshold == 0.2 && psi.drifted)
        let wasserstein = try #require(DriftCheck.test(reference: ref, live: shifted, rule: config.rule))
        #expect(wasserstein.method == "wasserstein" && wasserstein.threshold == 0.3)
        #expect(abs(wasserstein.score - 15 / ref.numeric!.std) < 0.05)
        // KS on a categorical column is not a fit: Evidently's default for it instead.
        let categories = ReferenceProfile.build(
            inputs: [InputField(name: "sensors:mode", type: .string)], rows: (0..<300).map { [.text(["idle", "run", "boost"][$0 % 3])] }
        ).features[0]
        var liveModes = ColumnSketch()
        for k in 0..<300 { liveModes.add(text: ["idle", "run", "boost"][k % 3]) }
        let fallback = try #require(DriftCheck.test(reference: categories, live: liveModes, rule: .init(method: .ks)))
        #expect(fallback.method == "chisquare" && fallback.threshold == 0.05 && !fallback.drifted)
    }

    @Test("a threshold without a method is refused with the key named")
    func thresholdNeedsMethod() {
        #expect(throws: ConfigFailure.self) { try MonitoringSettings.parse("[monitoring]\nthreshold = 0.2\n") }
        #expect(throws: ConfigFailure.self) { try MonitoringSettings.parse("[monitoring]\nbucket = \"2h\"\nwindow = \"1h\"\n") }
        #expect(throws: ConfigFailure.self) { try MonitoringSettings.parse("[monitoring.models.m]\nthreshhold = 0.2\n") }
    }
}
