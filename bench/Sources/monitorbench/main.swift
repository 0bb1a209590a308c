// Monitoring costs off the request path (issue 7): folding logged rows into live profiles
// (the prediction log writer's extra work per row), and one drift check of 50 numeric
// features over a 100k-row window (merge the window's buckets + run the tests).
// usage: monitorbench [features] [rows] [live_sample]
import MoteCore
import MoteInference
import MoteModels
import MoteMonitoring

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
let features = arguments.count > 1 ? Int(arguments[1]) ?? 50 : 50
let rows = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let liveSample = arguments.count > 3 ? Int(arguments[3]) ?? 1000 : 1000

struct Draws {
    var state: UInt64 = 42
    mutating func uniform() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(UInt64(1) << 53)
    }
    mutating func normal() -> Double { (uniform() + uniform() + uniform() + uniform() - 2) * 1.7 }
}
var draws = Draws()

func seconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

// Reference: 100k training rows per feature.
var referenceFeatures: [ReferenceProfile.Feature] = []
for f in 0..<features {
    let values = (0..<100_000).map { _ in draws.normal() + Double(f) }
    referenceFeatures.append(ReferenceProfile.numericFeature(name: "f\(f)", count: values.count, nulls: 0, values: values))
}
let reference = ReferenceProfile(rows: 100_000, features: referenceFeatures, prediction: nil)

// Live: `rows` logged rows over 20 minutes (1-minute buckets), the last 10 features shifted.
let second: Int64 = 1_000_000_000
let start: Int64 = 1_800_000_000 * second
var config = MonitoringSettings()
config.windowNanos = 3600 * second
config.windowRows = rows
config.bucketNanos = 60 * second
config.liveSample = liveSample
let profiles = LiveProfiles(settings: .fixed(config))
var batch: [PredictionLog.Record] = []
var matrix = [Double](repeating: 0, count: rows * features)
for r in 0..<rows { for f in 0..<features { matrix[r * features + f] = draws.normal() + Double(f) + (f >= features - 10 ? 1.5 : 0) } }
let feedStart = seconds()
for r in 0..<rows {
    var record = PredictionLog.Record(
        id: "p\(r)", atNanos: start + Int64(r) * 1200 * second / Int64(rows), model: "m", version: 1, entityKey: nil, inputs: nil,
        scores: [0.5][...], latencyNanos: 1)
    record.numbers = matrix[(r * features)..<((r + 1) * features)]
    batch.append(record)
    if batch.count == 4096 || r == rows - 1 {
        profiles.add(batch)
        batch.removeAll(keepingCapacity: true)
    }
}
let feedSeconds = seconds() - feedStart

let now = start + 1200 * second
var best = Double.infinity
var drifted = 0
for _ in 0..<5 {
    let t0 = seconds()
    guard let window = profiles.window(model: "m", version: 1, now: now) else { fatalError("no window") }
    let result = DriftCheck.check(profile: reference, window: window, config: config, model: "m")
    best = min(best, seconds() - t0)
    drifted = result.features.filter(\.drifted).count
    precondition(window.rows == rows)
}
print("features=\(features) window_rows=\(rows) live_sample=\(liveSample)")
print("fold into live profiles: \(Int(Double(rows) / feedSeconds)) rows/s (\(String(Int(feedSeconds * 1e9 / Double(rows)))) ns per row, writer thread)")
print("one drift check (merge buckets + \(features) tests): \(Int(best * 1e6)) us; drifted \(drifted) of \(features) (10 shifted)")
