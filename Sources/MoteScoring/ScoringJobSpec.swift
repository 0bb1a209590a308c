public import MoteCore

/// A batch scoring job (`[[scoring_job]]` in the definitions file): which model scores which
/// entities, where the results go, and how often.
public struct ScoringJobSpec: Sendable, Equatable {
    /// The entities a job scores.
    public enum Entities: Sendable, Equatable {
        /// Every entity cached online in this feature view.
        case view(String)
        /// These keys (for a single join key).
        case list([String])
        /// The rows of a CSV file whose header names the join keys.
        case csv(path: String)
    }

    /// What to do with a row whose features are missing, null or outside their TTL.
    public enum OnMissing: String, Sendable, CaseIterable {
        /// The row is not scored; it is counted and listed (as `/v1/predict` answers it an error).
        case skip
        /// The model's own missing-value handling scores it (`"on_missing": "model"`).
        case model
    }

    public var name: String
    public var model: String
    /// An alias (`champion`, ...) or a version number; nil: the model's default (its champion).
    public var reference: String?
    public var entities: Entities
    /// A feature view with a float64 field `prediction` (and, for classifiers, a string field
    /// `label`) that receives one row per scored entity.
    public var toView: String?
    /// A file name under the state directory's `scoring/` (`.csv` or `.jsonl`), rewritten by
    /// each run.
    public var toFile: String?
    /// Queue a run when the last is older than this (0: only on demand).
    public var everyNanos: Int64
    public var onMissing: OnMissing
    public var description: String

    public init(
        name: String, model: String, reference: String? = nil, entities: Entities, toView: String? = nil, toFile: String? = nil,
        everyNanos: Int64 = 0, onMissing: OnMissing = .skip, description: String = ""
    ) {
        self.name = name
        self.model = model
        self.reference = reference
        self.entities = entities
        self.toView = toView
        self.toFile = toFile
        self.everyNanos = everyNanos
        self.onMissing = onMissing
        self.description = description
    }

    /// How the results file is written, by its extension.
    public enum FileFormat: String, Sendable {
        case csv, jsonl
    }

    /// The format of `toFile` (nil without one).
    public var fileFormat: FileFormat? {
        guard let toFile else { return nil }
        return toFile.hasSuffix(".jsonl") ? .jsonl : .csv
    }
}

extension ScoringJobSpec {
    /// The spec as a JSON object (stored with the definitions and answered by the API);
    /// `extra` writes more members at the end.
    public func write(into w: inout JSONWriter, extra: (inout JSONWriter) -> Void = { _ in }) {
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("model"); w.string(model)
        w.key("reference"); if let reference { w.string(reference) } else { w.null() }
        switch entities {
        case .view(let view): w.key("entities_from"); w.string(view)
        case .list(let keys): w.key("entities"); w.beginArray(); for k in keys { w.string(k) }; w.endArray()
        case .csv(let path): w.key("entities_csv"); w.string(path)
        }
        w.key("to_view"); if let toView { w.string(toView) } else { w.null() }
        w.key("to_file"); if let toFile { w.string(toFile) } else { w.null() }
        w.key("every_ns"); w.int(everyNanos)
        w.key("on_missing"); w.string(onMissing.rawValue)
        w.key("description"); w.string(description)
        extra(&w)
        w.endObject()
    }

    /// Reads `write(into:)`'s form back (nil when it is not one).
    public static func parse(json: JSONValue) -> ScoringJobSpec? {
        guard let name = json["name"]?.stringValue, let model = json["model"]?.stringValue else { return nil }
        let entities: Entities
        if let view = json["entities_from"]?.stringValue {
            entities = .view(view)
        } else if let keys = json["entities"]?.arrayValue {
            entities = .list(keys.compactMap(\.stringValue))
        } else if let path = json["entities_csv"]?.stringValue {
            entities = .csv(path: path)
        } else {
            return nil
        }
        return ScoringJobSpec(
            name: name, model: model, reference: json["reference"]?.stringValue, entities: entities, toView: json["to_view"]?.stringValue,
            toFile: json["to_file"]?.stringValue, everyNanos: json["every_ns"]?.int64Value ?? 0,
            onMissing: json["on_missing"]?.stringValue.flatMap(OnMissing.init(rawValue:)) ?? .skip,
            description: json["description"]?.stringValue ?? "")
    }

    /// The spec as the JSON document the definitions store.
    public var document: JSONValue {
        var w = JSONWriter(capacity: 256)
        write(into: &w)
        return (try? JSONParser.parse(w.bytes)) ?? .null
    }
}
