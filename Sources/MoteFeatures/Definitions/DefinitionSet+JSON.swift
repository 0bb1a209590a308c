public import MoteCore

extension DefinitionSet {
    /// Canonical JSON of the set (stable key and element order): what is stored and hashed.
    public func canonicalJSON() -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        write(into: &w)
        return w.bytes
    }

    /// Writes the set as a JSON object (also the API's `GET /v1/definitions` shape).
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("entities")
        w.beginArray()
        for e in entities {
            w.beginObject()
            w.key("name"); w.string(e.name)
            w.key("join_keys"); w.beginArray(); for k in e.joinKeys { w.string(k) }; w.endArray()
            w.key("type"); w.string(e.keyType.rawValue)
            w.key("description"); w.string(e.description)
            w.endObject()
        }
        w.endArray()
        w.key("feature_views")
        w.beginArray()
        for v in views { v.write(into: &w) }
        w.endArray()
        // Only sections with items, so sets stored before a section existed keep their hash.
        for (key, list) in items.sorted(by: { $0.key < $1.key }) where !list.isEmpty {
            w.key(key)
            w.beginArray()
            for item in list { w.value(item.document) }
            w.endArray()
        }
        w.endObject()
    }

    /// SHA-256 of the canonical JSON.
    public var hash: String { SHA256.hex(of: canonicalJSON()) }

    /// Reads the canonical JSON back.
    public static func parse(json: [UInt8]) throws -> DefinitionSet {
        let value = try JSONParser.parse(json)
        var set = DefinitionSet()
        for e in value["entities"]?.arrayValue ?? [] {
            guard let name = e["name"]?.stringValue, let type = e["type"]?.stringValue.flatMap(EntityKeyType.init(rawValue:))
            else { throw MoteError(.storage, "stored definitions are malformed (entity)") }
            set.entities.append(
                EntityDefinition(
                    name: name, joinKeys: (e["join_keys"]?.arrayValue ?? []).compactMap(\.stringValue), keyType: type,
                    description: e["description"]?.stringValue ?? ""))
        }
        for v in value["feature_views"]?.arrayValue ?? [] {
            guard let name = v["name"]?.stringValue, let id = v["id"]?.int64Value else {
                throw MoteError(.storage, "stored definitions are malformed (feature view)")
            }
            var fields: [FieldDefinition] = []
            for f in v["fields"]?.arrayValue ?? [] {
                guard let fname = f["name"]?.stringValue, let type = f["type"]?.stringValue.flatMap(FeatureType.init(rawValue:))
                else { throw MoteError(.storage, "stored definitions are malformed (field)") }
                var expectations = FieldExpectations()
                if let x = f["expect"] {
                    expectations = FieldExpectations(
                        min: x["min"]?.doubleValue, max: x["max"]?.doubleValue, allowed: x["allowed"]?.arrayValue?.compactMap(\.stringValue),
                        notNull: x["not_null"] == .bool(true))
                }
                fields.append(FieldDefinition(name: fname, type: type, description: f["description"]?.stringValue ?? "", expectations: expectations))
            }
            let retention = RetentionPolicy(
                maxAgeNanos: v["retention"]?["max_age_ns"]?.int64Value, maxRows: v["retention"]?["max_rows"]?.int64Value.map { Int($0) })
            let tags = (v["tags"]?.objectValue?.members ?? []).compactMap { m in m.value.stringValue.map { (key: m.key, value: $0) } }
            var view = FeatureViewDefinition(
                id: Int(id), name: name, entities: (v["entities"]?.arrayValue ?? []).compactMap(\.stringValue),
                fields: fields, ttlNanos: v["ttl_ns"]?.int64Value ?? 0, retention: retention, tags: tags,
                description: v["description"]?.stringValue ?? "")
            view.revision = v["revision"]?.int64Value.flatMap { Int(exactly: $0) } ?? 0
            if let x = v["expect"] {
                view.expectations = ViewExpectations(
                    onInvalid: x["on_invalid"]?.stringValue.flatMap(ViewExpectations.OnInvalid.init(rawValue:)) ?? .reject,
                    maxNullShare: x["max_null_share"]?.doubleValue, expectEveryNanos: x["expect_every_ns"]?.int64Value)
            }
            set.views.append(view)
        }
        for member in value.objectValue?.members ?? [] where member.key != "entities" && member.key != "feature_views" {
            var list: [DefinedItem] = []
            for document in member.value.arrayValue ?? [] {
                guard let name = document["name"]?.stringValue else {
                    throw MoteError(.storage, "stored definitions are malformed (\(member.key))")
                }
                list.append(DefinedItem(name: name, document: document))
            }
            set.items[member.key] = list
        }
        return set
    }
}

extension FeatureViewDefinition {
    /// Writes the view as a JSON object.
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.int(id)
        w.key("name"); w.string(name)
        w.key("entities"); w.beginArray(); for e in entities { w.string(e) }; w.endArray()
        w.key("fields")
        writeFields(into: &w)
        w.key("ttl_ns"); w.int(ttlNanos)
        w.key("ttl"); w.string(DurationText.format(nanos: ttlNanos))
        w.key("retention")
        w.beginObject()
        if let age = retention.maxAgeNanos { w.key("max_age_ns"); w.int(age) }
        if let rows = retention.maxRows { w.key("max_rows"); w.int(rows) }
        w.endObject()
        w.key("tags"); w.beginObject(); for t in tags { w.key(t.key); w.string(t.value) }; w.endObject()
        w.key("description"); w.string(description)
        if expectations != ViewExpectations() {
            w.key("expect")
            w.beginObject()
            w.key("on_invalid"); w.string(expectations.onInvalid.rawValue)
            if let s = expectations.maxNullShare { w.key("max_null_share"); w.double(s) }
            if let e = expectations.expectEveryNanos { w.key("expect_every_ns"); w.int(e) }
            w.endObject()
        }
        if revision > 0 { w.key("revision"); w.int(revision) }
        w.endObject()
    }
}

extension FeatureViewDefinition {
    /// Writes the fields as `[{"name", "type", "description"}]`.
    public func writeFields(into w: inout JSONWriter) {
        w.beginArray()
        for f in fields {
            w.beginObject()
            w.key("name"); w.string(f.name)
            w.key("type"); w.string(f.type.rawValue)
            w.key("description"); w.string(f.description)
            if !f.expectations.isEmpty {
                let x = f.expectations
                w.key("expect")
                w.beginObject()
                if let v = x.min { w.key("min"); w.double(v) }
                if let v = x.max { w.key("max"); w.double(v) }
                if let v = x.allowed { w.key("allowed"); w.beginArray(); for a in v { w.string(a) }; w.endArray() }
                if x.notNull { w.key("not_null"); w.bool(true) }
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
    }
}
