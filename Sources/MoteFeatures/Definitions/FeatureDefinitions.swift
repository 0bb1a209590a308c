import MoteCore

/// The type of a feature field.
public enum FeatureType: String, Sendable, Equatable, CaseIterable {
    case float64, int64, string, bool
}

/// The type of an entity's join key values.
public enum EntityKeyType: String, Sendable, Equatable, CaseIterable {
    case string, int64
}

/// Something features are about (a machine, a store, a vehicle), identified by join keys.
public struct EntityDefinition: Sendable, Equatable {
    public var name: String
    /// Column names that identify one entity (usually one, e.g. `machine_id`).
    public var joinKeys: [String]
    public var keyType: EntityKeyType
    public var description: String

    public init(name: String, joinKeys: [String], keyType: EntityKeyType, description: String = "") {
        self.name = name
        self.joinKeys = joinKeys
        self.keyType = keyType
        self.description = description
    }
}

/// One field of a feature view.
public struct FieldDefinition: Sendable, Equatable {
    public var name: String
    public var type: FeatureType
    public var description: String
    /// What its values are expected to be.
    public var expectations: FieldExpectations

    public init(name: String, type: FeatureType, description: String = "", expectations: FieldExpectations = FieldExpectations()) {
        self.name = name
        self.type = type
        self.description = description
        self.expectations = expectations
    }
}

/// How much history of a view is kept on disk. Nil means no bound of that kind.
public struct RetentionPolicy: Sendable, Equatable {
    public var maxAgeNanos: Int64?
    public var maxRows: Int?

    public init(maxAgeNanos: Int64? = nil, maxRows: Int? = nil) {
        self.maxAgeNanos = maxAgeNanos
        self.maxRows = maxRows
    }
}

/// A group of features written together for one or more entities.
public struct FeatureViewDefinition: Sendable, Equatable {
    /// Stable number used in storage; assigned when the view is first applied.
    public var id: Int
    public var name: String
    public var entities: [String]
    /// Fields in storage order: applied fields keep their slot, new ones are appended.
    public var fields: [FieldDefinition]
    /// How old a value may be and still count; 0 means no limit.
    public var ttlNanos: Int64
    public var retention: RetentionPolicy
    public var tags: [(key: String, value: String)]
    public var description: String
    /// What the view does with rows that break expectations, and what it expects of its data.
    public var expectations = ViewExpectations()
    /// The definitions version at which this view was created or last changed (what Feast
    /// calls a feature view's version); 0 until it is applied. Bookkeeping, not part of `==`.
    public var revision: Int = 0

    public init(
        id: Int = 0, name: String, entities: [String], fields: [FieldDefinition], ttlNanos: Int64 = 0,
        retention: RetentionPolicy = RetentionPolicy(), tags: [(key: String, value: String)] = [], description: String = ""
    ) {
        self.id = id
        self.name = name
        self.entities = entities
        self.fields = fields
        self.ttlNanos = ttlNanos
        self.retention = retention
        self.tags = tags
        self.description = description
    }

    public static func == (lhs: FeatureViewDefinition, rhs: FeatureViewDefinition) -> Bool {
        lhs.id == rhs.id && lhs.name == rhs.name && lhs.entities == rhs.entities && lhs.fields == rhs.fields
            && lhs.ttlNanos == rhs.ttlNanos && lhs.retention == rhs.retention && lhs.description == rhs.description
            && lhs.expectations == rhs.expectations
            && lhs.tags.map(\.key) == rhs.tags.map(\.key) && lhs.tags.map(\.value) == rhs.tags.map(\.value)
    }

    /// The slot of field `name`, if the view has it.
    public func fieldIndex(_ name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }
}

/// Everything `motectl apply` declares: entities and feature views, and the items of other
/// modules' sections (training specs...), kept as documents those modules read.
public struct DefinitionSet: Sendable, Equatable {
    public var entities: [EntityDefinition]
    public var views: [FeatureViewDefinition]
    /// Items of other sections by their stored key (`trainings`), in file order.
    public var items: [String: [DefinedItem]]

    public init(entities: [EntityDefinition] = [], views: [FeatureViewDefinition] = [], items: [String: [DefinedItem]] = [:]) {
        self.entities = entities
        self.views = views
        self.items = items
    }

    /// The items stored under `storedKey` (empty when none).
    public func items(of storedKey: String) -> [DefinedItem] {
        items[storedKey] ?? []
    }

    public func entity(_ name: String) -> EntityDefinition? {
        entities.first { $0.name == name }
    }

    public func view(_ name: String) -> FeatureViewDefinition? {
        views.first { $0.name == name }
    }

    /// The join key columns of a view, in order (its entities' keys).
    public func joinKeys(of view: FeatureViewDefinition) -> [String] {
        view.entities.flatMap { entity($0)?.joinKeys ?? [] }
    }

    /// The key types of a view's join keys, in the same order.
    public func keyTypes(of view: FeatureViewDefinition) -> [EntityKeyType] {
        view.entities.flatMap { name -> [EntityKeyType] in
            guard let e = entity(name) else { return [] }
            return Array(repeating: e.keyType, count: e.joinKeys.count)
        }
    }
}

/// Names of objects: letters, digits, `_` and `-`, starting with a letter or `_`.
public enum DefinitionNames {
    public static let maxLength = 128

    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxLength, let first = name.unicodeScalars.first else { return false }
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == "-" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// Column names the push and join APIs reserve.
    public static let reserved: Set<String> = ["event_timestamp", "created_timestamp"]
}
