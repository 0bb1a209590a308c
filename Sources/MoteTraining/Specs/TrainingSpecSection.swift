public import MoteCore
public import MoteFeatures
import MoteModels

/// `[[training_spec]]` in the definitions file: read, stored and planned by the feature
/// store's definitions, meant by this module.
public struct TrainingSpecSection: DefinitionSection {
    public let table = "training_spec"
    public let storedKey = "trainings"
    public let kind = "training"

    public init() {}

    public func read(_ table: TableReader, features: DefinitionSet) throws(ConfigFailure) -> DefinedItem {
        let spec = try TrainingSpec.read(table, in: features)
        return DefinedItem(name: spec.name, document: spec.document)
    }

    public func changes(from old: JSONValue, to new: JSONValue) -> [String] {
        guard let old = TrainingSpec.parse(json: old), let spec = TrainingSpec.parse(json: new) else { return old == new ? [] : ["spec"] }
        var details: [String] = []
        if old.model != spec.model { details.append("model \(old.model) -> \(spec.model)") }
        if old.algorithm != spec.algorithm || old.task != spec.task { details.append("algorithm \(spec.algorithm.rawValue) (\(spec.task.rawValue))") }
        if old.parameters != spec.parameters { details.append("params") }
        if old.label != spec.label || old.features != spec.features { details.append("label/features") }
        if old.windowNanos != spec.windowNanos || old.holdout != spec.holdout { details.append("window/holdout") }
        if old.everyNanos != spec.everyNanos || old.minNewLabels != spec.minNewLabels || old.retrainOnDrift != spec.retrainOnDrift
            || old.retrainMinIntervalNanos != spec.retrainMinIntervalNanos
        {
            details.append("schedule")
        }
        if old.promotion != spec.promotion { details.append("promotion") }
        return details
    }

    public func summary(of item: JSONValue) -> String {
        guard let spec = TrainingSpec.parse(json: item) else { return "" }
        return "model \(spec.model): \(spec.algorithm.rawValue) (\(spec.task.rawValue))"
    }
}

extension TrainingSpec {
    /// The spec as the JSON document the definitions store.
    public var document: JSONValue {
        var w = JSONWriter(capacity: 512)
        write(into: &w)
        return (try? JSONParser.parse(w.bytes)) ?? .null
    }
}

extension DefinitionSet {
    /// The training specs of these definitions, in file order.
    public var trainings: [TrainingSpec] {
        items(of: TrainingSpecSection().storedKey).compactMap { TrainingSpec.parse(json: $0.document) }
    }

    /// The training spec named `name`.
    public func training(_ name: String) -> TrainingSpec? {
        items(of: TrainingSpecSection().storedKey).first { $0.name == name }.flatMap { TrainingSpec.parse(json: $0.document) }
    }
}
