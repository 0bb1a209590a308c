public import MoteCore

extension DefinitionSet {
    /// Reads a definitions file (the TOML `motectl apply` takes). Errors name the key and line.
    /// Views get id 0 here; `DefinitionPlan` assigns ids against what is stored.
    /// Tables of `sections` (`[[training_spec]]`...) may name views of `known` (the stored
    /// definitions) besides the file's.
    public static func parse(
        toml text: String, known: DefinitionSet = DefinitionSet(), sections: [any DefinitionSection] = []
    ) throws(ConfigFailure) -> DefinitionSet {
        let reader = TableReader(table: try TOMLTable.parse(settings: text), path: "")
        var set = DefinitionSet()
        for t in try reader.tableArray("entity") ?? [] {
            let name = try requiredName(t, "name")
            var keys: [String] = []
            if let key = try t.string("join_key", nonEmpty: true) { keys = [key] }
            if let list = try t.stringArray("join_keys") {
                guard keys.isEmpty else { throw t.failure("join_keys", "give join_key or join_keys, not both") }
                keys = list
            }
            guard !keys.isEmpty else { throw t.failure("join_key", "an entity needs a join_key") }
            for key in keys where !DefinitionNames.isValid(key) || DefinitionNames.reserved.contains(key) {
                throw t.failure(keys.count == 1 ? "join_key" : "join_keys", "'\(key)' is not a valid column name")
            }
            guard Set(keys).count == keys.count else { throw t.failure("join_keys", "join keys repeat") }
            let type = try t.enumeration("type", EntityKeyType.self) ?? .string
            guard set.entity(name) == nil else { throw t.failure("name", "entity '\(name)' is defined twice") }
            let description = try t.string("description", nonEmpty: false) ?? ""
            try t.finish()
            set.entities.append(EntityDefinition(name: name, joinKeys: keys, keyType: type, description: description))
        }
        for t in try reader.tableArray("feature_view") ?? [] {
            let name = try requiredName(t, "name")
            guard set.view(name) == nil else { throw t.failure("name", "feature view '\(name)' is defined twice") }
            var entities: [String] = []
            if let e = try t.string("entity", nonEmpty: true) { entities = [e] }
            if let list = try t.stringArray("entities") {
                guard entities.isEmpty else { throw t.failure("entities", "give entity or entities, not both") }
                entities = list
            }
            guard !entities.isEmpty else { throw t.failure("entity", "a feature view needs an entity") }
            for e in entities where set.entity(e) == nil {
                throw t.failure(t.table["entity"] != nil ? "entity" : "entities", "entity '\(e)' is not defined in this file")
            }
            let joinKeys = entities.flatMap { set.entity($0)?.joinKeys ?? [] }
            guard Set(joinKeys).count == joinKeys.count else {
                throw t.failure("entities", "these entities share a join key column")
            }
            let ttl = try t.duration("ttl") ?? 0
            var retention = RetentionPolicy()
            if let r = try t.table("retention") {
                retention.maxAgeNanos = try r.duration("max_age", positive: true)
                retention.maxRows = try r.int("max_rows", 1...Int(Int32.max))
                try r.finish()
            }
            guard case .array(let items)? = t.value("fields"), !items.isEmpty else {
                throw t.failure("fields", "a feature view needs fields = [{ name = \"...\", type = \"float64\" }, ...]")
            }
            var fields: [FieldDefinition] = []
            for (k, item) in items.enumerated() {
                guard case .table(let ft) = item else { throw t.failure("fields", "each field is { name = ..., type = ... }") }
                let f = TableReader(table: ft, path: t.dotted("fields") + "[\(k)]")
                let fname = try requiredName(f, "name")
                guard !DefinitionNames.reserved.contains(fname), !joinKeys.contains(fname) else {
                    throw f.failure("name", "'\(fname)' is a reserved or join key column")
                }
                guard !fields.contains(where: { $0.name == fname }) else { throw f.failure("name", "field '\(fname)' repeats") }
                guard let type = try f.enumeration("type", FeatureType.self) else {
                    throw f.failure("type", "a field needs a type: float64, int64, string or bool")
                }
                let description = try f.string("description", nonEmpty: false) ?? ""
                let expectations = try FieldExpectations.read(f, type: type)
                try f.finish()
                fields.append(FieldDefinition(name: fname, type: type, description: description, expectations: expectations))
            }
            var tags: [(key: String, value: String)] = []
            if let tagTable = try t.table("tags") {
                for entry in tagTable.table.entries {
                    guard case .string(let v) = entry.value else { throw tagTable.failure(entry.key, "tag values are strings") }
                    tags.append((entry.key, v))
                }
            }
            let description = try t.string("description", nonEmpty: false) ?? ""
            var expectations = ViewExpectations()
            expectations.onInvalid = try t.enumeration("on_invalid", ViewExpectations.OnInvalid.self) ?? .reject
            expectations.maxNullShare = try t.number("max_null_share", 0...1, "expected a share from 0 to 1, such as 0.05")
            expectations.expectEveryNanos = try t.duration("expect_every", positive: true)
            try t.finish()
            var view = FeatureViewDefinition(
                name: name, entities: entities, fields: fields, ttlNanos: ttl, retention: retention, tags: tags, description: description)
            view.expectations = expectations
            set.views.append(view)
        }
        // Other sections see the file's views first, then the stored ones.
        var lookup = set
        lookup.entities += known.entities.filter { e in !set.entities.contains { $0.name == e.name } }
        lookup.views += known.views.filter { v in !set.views.contains { $0.name == v.name } }
        for section in sections {
            var list: [DefinedItem] = []
            for t in try reader.tableArray(section.table) ?? [] {
                let item = try section.read(t, features: lookup)
                guard !list.contains(where: { $0.name == item.name }) else {
                    throw t.failure("name", "\(section.kind) '\(item.name)' is defined twice")
                }
                list.append(item)
            }
            if !list.isEmpty { set.items[section.storedKey] = list }
        }
        try reader.finish()
        return set
    }

