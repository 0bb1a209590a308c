import MoteCore
import MoteInference
import MoteModels
import MoteMonitoring
import Testing

private let second: Int64 = 1_000_000_000

@Suite("live profiles")
struct LiveProfileTests {
    static func record(_ at: Int64, _ values: [Double], score: Double, model: String = "m", version: Int = 1) -> PredictionLog.Record {
        var r = PredictionLog.Record(
            id: "p\(at)", atNanos: at, model: model, version: version, entityKey: nil, inputs: nil, scores: [score][...], latencyNanos: 1)
        r.numbers = values[...]
        return r
    }

    @Test("a window is the merge of its buckets: counts, means and extremes equal those of all rows; samples stay bounded")
    func mergeEqualsWhole() throws {
        let profiles = LiveProfiles(settings: .fixed(window(3600 * second, rows: 1_000_000, bucket: 60 * second, sample: 100)))
        var all: [Double] = []
        var records: [PredictionLog.Record] = []
        for i in 0..<5000 {
            let v = Double((i * 7919) % 1000) / 10
            all.append(v)
            records.append(Self.record(Int64(i) * second / 4, [v, i % 10 == 0 ? .nan : 1], score: v / 100))
        }
        for chunk in stride(from: 0, to: records.count, by: 333) { profiles.add(Array(records[chunk..<min(records.count, chunk + 333)])) }
        let window = try #require(profiles.window(model: "m", version: 1, now: 1250 * second))
        #expect(window.rows == 5000)
        #expect(window.inputs[0].numbers == 5000)
        #expect(abs((window.inputs[0].mean ?? 0) - all.reduce(0, +) / 5000) < 1e-9)
        #expect(window.inputs[0].min == all.min() && window.inputs[0].max == all.max())
        #expect(window.inputs[0].sample.count <= 100 && window.inputs[0].sample.count >= 95)
        #expect(window.inputs[1].missing == 500)
        #expect(window.inputs[1].numberCounts == [1: 4500])
        #expect(window.prediction.numbers == 5000)
    }

    @Test("old buckets leave the window by age, and whole oldest buckets by the row bound")
    func windowBounds() throws {
        let byAge = LiveProfiles(settings: .fixed(window(600 * second, rows: 1_000_000, bucket: 60 * second, sample: 50)))
        byAge.add((0..<100).map { Self.record(Int64($0) * second, [1], score: 0) })
        byAge.add((0..<10).map { Self.record(2000 * second + Int64($0), [2], score: 0) })
        let w1 = try #require(byAge.window(model: "m", version: 1, now: 2001 * second))
        #expect(w1.rows == 10)
        #expect(w1.inputs[0].min == 2)

        let byRows = LiveProfiles(settings: .fixed(window(3600 * second, rows: 150, bucket: 10 * second, sample: 50)))
        byRows.add((0..<300).map { Self.record(Int64($0) * second, [Double($0)], score: 0) })
        let w2 = try #require(byRows.window(model: "m", version: 1, now: 300 * second))
        // Buckets of 10 rows: the newest ones holding at least 150 rows stay.
        #expect(w2.rows == 150 || w2.rows == 160)
        #expect(w2.inputs[0].min >= 140)

        // Heavy traffic within one time bucket: buckets also close at an eighth of the window's
        // rows, so the row bound still holds to that grain.
        let busy = LiveProfiles(settings: .fixed(window(3600 * second, rows: 800, bucket: 60 * second, sample: 50)))
        busy.add((0..<10_000).map { Self.record(Int64($0), [Double($0)], score: 0) })
        let w3 = try #require(busy.window(model: "m", version: 1, now: second))
        #expect(w3.rows >= 800 && w3.rows <= 900, "\(w3.rows)")
        #expect(w3.inputs[0].min >= 9000)
        #expect(byRows.window(model: "m", version: 2, now: 300 * second) == nil)
    }
}

/// Monitoring settings with the live-profile window of a test.
func window(_ span: Int64, rows: Int, bucket: Int64, sample: Int) -> MonitoringSettings {
    var s = MonitoringSettings()
    s.windowNanos = span
    s.windowRows = rows
    s.bucketNanos = bucket
    s.liveSample = sample
    return s
}
