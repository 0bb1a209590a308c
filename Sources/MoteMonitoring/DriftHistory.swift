public import MoteCore
import Synchronization

/// Each served version's drift scores over time, as the monitoring checks found them: the
/// last `capacity` checks that could judge drift, in memory (a restart starts a new series).
public final class DriftHistory: Sendable {
    /// One check's scores.
    public struct Point: Sendable {
        public var atNanos: Int64
        /// The share of drifted inputs.
        public var share: Double
        /// Per input (and `prediction`): its drift score and whether it drifted.
        public var scores: [(name: String, score: Double, drifted: Bool)]
    }

    public let capacity: Int
    private let series = Mutex<[String: [Point]]>([:])

    public init(capacity: Int = 240) {
        self.capacity = capacity
    }

    /// Adds a report's drift (nothing when the report could not judge drift).
    public func record(_ report: ModelReport) {
        guard let drift = report.drift else { return }
        let point = Point(
            atNanos: report.atNanos, share: drift.share,
            scores: (drift.features + (drift.prediction.map { [$0] } ?? [])).map { ($0.name, $0.score, $0.drifted) })
        let key = LiveProfiles.key(report.model, report.version)
        series.withLock { all in
            var points = all[key] ?? []
            points.append(point)
            if points.count > capacity { points.removeFirst(points.count - capacity) }
            all[key] = points
        }
    }

    /// A version's points, oldest first.
    public func points(model: String, version: Int) -> [Point] {
        series.withLock { $0[LiveProfiles.key(model, version)] ?? [] }
    }

    /// The points as the monitoring answer's `history` member: `[{"at", "drift_share", "scores": {name: score}, "drifted": [names]}]`.
    public static func write(_ points: [Point], into w: inout JSONWriter) {
        w.beginArray()
        for p in points {
            w.beginObject()
            w.key("at"); w.timestamp(nanos: p.atNanos)
            w.key("drift_share"); w.double(p.share)
            w.key("scores"); w.beginObject(); for s in p.scores { w.key(s.name); w.double(s.score) }; w.endObject()
            w.key("drifted"); w.beginArray(); for s in p.scores where s.drifted { w.string(s.name) }; w.endArray()
            w.endObject()
        }
        w.endArray()
    }
}
