public import MoteCore

/// A registry record that renders itself as JSON (API answers, audit and outbox documents).
public protocol JSONWritable {
    func write(into w: inout JSONWriter)
}

extension JSONWritable {
    /// The record as one JSON document.
    public func json() -> JSONWriter {
        var w = JSONWriter(capacity: 512)
        write(into: &w)
        return w
    }
}

extension Experiment: JSONWritable {
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(String(id))
        w.key("name"); w.string(name)
        w.key("description"); w.string(description)
        w.key("tags"); writeTags(tags, into: &w)
        w.key("created"); w.timestamp(nanos: createdNanos)
        w.endObject()
    }
}

extension MetricPoint {
    /// `{"key", "value", "step", "timestamp"}` (timestamp in epoch milliseconds, as MLflow).
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("key"); w.string(key)
        w.key("value"); w.double(value)
        w.key("step"); w.int(step)
        w.key("timestamp"); w.int(timestampMillis)
        w.endObject()
    }
}

extension Run: JSONWritable {
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(id)
        w.key("experiment"); w.string(experimentName)
        w.key("experiment_id"); w.string(String(experimentID))
        w.key("name"); w.string(name)
        w.key("status"); w.string(status.rawValue)
        w.key("start"); w.timestamp(nanos: startNanos)
        w.key("end"); if let endNanos { w.timestamp(nanos: endNanos) } else { w.null() }
        w.key("params"); writeTags(params, into: &w)
        w.key("metrics")
        w.beginObject()
        for key in metrics.keys.sorted() {
            w.key(key)
            metrics[key]?.write(into: &w)
        }
        w.endObject()
        w.key("tags"); writeTags(tags, into: &w)
        w.key("artifacts")
        w.beginArray()
        for path in artifacts.keys.sorted() {
            w.beginObject()
            w.key("path"); w.string(path)
            w.key("digest"); w.string(artifacts[path]?.digest ?? "")
            w.key("size"); w.int(artifacts[path]?.size ?? 0)
            w.endObject()
        }
        w.endArray()
        w.key("source")
        if let parsed = try? JSONParser.parse(Array(source.utf8)) { w.value(parsed) } else { w.null() }
        w.endObject()
    }
}

/// A string map as a JSON object with sorted keys.
func writeTags(_ tags: [String: String], into w: inout JSONWriter) {
    w.beginObject()
    for key in tags.keys.sorted() {
        w.key(key)
        w.string(tags[key] ?? "")
    }
    w.endObject()
}

extension RegisteredModel: JSONWritable {
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("description"); w.string(description)
        w.key("tags"); writeTags(tags, into: &w)
        w.key("aliases")
        w.beginObject()
        for alias in aliases.keys.sorted() { w.key(alias); w.int(aliases[alias] ?? 0) }
        w.endObject()
        w.key("latest_version"); if let latestVersion { w.int(latestVersion) } else { w.null() }
        w.key("created"); w.timestamp(nanos: createdNanos)
        w.key("updated"); w.timestamp(nanos: updatedNanos)
        w.endObject()
    }
}

extension ModelVersion: JSONWritable {
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("version"); w.int(version)
        w.key("run_id"); if let runID { w.string(runID) } else { w.null() }
        w.key("artifact_digest"); w.string(artifactDigest)
        w.key("format"); w.string(format)
        w.key("signature"); w.value((try? JSONParser.parse(Array(signature.utf8))) ?? .null)
        w.key("metrics"); w.value((try? JSONParser.parse(Array(metrics.utf8))) ?? .null)
        w.key("description"); w.string(description)
        w.key("tags"); writeTags(tags, into: &w)
        w.key("status"); w.string(status)
        w.key("aliases"); w.beginArray(); for alias in aliases { w.string(alias) }; w.endArray()
        w.key("created"); w.timestamp(nanos: createdNanos)
        w.endObject()
    }
}
