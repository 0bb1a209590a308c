public import MoteCore
public import MoteFeatures

extension TrainingSpec {
    /// The spec a job request asks for: an applied spec by `name`, or one `[[training_spec]]`
    /// table given `inline` as TOML (checked against the applied features, not stored).
    public static func requested(name: String?, inline: String?, store: FeatureStore) throws(DomainError) -> TrainingSpec {
        switch (name, inline) {
        case (let name?, nil):
            guard let spec = store.definitions.set.training(name) else {
                throw .notFound("no training spec '\(name)'; apply one with [[training_spec]] (motectl apply -f FILE)")
            }
            return spec
        case (nil, let toml?):
            let parsed: DefinitionSet
            do {
                parsed = try DefinitionSet.parse(toml: toml, known: store.definitions.set, sections: store.sections)
            } catch {
                throw .invalidShape("inline spec: \(error)")
            }
            let specs = parsed.trainings
            guard specs.count == 1, parsed.entities.isEmpty, parsed.views.isEmpty else {
                throw .invalidShape("an inline spec is one [[training_spec]] table and nothing else")
            }
            return specs[0]
        case (.some, .some):
            throw .invalidShape("give 'spec' (a name) or 'inline' (TOML), not both")
        case (nil, nil):
            throw .invalidShape("give 'spec' (the name of an applied training spec) or 'inline' (one [[training_spec]] table in TOML)")
        }
    }
}