    private static func requiredName(_ t: TableReader, _ key: String) throws(ConfigFailure) -> String {
        guard let name = try t.string(key, nonEmpty: true) else { throw t.failure(key, "a name is required") }
        guard DefinitionNames.isValid(name) else {
            throw t.failure(key, "'\(name)' is not a valid name (letters, digits, _ and -, at most \(DefinitionNames.maxLength))")
        }
        return name
    }
}

extension FieldExpectations {
    /// Reads `min`, `max`, `allowed` and `not_null` of a field entry; `min`/`max` only for
    /// numbers, `allowed` for strings and integers.
    static func read(_ f: TableReader, type: FeatureType) throws(ConfigFailure) -> FieldExpectations {
        var e = FieldExpectations()
        let numeric = type == .float64 || type == .int64
        for key in ["min", "max"] where f.value(key) != nil {
            guard numeric else { throw f.failure(key, "'\(key)' is for float64 and int64 fields") }
            guard let v = try f.number(key, -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, "expected a number") else { continue }
            if key == "min" { e.min = v } else { e.max = v }
        }
        if let lo = e.min, let hi = e.max, lo > hi { throw f.failure("max", "max (\(hi)) is below min (\(lo))") }
        if let value = f.value("allowed") {
            guard type == .string || type == .int64 else { throw f.failure("allowed", "'allowed' is for string and int64 fields") }
            e.allowed = try allowedValues(value, f, type: type)
        }
        e.notNull = try f.bool("not_null") ?? false
        return e
    }

    /// `allowed` as text: strings for a string field; integers (or integers written as
    /// strings) for an int64 field.
    private static func allowedValues(_ value: TOMLValue, _ f: TableReader, type: FeatureType) throws(ConfigFailure) -> [String] {
        let expected = type == .string ? "expected an array of strings" : "expected an array of integers, such as [1, 2, 3]"
        guard case .array(let items) = value else { throw f.failure("allowed", expected) }
        guard !items.isEmpty else { throw f.failure("allowed", "list at least one value") }
        var out: [String] = []
        for item in items {
            switch (item, type) {
            case (.string(let s), .string): out.append(s)
            case (.integer(let i), .int64): out.append(String(i))
            case (.string(let s), .int64):
                guard let i = Int64(s) else { throw f.failure("allowed", "'\(s)' is not an integer") }
                out.append(String(i))
            default: throw f.failure("allowed", expected)
            }
        }
        return out
    }
}
