public import MoteCore
import MoteImport
import MoteML

/// Why a bundle could not be loaded.
public struct BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

// The bundle document (JSON, one object):
//   format "mote.model", format_version 1, algorithm, task, hyperparameters {},
//   inputs [{name, type}], outputs [{name, datatype, shape}] (informative), classes [],
//   preprocessing {missing: native|impute, columns: [{kind: numeric, mean} |
//     {kind: categorical_code|categorical_one_hot, categories: []}]},
//   training {run_id, dataset {}, trained_at, metrics {}},
//   profile {rows, features: [feature], prediction: feature|null} with feature
//     {name, count, nulls, numeric: {mean, std, min, max, quantiles, histogram, sample} |
//      categorical: {distinct, top: [{value, count}]}},
//   model {...} per algorithm (flat arrays, see `writeModel`); for an imported model
//     (algorithm lightgbm|xgboost|onnx) {format, producer, sha256, size, source_base64}: the
//     file as given, read again when the bundle is loaded.
extension ModelBundle {
    /// The bundle as its JSON document.
    public func encoded() -> [UInt8] {
        var w = JSONWriter(capacity: 64 * 1024)
        w.beginObject()
        w.key("format"); w.string(Self.formatName)
        w.key("format_version"); w.int(Self.formatVersion)
        w.key("algorithm"); w.string(algorithm)
        w.key("task"); w.string(task.rawValue)
        w.key("hyperparameters"); w.value(.object(hyperparameters))
        w.key("inputs")
        w.beginArray()
        for input in inputs {
            w.beginObject()
            w.key("name"); w.string(input.name)
            w.key("type"); w.string(input.type.rawValue)
            w.endObject()
        }
        w.endArray()
        w.key("outputs")
        w.beginArray()
        for output in outputs { output.write(into: &w) }
        w.endArray()
        w.key("classes"); w.beginArray(); for c in classes { w.string(c) }; w.endArray()
        w.key("preprocessing")
        w.beginObject()
        w.key("missing"); w.string(preprocessing.missing.rawValue)
        w.key("columns")
        w.beginArray()
        for column in preprocessing.columns {
            w.beginObject()
            switch column {
            case .numeric(let mean):
                w.key("kind"); w.string("numeric")
                w.key("mean"); w.double(mean)
            case .categoricalCode(let categories):
                w.key("kind"); w.string("categorical_code")
                w.key("categories"); w.beginArray(); for c in categories { w.string(c) }; w.endArray()
            case .categoricalOneHot(let categories):
                w.key("kind"); w.string("categorical_one_hot")
                w.key("categories"); w.beginArray(); for c in categories { w.string(c) }; w.endArray()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("training")
        w.beginObject()
        w.key("run_id"); w.string(training.runID)
        w.key("dataset"); w.value(training.dataset)
        w.key("trained_at"); w.timestamp(nanos: training.trainedAtNanos)
        w.key("metrics")
        w.beginObject()
        for (name, value) in training.metrics.sorted(by: { $0.key < $1.key }) { w.key(name); w.double(value) }
        w.endObject()
        w.endObject()
        w.key("profile")
        w.beginObject()
        w.key("rows"); w.int(profile.rows)
        w.key("features"); w.beginArray(); for f in profile.features { Self.write(f, &w) }; w.endArray()
        w.key("prediction")
        if let p = profile.prediction { Self.write(p, &w) } else { w.null() }
        w.endObject()
        w.key("model")
        writeModel(&w)
        w.endObject()
        return w.bytes
    }

    private static func write(_ f: ReferenceProfile.Feature, _ w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(f.name)
        w.key("count"); w.int(f.count)
        w.key("nulls"); w.int(f.nulls)
        if let n = f.numeric {
            w.key("numeric")
            w.beginObject()
            w.key("mean"); w.double(n.mean)
            w.key("std"); w.double(n.std)
            w.key("min"); w.double(n.min)
            w.key("max"); w.double(n.max)
            w.key("quantiles"); doubles(n.quantiles, &w)
            w.key("histogram"); w.beginArray(); for c in n.histogram { w.int(c) }; w.endArray()
            w.key("sample"); doubles(n.sample, &w)
            w.endObject()
        }
        if let c = f.categorical {
            w.key("categorical")
            w.beginObject()
            w.key("distinct"); w.int(c.distinct)
            w.key("top")
            w.beginArray()
            for t in c.top {
                w.beginObject()
                w.key("value"); w.string(t.value)
                w.key("count"); w.int(t.count)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endObject()
    }

    private static func doubles(_ values: [Double], _ w: inout JSONWriter) {
        w.beginArray()
        for v in values { w.double(v) }
        w.endArray()
    }

    private static func ints(_ values: [Int32], _ w: inout JSONWriter) {
        w.beginArray()
        for v in values { w.int(Int64(v)) }
        w.endArray()
    }

    private func writeModel(_ w: inout JSONWriter) {
        w.beginObject()
        switch model {
        case .gbdt(let m):
            w.key("objective"); w.string(m.objective.rawValue)
            w.key("class_count"); w.int(m.classCount)
            w.key("feature_count"); w.int(m.featureCount)
            w.key("base_scores"); Self.doubles(m.baseScores, &w)
            w.key("roots"); Self.ints(m.roots, &w)
            w.key("feature"); Self.ints(m.feature, &w)
            w.key("threshold"); Self.doubles(m.threshold, &w)
            w.key("default_left"); w.beginArray(); for b in m.defaultLeft { w.int(b ? 1 : 0) }; w.endArray()
            w.key("left"); Self.ints(m.left, &w)
            w.key("right"); Self.ints(m.right, &w)
            w.key("value"); Self.doubles(m.value, &w)
            if !m.cover.isEmpty { w.key("cover"); Self.doubles(m.cover, &w) }
        case .linear(let m):
            w.key("means"); Self.doubles(m.means, &w)
            w.key("scales"); Self.doubles(m.scales, &w)
            w.key("weights"); Self.doubles(m.weights, &w)
            w.key("intercept"); w.double(m.intercept)
        case .logistic(let m):
            w.key("means"); Self.doubles(m.means, &w)
            w.key("scales"); Self.doubles(m.scales, &w)
            w.key("weights"); Self.doubles(m.weights, &w)
            w.key("intercept"); w.double(m.intercept)
        case .imported(let m):
            // The file itself: read again on load, so serving uses exactly what was imported.
            w.key("format"); w.string(m.format.rawValue)
            w.key("producer"); w.string(m.producer)
            w.key("sha256"); w.string(SHA256.hex(of: m.source))
            w.key("size"); w.int(m.source.count)
            w.key("source_base64"); w.string(Base64.encode(m.source))
        case .isolationForest(let m):
            w.key("feature_count"); w.int(m.featureCount)
            w.key("sample_size"); w.int(m.sampleSize)
            w.key("roots"); Self.ints(m.roots, &w)
            w.key("feature"); Self.ints(m.feature, &w)
            w.key("threshold"); Self.doubles(m.threshold, &w)
            w.key("left"); Self.ints(m.left, &w)
            w.key("right"); Self.ints(m.right, &w)
            w.key("size"); Self.ints(m.size, &w)
            w.key("depth"); Self.ints(m.depth, &w)
        }
        w.endObject()
    }
}

extension OutputField {
    /// `{"name", "datatype", "shape"}`, as bundles and model metadata write it.
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("datatype"); w.string(datatype)
        w.key("shape"); w.beginArray(); for d in shape { w.int(d) }; w.endArray()
        w.endObject()
    }
}
