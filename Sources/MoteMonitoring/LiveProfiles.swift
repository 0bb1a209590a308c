public import MoteCore
public import MoteInference
import MoteML
import MoteModels
import Synchronization

/// The live side of monitoring: per model version, time buckets of column sketches (one per
/// input and one for the prediction), fed from the prediction log's writer thread after each
/// batch (never on the request path). A bucket spans `bucketNanos` or an eighth of the
/// window's rows, whichever fills first; buckets older than the window, and whole oldest
/// buckets beyond the window's row count, are dropped, so memory is bounded by
/// buckets x columns x `liveSample`.
public final class LiveProfiles: Sendable {
    /// A window's merged sketches.
    public struct Window: Sendable {
        /// Rows whose inputs were logged (sampled rows).
        public var rows: Int
        /// Predictions made (every row).
        public var predictions: Int
        public var fromNanos: Int64
        public var toNanos: Int64
        public var inputs: [ColumnSketch]
        public var prediction: ColumnSketch
    }

    struct Bucket {
        var start: Int64
        var rows = 0
        var inputs: [ColumnSketch]
        var prediction = ColumnSketch()
    }

    struct Profile {
        var buckets: [Bucket] = []
        var random: SplitMix64
    }

    private let settings: Live<MonitoringSettings>
    /// By "model@version".
    private let profiles = Mutex<[String: Profile]>([:])

    public init(settings: Live<MonitoringSettings>) {
        self.settings = settings
    }

    /// "model@version": how monitoring keys per-version state.
    static func key(_ model: String, _ version: Int) -> String { "\(model)@\(version)" }

    /// Folds logged rows in (called on the prediction log's writer thread).
    public func add(_ records: [PredictionLog.Record]) {
        guard !records.isEmpty else { return }
        let s = settings.current
        profiles.withLock { all in
            var i = 0
            while i < records.count {
                // Rows of one batch usually share a model version: one lookup per run of them.
                let first = records[i]
                let key = Self.key(first.model, first.version)
                var profile = all.removeValue(forKey: key) ?? Profile(random: SplitMix64(seed: UInt64(truncatingIfNeeded: key.hashValue)))
                while i < records.count, records[i].model == first.model, records[i].version == first.version {
                    Self.fold(records[i], into: &profile, settings: s)
                    i += 1
                }
                Self.trim(&profile, now: records[i - 1].atNanos, settings: s)
                all[key] = profile
            }
        }
    }

    private static func fold(_ r: PredictionLog.Record, into profile: inout Profile, settings s: MonitoringSettings) {
        let start = r.atNanos - r.atNanos % s.bucketNanos
        let width = r.inputs?.count ?? r.numbers?.count ?? 0
        // A new bucket for a new time span, and also when the newest one holds an eighth of
        // the window's rows (so the row bound drops old rows at that grain under heavy
        // traffic). A late row (older than the newest bucket) goes to the newest: close enough.
        let full = max(1, s.windowRows / 8)
        if profile.buckets.last.map({ $0.start < start || $0.rows >= full }) ?? true {
            profile.buckets.append(Bucket(start: max(start, profile.buckets.last?.start ?? start), inputs: []))
        }
        let b = profile.buckets.count - 1
        let capacity = s.liveSample
        if width > 0 {
            if profile.buckets[b].inputs.count < width {
                profile.buckets[b].inputs += Array(repeating: ColumnSketch(), count: width - profile.buckets[b].inputs.count)
            }
            profile.buckets[b].rows += 1
            if let values = r.inputs {
                for (k, v) in values.enumerated() {
                    switch v {
                    case .number(let d): profile.buckets[b].inputs[k].add(d, capacity: capacity, random: &profile.random)
                    case .text(let t): profile.buckets[b].inputs[k].add(text: t)
                    case .missing: profile.buckets[b].inputs[k].addMissing()
                    }
                }
            } else if let numbers = r.numbers {
                for (k, d) in numbers.enumerated() { profile.buckets[b].inputs[k].add(d, capacity: capacity, random: &profile.random) }
            }
        }
        // The prediction: the value, the positive class's probability or the anomaly score.
        if r.scores.count == 1, let p = r.scores.first {
            profile.buckets[b].prediction.add(p, capacity: capacity, random: &profile.random)
        }
    }

    private static func trim(_ profile: inout Profile, now: Int64, settings s: MonitoringSettings) {
        let oldest = now - s.windowNanos
        while let first = profile.buckets.first, first.start + s.bucketNanos <= oldest { profile.buckets.removeFirst() }
        var rows = profile.buckets.reduce(0) { $0 + $1.rows }
        while profile.buckets.count > 1, rows - profile.buckets[0].rows >= s.windowRows {
            rows -= profile.buckets[0].rows
            profile.buckets.removeFirst()
        }
    }

    /// The window of a model version at `now`: its buckets merged (nil when nothing was logged).
    public func window(model: String, version: Int, now: Int64) -> Window? {
        let s = settings.current
        let buckets = profiles.withLock { all -> [Bucket]? in
            guard var profile = all[Self.key(model, version)] else { return nil }
            Self.trim(&profile, now: now, settings: s)
            all[Self.key(model, version)] = profile
            return profile.buckets
        }
        guard let buckets, let first = buckets.first, let last = buckets.last else { return nil }
        let width = buckets.map(\.inputs.count).max() ?? 0
        let inputs = (0..<width).map { k in
            ColumnSketch.merge(buckets.compactMap { k < $0.inputs.count ? $0.inputs[k] : nil }, sampleSize: s.liveSample)
        }
        let prediction = ColumnSketch.merge(buckets.map(\.prediction), sampleSize: s.liveSample)
        return Window(
            rows: buckets.reduce(0) { $0 + $1.rows }, predictions: prediction.rows, fromNanos: first.start,
            toNanos: last.start + s.bucketNanos, inputs: inputs, prediction: prediction)
    }

    /// Forgets everything (monitoring turned off).
    public func clear() { profiles.withLock { $0.removeAll() } }
}
