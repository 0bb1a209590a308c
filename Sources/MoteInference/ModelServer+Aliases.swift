public import MoteCore
public import MoteRegistry

extension ErrorCode {
    /// An alias may only point at a version that loads (409).
    public static let versionNotServable: ErrorCode = "version_not_servable"
}

extension ModelServer {
    /// Points `alias` of `model` at `version` once that version loads as a model (its
    /// artifact is present, hashes to its digest and decodes); a version that cannot serve is
    /// refused with 409 `version_not_servable` and no alias moves. Returns the version the
    /// alias pointed at before.
    public func setAlias(model: String, alias: String, version: Int, actor: ChangeAuthor) throws -> Int? {
        try requireServable(model: model, version: version)
        return try registry.setAlias(model: model, alias: alias, version: version, actor: actor)
    }

    /// Moves `champion` back to the version it pointed at before the last move, after the
    /// same check as `setAlias`.
    public func rollback(model: String, actor: ChangeAuthor) throws -> (from: Int, to: Int) {
        try registry.rollback(model: model, actor: actor) { target in try requireServable(model: model, version: target) }
    }

    func requireServable(model: String, version number: Int) throws {
        let version = try registry.version(model: model, number)
        do {
            _ = try load(model, version)
        } catch {
            throw DomainError(
                .conflict, .versionNotServable,
                "model '\(model)' version \(number) cannot serve, so no alias may point at it: \(error.message)")
        }
    }
}
