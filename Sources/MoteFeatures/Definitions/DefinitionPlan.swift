public import MoteCore

/// What applying a definitions file would do to the stored definitions: per object,
/// created, changed (with what) or unchanged; or refused, with what to do instead.
public struct DefinitionPlan: Sendable {
    /// One line of the plan.
    public struct Item: Sendable, Equatable {
        public enum Action: String, Sendable { case create, change, unchanged }
        public var kind: String
        public var name: String
        public var action: Action
        public var details: [String]
    }

    public var items: [Item] = []
    /// The set that would be stored (ids assigned, field slots kept).
    public var result: DefinitionSet
    /// Whether anything would change.
    public var changes: Bool { items.contains { $0.action != .unchanged } }

    /// Plans `file` against `current`, to be stored as definitions version `version` (created
    /// and changed views take it as their revision). Objects not named in the file are kept as
    /// they are.
    public init(current: DefinitionSet, file: DefinitionSet, version: Int, sections: [any DefinitionSection] = []) throws(DomainError) {
        var result = current
        for entity in file.entities {
            if let old = current.entity(entity.name) {
                if old.joinKeys != entity.joinKeys || old.keyType != entity.keyType {
                    throw DomainError.conflict("entity '\(entity.name)': changing its join keys or type (\(old.joinKeys.joined(separator: ","))/\(old.keyType.rawValue) -> \(entity.joinKeys.joined(separator: ","))/\(entity.keyType.rawValue)) would misread stored rows; define a new entity under another name instead")
                }
                if old == entity {
                    items.append(Item(kind: "entity", name: entity.name, action: .unchanged, details: []))
                } else {
                    items.append(Item(kind: "entity", name: entity.name, action: .change, details: ["description"]))
                    if let k = result.entities.firstIndex(where: { $0.name == entity.name }) { result.entities[k] = entity }
                }
            } else {
                items.append(Item(kind: "entity", name: entity.name, action: .create, details: []))
                result.entities.append(entity)
            }
        }
        var nextID = (current.views.map(\.id).max() ?? 0) + 1
        for view in file.views {
            for e in view.entities where result.entity(e) == nil {
                throw DomainError.invalidShape("feature view '\(view.name)': entity '\(e)' is not defined")
            }
            guard let old = current.view(view.name) else {
                var created = view
                created.id = nextID
                created.revision = version
                nextID += 1
                items.append(Item(kind: "feature_view", name: view.name, action: .create, details: view.fields.map { "field \($0.name): \($0.type.rawValue)" }))
                result.views.append(created)
                continue
            }
            if old.entities != view.entities {
                throw DomainError.conflict("feature view '\(view.name)': changing its entities (\(old.entities.joined(separator: ",")) -> \(view.entities.joined(separator: ","))) would misread stored rows; create a new view under another name")
            }
            var merged = old
            var details: [String] = []
            for field in view.fields {
                if let k = old.fieldIndex(field.name) {
                    if old.fields[k].type != field.type {
                        throw DomainError.conflict("feature view '\(view.name)': field '\(field.name)' is stored as \(old.fields[k].type.rawValue); changing it to \(field.type.rawValue) would misread stored values. Add a field with a new name instead")
                    }
                    if old.fields[k].description != field.description {
                        merged.fields[k].description = field.description
                        details.append("field \(field.name): description")
                    }
                    if old.fields[k].expectations != field.expectations {
                        merged.fields[k].expectations = field.expectations
                        details.append("field \(field.name): expectations")
                    }
                } else {
                    merged.fields.append(field)
                    details.append("add field \(field.name): \(field.type.rawValue)")
                }
            }
            for field in old.fields where !view.fields.contains(where: { $0.name == field.name }) {
                throw DomainError.conflict("feature view '\(view.name)': field '\(field.name)' is missing from the file; removing a field is not supported (its stored values would be orphaned). Keep it in the file")
            }
            if old.ttlNanos != view.ttlNanos {
                details.append("ttl \(DurationText.format(nanos: old.ttlNanos)) -> \(DurationText.format(nanos: view.ttlNanos))")
                merged.ttlNanos = view.ttlNanos
            }
            if old.retention != view.retention {
                details.append("retention")
                merged.retention = view.retention
            }
            if old.expectations != view.expectations {
                details.append("expectations")
                merged.expectations = view.expectations
            }
            if old.description != view.description {
                details.append("description")
                merged.description = view.description
            }
            if old.tags.map(\.key) != view.tags.map(\.key) || old.tags.map(\.value) != view.tags.map(\.value) {
                details.append("tags")
                merged.tags = view.tags
            }
            if !details.isEmpty { merged.revision = version }
            if let k = result.views.firstIndex(where: { $0.name == view.name }) { result.views[k] = merged }
            items.append(Item(kind: "feature_view", name: view.name, action: details.isEmpty ? .unchanged : .change, details: details))
        }
        for section in sections {
            var stored = result.items(of: section.storedKey)
            for item in file.items(of: section.storedKey) {
                if let k = stored.firstIndex(where: { $0.name == item.name }) {
                    let details = section.changes(from: stored[k].document, to: item.document)
                    stored[k] = item
                    items.append(Item(kind: section.kind, name: item.name, action: details.isEmpty ? .unchanged : .change, details: details))
                } else {
                    stored.append(item)
                    items.append(Item(kind: section.kind, name: item.name, action: .create, details: [section.summary(of: item.document)]))
                }
            }
            if !stored.isEmpty { result.items[section.storedKey] = stored }
        }
        self.result = result
    }

    /// The plan as JSON (`items` and whether anything changes).
    public func write(into w: inout JSONWriter) {
        w.beginArray()
        for item in items {
            w.beginObject()
            w.key("kind"); w.string(item.kind)
            w.key("name"); w.string(item.name)
            w.key("action"); w.string(item.action.rawValue)
            w.key("details"); w.beginArray(); for d in item.details { w.string(d) }; w.endArray()
            w.endObject()
        }
        w.endArray()
    }
}
