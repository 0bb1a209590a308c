public import MoteCore

extension Experiment {
    /// `{"id", "name", "description", "tags", "created"}`.
    public func json() -> JSONWriter {
        var w = JSONWriter(capacity: 256)
        write(into: &w)
        return w
    }

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

extension Run {
    /// The run with params, tags and latest metrics as objects; `source` as stored.
    public func json() -> JSONWriter {
        var w = JSONWriter(capacity: 512)
        write(into: &w)
        return w
    }

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
