public import MoteCore
public import MoteFeatures

extension ScoringJobSpec {
    /// Reads one `[[scoring_job]]` table, checking the views it names against `set`.
    public static func read(_ t: TableReader, in set: DefinitionSet) throws(ConfigFailure) -> ScoringJobSpec {
        guard let name = try t.string("name", nonEmpty: true), DefinitionNames.isValid(name) else {
            throw t.failure("name", "a scoring job needs a valid name (letters, digits, _ and -)")
        }
        guard let model = try t.string("model", nonEmpty: true), DefinitionNames.isValid(model) else {
            throw t.failure("model", "name the model that scores (a registered model name)")
        }
        let alias = try t.string("alias", nonEmpty: true)
        let version = try t.int("version", 1...Int(Int32.max))
        if alias != nil, version != nil { throw t.failure("version", "give an alias or a version, not both") }
        if let alias, !DefinitionNames.isValid(alias) { throw t.failure("alias", "'\(alias)' is not a valid alias") }

        let given = ["entities_from", "entities", "entities_csv"].filter { t.value($0) != nil }
        guard given.count == 1 else {
            throw t.failure(
                given.first ?? "entities_from",
                "say which entities to score with one of entities_from (a feature view), entities (a list of keys) or entities_csv (a file)")
        }
        let entities: Entities
        var entityKeys: [String]?
        if let viewName = try t.string("entities_from", nonEmpty: true) {
            guard let view = set.view(viewName) else { throw t.failure("entities_from", "'\(viewName)' is not a feature view of this file") }
            entities = .view(viewName)
            entityKeys = set.joinKeys(of: view)
        } else if let keys = try t.stringArray("entities") {
            guard !keys.isEmpty else { throw t.failure("entities", "list at least one entity key") }
            entities = .list(keys)
        } else {
            guard let path = try t.string("entities_csv", nonEmpty: true), path.hasPrefix("/") else {
                throw t.failure("entities_csv", "give the CSV file's absolute path (its header names the join keys)")
            }
            entities = .csv(path: path)
        }

        let toView = try t.string("to_view", nonEmpty: true)
        let toFile = try t.string("to_file", nonEmpty: true)
        guard toView != nil || toFile != nil else {
            throw t.failure("to_view", "say where the results go: to_view (a feature view), to_file (a file under the state directory), or both")
        }
        if let toView {
            guard let view = set.view(toView) else { throw t.failure("to_view", "'\(toView)' is not a feature view of this file") }
            guard let p = view.fieldIndex("prediction"), view.fields[p].type == .float64 else {
                throw t.failure("to_view", "feature view '\(toView)' needs a float64 field 'prediction' to receive the scores")
            }
            if let l = view.fieldIndex("label"), view.fields[l].type != .string {
                throw t.failure("to_view", "field 'label' of '\(toView)' must be a string (it receives the predicted class)")
            }
            if let entityKeys, entityKeys != set.joinKeys(of: view) {
                throw t.failure("to_view", "'\(toView)' is keyed by \(set.joinKeys(of: view).joined(separator: ",")); the entities are keyed by \(entityKeys.joined(separator: ","))")
            }
        }
        if let toFile {
            guard DefinitionNames.isValid(String(toFile.prefix { $0 != "." })), !toFile.contains("/"), toFile.hasSuffix(".csv") || toFile.hasSuffix(".jsonl") else {
                throw t.failure("to_file", "a file name (no directory) ending in .csv or .jsonl, such as \"risk.csv\"; it is written under the state directory's scoring/")
            }
        }
        let every = try t.duration("every", positive: true) ?? 0
        let onMissing = try t.enumeration("on_missing", OnMissing.self) ?? .skip
        let description = try t.string("description", nonEmpty: false) ?? ""
        try t.finish()
        return ScoringJobSpec(
            name: name, model: model, reference: alias ?? version.map(String.init), entities: entities, toView: toView, toFile: toFile,
            everyNanos: every, onMissing: onMissing, description: description)
    }
}
