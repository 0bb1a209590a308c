public import MoteCore
public import MoteFeatures

/// `[[scoring_job]]` in the definitions file: read, stored and planned by the feature store's
/// definitions, meant by this module.
public struct ScoringJobSection: DefinitionSection {
    public let table = "scoring_job"
    public let storedKey = "scorings"
    public let kind = "scoring"

    public init() {}

    public func read(_ table: TableReader, features: DefinitionSet) throws(ConfigFailure) -> DefinedItem {
        let spec = try ScoringJobSpec.read(table, in: features)
        return DefinedItem(name: spec.name, document: spec.document)
    }

    public func changes(from old: JSONValue, to new: JSONValue) -> [String] {
        guard let old = ScoringJobSpec.parse(json: old), let spec = ScoringJobSpec.parse(json: new) else { return old == new ? [] : ["job"] }
        var details: [String] = []
        if old.model != spec.model || old.reference != spec.reference { details.append("model \(spec.model)\(spec.reference.map { "@\($0)" } ?? "")") }
        if old.entities != spec.entities { details.append("entities") }
        if old.toView != spec.toView || old.toFile != spec.toFile { details.append("targets") }
        if old.everyNanos != spec.everyNanos { details.append("every") }
        if old.onMissing != spec.onMissing { details.append("on_missing") }
        if old.description != spec.description { details.append("description") }
        return details
    }

    public func summary(of item: JSONValue) -> String {
        guard let spec = ScoringJobSpec.parse(json: item) else { return "" }
        let targets = [spec.toView.map { "view \($0)" }, spec.toFile.map { "file \($0)" }].compactMap { $0 }.joined(separator: " and ")
        return "model \(spec.model) into \(targets)" + (spec.everyNanos > 0 ? " every \(DurationText.format(nanos: spec.everyNanos))" : "")
    }
}

extension DefinitionSet {
    /// The scoring jobs of these definitions, in file order.
    public var scoringJobs: [ScoringJobSpec] {
        items(of: ScoringJobSection().storedKey).compactMap { ScoringJobSpec.parse(json: $0.document) }
    }

    /// The scoring job named `name`.
    public func scoringJob(_ name: String) -> ScoringJobSpec? {
        items(of: ScoringJobSection().storedKey).first { $0.name == name }.flatMap { ScoringJobSpec.parse(json: $0.document) }
    }
}
