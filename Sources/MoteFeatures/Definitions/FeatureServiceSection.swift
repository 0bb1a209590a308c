public import MoteCore

/// `[[feature_service]]` in the definitions file: a named list of features that readers ask
/// for by name (`"feature_service": "NAME"` on `get-online-features` and `historical-features`),
/// as Feast's feature services are. Each entry is `"view:field"`, or a bare view name for every
/// field of that view (fields added to the view later are included).
///
/// ```toml
/// [[feature_service]]
/// name = "press_model_v1"
/// features = ["press_stats:temperature", "press_stats:vibration", "machine_info"]
/// description = "what the press failure model reads"
/// ```
public struct FeatureServiceSection: DefinitionSection {
    public let table = "feature_service"
    public let storedKey = "feature_services"
    public let kind = "feature_service"

    public init() {}

    public func read(_ table: TableReader, features: DefinitionSet) throws(ConfigFailure) -> DefinedItem {
        guard let name = try table.string("name", nonEmpty: true) else { throw table.failure("name", "a name is required") }
        guard DefinitionNames.isValid(name) else {
            throw table.failure("name", "'\(name)' is not a valid name (letters, digits, _ and -, at most \(DefinitionNames.maxLength))")
        }
        guard let list = try table.stringArray("features"), !list.isEmpty else {
            throw table.failure("features", "a feature service lists its features: [\"view:field\", ...] or a view name for all its fields")
        }
        var seen = Set<String>()
        for entry in list {
            guard seen.insert(entry).inserted else { throw table.failure("features", "'\(entry)' is listed twice") }
            let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let view = features.view(String(parts[0])) else {
                throw table.failure("features", "'\(entry)': no feature view '\(parts[0])'")
            }
            if parts.count == 2, view.fieldIndex(String(parts[1])) == nil {
                throw table.failure("features", "'\(entry)': feature view '\(view.name)' has no field '\(parts[1])'")
            }
        }
        let description = try table.string("description", nonEmpty: false) ?? ""
        try table.finish()
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("name"); w.string(name)
        w.key("features"); w.beginArray(); for entry in list { w.string(entry) }; w.endArray()
        w.key("description"); w.string(description)
        w.endObject()
        return DefinedItem(name: name, document: (try? JSONParser.parse(w.bytes)) ?? .null)
    }

    public func changes(from old: JSONValue, to new: JSONValue) -> [String] {
        var details: [String] = []
        if old["features"] != new["features"] { details.append("features") }
        if old["description"] != new["description"] { details.append("description") }
        return details
    }

    public func summary(of item: JSONValue) -> String {
        "\(item["features"]?.arrayValue?.count ?? 0) features"
    }
}

extension DefinitionSet {
    /// The features of feature service `name` as `view:field` references (a bare view name
    /// expanded to every field it has now), or nil when there is no such service.
    public func featureService(_ name: String) -> [String]? {
        guard let item = items(of: FeatureServiceSection().storedKey).first(where: { $0.name == name }) else { return nil }
        var out: [String] = []
        for entry in item.document["features"]?.arrayValue ?? [] {
            guard let text = entry.stringValue else { continue }
            if text.contains(":") {
                out.append(text)
            } else if let view = view(text) {
                out += view.fields.map { "\(view.name):\($0.name)" }
            }
        }
        return out
    }

    /// The names of the defined feature services, in file order.
    public var featureServiceNames: [String] {
        items(of: FeatureServiceSection().storedKey).map(\.name)
    }
}
