public import MoteCore
import MoteModels

extension ModelReport {
    /// The report as `GET /v1/models/{name}/monitoring` answers it (and, without the
    /// per-feature distributions, as the outbox summary for the central host).
    /// `extra` writes more members at the end of the object.
    public func write(into w: inout JSONWriter, config: MonitoringSettings, distributions: Bool = true, extra: (inout JSONWriter) -> Void = { _ in }) {
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("version"); w.int(version)
        w.key("task"); w.string(task)
        w.key("at"); w.timestamp(nanos: atNanos)
        w.key("window")
        w.beginObject()
        w.key("from"); if let window { w.timestamp(nanos: window.fromNanos) } else { w.null() }
        w.key("to"); if let window { w.timestamp(nanos: window.toNanos) } else { w.null() }
        w.key("rows"); w.int(window?.rows ?? 0)
        w.key("predictions"); w.int(window?.predictions ?? 0)
        w.key("max_rows"); w.int(config.windowRows)
        w.key("max_age"); w.string(DurationText.format(nanos: config.windowNanos))
        w.key("bucket"); w.string(DurationText.format(nanos: config.bucketNanos))
        w.endObject()
        w.key("reference")
        w.beginObject()
        w.key("rows"); w.int(referenceRows)
        if referenceRows == 0 {
            w.key("note"); w.string("this version has no reference profile, so drift is not judged: import it with --reference CSV or with --inputs bound to features that have history")
        }
        w.endObject()
        w.key("window_rows"); w.int(window?.rows ?? 0)
        w.key("min_rows"); w.int(config.minRows)
        w.key("judged"); w.bool(drift != nil)
        // No verdict is not "no drift": unjudged, dataset_drift is null and the verdict says why.
        w.key("verdict")
        if let drift {
            w.string(drift.datasetDrift ? "drift" : "no_drift")
        } else {
            w.string(referenceRows == 0 ? "no_reference" : "not_enough_data")
        }
        w.key("dataset_drift"); if let drift { w.bool(drift.datasetDrift) } else { w.null() }
        w.key("drift_share"); w.double(drift?.share ?? 0)
        w.key("drift_share_threshold"); w.double(drift?.shareThreshold ?? config.models[model]?.datasetShare ?? config.datasetShare)
        w.key("features")
        w.beginArray()
        for f in drift?.features ?? [] { Self.write(f, into: &w, distributions: distributions) }
        w.endArray()
        w.key("prediction")
        if let p = drift?.prediction { Self.write(p, into: &w, distributions: distributions) } else { w.null() }
        w.key("metrics")
        w.beginObject()
        w.key("feedback_rows"); w.int(feedbackRows)
        w.key("min_feedback"); w.int(config.minFeedback)
        w.key("live"); Self.write(live, into: &w)
        w.key("holdout"); Self.write(holdout, into: &w)
        w.key("degraded"); w.beginArray(); for d in degraded { w.string(d) }; w.endArray()
        w.endObject()
        extra(&w)
        w.endObject()
    }

    static func write(_ metrics: [String: Double], into w: inout JSONWriter) {
        w.beginObject()
        for (k, v) in metrics.sorted(by: { $0.key < $1.key }) where v.isFinite { w.key(k); w.double(v) }
        w.endObject()
    }

    static func write(_ f: FeatureDrift, into w: inout JSONWriter, distributions: Bool) {
        w.beginObject()
        w.key("name"); w.string(f.name)
        w.key("kind"); w.string(f.kind)
        w.key("method"); w.string(f.method)
        w.key("score"); w.double(f.score)
        w.key("threshold"); w.double(f.threshold)
        w.key("drifted"); w.bool(f.drifted)
        w.key("live_rows"); w.int(f.live.rows)
        w.key("live_missing"); w.int(f.live.missing)
        if distributions {
            w.key("reference")
            w.beginObject()
            w.key("count"); w.int(f.reference.count)
            w.key("nulls"); w.int(f.reference.nulls)
            if let n = f.reference.numeric {
                w.key("mean"); w.double(n.mean)
                w.key("quantiles"); writeQuantiles(n.quantiles, into: &w)
            }
            w.endObject()
            w.key("live")
            w.beginObject()
            w.key("count"); w.int(f.live.rows)
            w.key("nulls"); w.int(f.live.missing)
            if f.reference.numeric != nil, let mean = f.live.mean {
                w.key("mean"); w.double(mean)
                let sorted = f.live.sample.sorted()
                w.key("quantiles")
                writeQuantiles(ReferenceProfile.quantileLevels.map { sorted[min(sorted.count - 1, Int(($0 * Double(sorted.count - 1)).rounded()))] }, into: &w)
            }
            w.endObject()
            if let n = f.reference.numeric, n.max > n.min {
                // Shares per bin of the reference's equal-width histogram, for both sides.
                let bins = n.histogram.count
                let width = (n.max - n.min) / Double(bins)
                var live = [Double](repeating: 0, count: bins)
                var below = 0.0
                var above = 0.0
                for v in f.live.sample {
                    if v < n.min { below += 1 } else if v > n.max { above += 1 } else { live[min(bins - 1, Int((v - n.min) / width))] += 1 }
                }
                let liveTotal = Double(max(1, f.live.sample.count))
                let referenceTotal = Double(max(1, n.histogram.reduce(0, +)))
                w.key("histogram")
                w.beginObject()
                w.key("edges"); w.beginArray(); for b in 0...bins { w.double(n.min + Double(b) * width) }; w.endArray()
                w.key("reference"); w.beginArray(); for c in n.histogram { w.double(Double(c) / referenceTotal) }; w.endArray()
                w.key("live"); w.beginArray(); for c in live { w.double(c / liveTotal) }; w.endArray()
                w.key("live_below"); w.double(below / liveTotal)
                w.key("live_above"); w.double(above / liveTotal)
                w.endObject()
            } else {
                // Shares per category: the reference's top values and the live ones.
                let reference = DriftCheck.counts(f.reference)
                let live = DriftCheck.counts(f.live)
                let rt = max(1, reference.values.reduce(0, +))
                let lt = max(1, live.values.reduce(0, +))
                let keys = Set(reference.keys).union(live.keys).sorted { (reference[$0] ?? 0) + (live[$0] ?? 0) > (reference[$1] ?? 0) + (live[$1] ?? 0) || ((reference[$0] ?? 0) + (live[$0] ?? 0) == (reference[$1] ?? 0) + (live[$1] ?? 0) && $0 < $1) }
                w.key("categories")
                w.beginArray()
                for k in keys.prefix(12) {
                    w.beginObject()
                    w.key("value"); w.string(k)
                    w.key("reference"); w.double((reference[k] ?? 0) / rt)
                    w.key("live"); w.double((live[k] ?? 0) / lt)
                    w.endObject()
                }
                w.endArray()
            }
        }
        w.endObject()
    }

    static func writeQuantiles(_ values: [Double], into w: inout JSONWriter) {
        w.beginObject()
        for (level, v) in zip(ReferenceProfile.quantileLevels, values) {
            let name = level == 0 ? "min" : level == 1 ? "max" : "p\(Int((level * 100).rounded()))"
            w.key(name); w.double(v)
        }
        w.endObject()
    }
}
