public import MoteCore
import MoteStorage

/// A registered model.
public struct RegisteredModel: Sendable {
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var aliases: [String: Int]
    public var latestVersion: Int?
    public var createdNanos: Int64
    public var updatedNanos: Int64
}

/// One version of a registered model.
public struct ModelVersion: Sendable {
    public var model: String
    public var version: Int
    public var runID: String?
    public var artifactDigest: String
    public var format: String
    /// JSON: input and output signature.
    public var signature: String
    /// JSON: metrics snapshot at registration.
    public var metrics: String
    public var description: String
    public var tags: [String: String]
    public var status: String
    public var createdNanos: Int64
    public var aliases: [String]
}

extension RegistryStore {
    // MARK: - Models

    /// Registers a model name; 409 when it exists.
    public func createModel(name: String, description: String = "", tags: [String: String] = [:], actor: ChangeAuthor) throws -> RegisteredModel {
        try RegistryNames.checkModelName(name)
        try checkModelTags(tags)
        let now = SystemClock.nowNanos()
        return try change(actor) { conn, log in
            if try conn.count("SELECT count(*) FROM models WHERE name = ?", [.text(name)]) > 0 {
                throw DomainError.conflict("model '\(name)' exists")
            }
            try conn.cached("INSERT INTO models (name, description, created_ns, updated_ns) VALUES (?, ?, ?, ?)")
                .run([.text(name), .text(description), .integer(now), .integer(now)])
            let insert = try conn.cached("INSERT INTO model_tags (model, key, value) VALUES (?, ?, ?)")
            for (key, value) in tags.sorted(by: { $0.key < $1.key }) { try insert.run([.text(name), .text(key), .text(value)]) }
            let model = try loadModel(conn, name)
            log.audit("model.create", "model:\(name)", after: model.json())
            log.send(.modelCreated, "model:\(name)", model.json())
            return model
        }
    }

    /// A model with its aliases and latest version.
    public func model(_ name: String) throws -> RegisteredModel {
        try read { conn in try loadModel(conn, name) }
    }

    /// All models by name.
    public func models() throws -> [RegisteredModel] {
        try read { conn in
            let statement = try conn.prepare("SELECT name FROM models ORDER BY name")
            var names: [String] = []
            while try statement.step() { names.append(statement.text(0) ?? "") }
            return try names.map { try loadModel(conn, $0) }
        }
    }

    // MARK: - Versions

    /// What a new version is made of.
    public struct NewVersion: Sendable {
        public var runID: String?
        public var artifactDigest: String
        public var format: String
        public var signature: JSONValue
        public var metrics: JSONValue
        public var description: String
        public var tags: [String: String]
        public init(
            runID: String? = nil, artifactDigest: String, format: String, signature: JSONValue = .object(JSONObject()),
            metrics: JSONValue = .object(JSONObject()), description: String = "", tags: [String: String] = [:]
        ) {
            self.runID = runID
            self.artifactDigest = artifactDigest
            self.format = format
            self.signature = signature
            self.metrics = metrics
            self.description = description
            self.tags = tags
        }
    }

    /// Registers the next version of a model (created when missing). The artifact must be
    /// in the artifact store and the run, when named, must exist.
    public func createVersion(model name: String, _ new: NewVersion, artifacts: ArtifactStore, actor: ChangeAuthor) throws -> ModelVersion {
        try RegistryNames.checkModelName(name)
        try checkModelTags(new.tags)
        guard ArtifactStore.isDigest(new.artifactDigest) else {
            throw RegistryNames.invalid("'artifact_digest' must be a SHA-256 digest (64 lowercase hex characters)")
        }
        guard artifacts.exists(new.artifactDigest) else {
            throw DomainError.notFound("no artifact \(new.artifactDigest) in the artifact store")
        }
        try RegistryNames.checkName(new.format, "format")
        let now = SystemClock.nowNanos()
        return try change(actor) { conn, log in
            if try conn.count("SELECT count(*) FROM models WHERE name = ?", [.text(name)]) == 0 {
                try conn.cached("INSERT INTO models (name, description, created_ns, updated_ns) VALUES (?, '', ?, ?)")
                    .run([.text(name), .integer(now), .integer(now)])
                let created = try loadModel(conn, name).json()
                log.audit("model.create", "model:\(name)", after: created)
                log.send(.modelCreated, "model:\(name)", created)
            }
            if let run = new.runID { _ = try loadRun(conn, run) }
            let number = try conn.count("SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model = ?", [.text(name)])
            var signature = JSONWriter()
            signature.value(new.signature)
            var metrics = JSONWriter()
            metrics.value(new.metrics)
            try conn.cached(
                """
                INSERT INTO model_versions (model, version, run_id, artifact_digest, format, signature, metrics, description, status, created_ns)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'READY', ?)
                """
            ).run([
                .text(name), .integer(Int64(number)), new.runID.map { .text($0) } ?? .null, .text(new.artifactDigest), .text(new.format),
                .text(String(decoding: signature.bytes, as: UTF8.self)), .text(String(decoding: metrics.bytes, as: UTF8.self)),
                .text(new.description), .integer(now),
            ])
            let insert = try conn.cached("INSERT INTO model_version_tags (model, version, key, value) VALUES (?, ?, ?, ?)")
            for (key, value) in new.tags.sorted(by: { $0.key < $1.key }) {
                try insert.run([.text(name), .integer(Int64(number)), .text(key), .text(value)])
            }
            try conn.cached("UPDATE models SET updated_ns = ? WHERE name = ?").run([.integer(now), .text(name)])
            let version = try loadVersion(conn, name, number)
            log.audit("version.create", "model:\(name)/\(number)", after: version.json())
            log.send(.versionRegistered, "model:\(name)/\(number)", version.json())
            log.publish(.versionRegistered(model: name, version: number))
            return version
        }
    }

    /// One version.
    public func version(model: String, _ number: Int) throws -> ModelVersion {
        try read { conn in try loadVersion(conn, model, number) }
    }

    /// A version by number, `latest`, or an alias.
    public func resolve(model: String, _ reference: String) throws -> ModelVersion {
        try read { conn in
            let model = try loadModel(conn, model)
            if reference == "latest", let latest = model.latestVersion { return try loadVersion(conn, model.name, latest) }
            if let number = Int(reference.hasPrefix("v") ? String(reference.dropFirst()) : reference) {
                return try loadVersion(conn, model.name, number)
            }
            guard let number = model.aliases[reference] else {
                throw DomainError.notFound("model '\(model.name)' has no version or alias '\(reference)'")
            }
            return try loadVersion(conn, model.name, number)
        }
    }

    /// Versions of a model, newest first.
    public func versions(model name: String) throws -> [ModelVersion] {
        try read { conn in
            _ = try loadModel(conn, name)
            let statement = try conn.prepare("SELECT version FROM model_versions WHERE model = ? ORDER BY version DESC")
            statement.bind([.text(name)])
            var numbers: [Int] = []
            while try statement.step() { numbers.append(Int(statement.int64(0))) }
            return try numbers.map { try loadVersion(conn, name, $0) }
        }
    }

    // MARK: - Aliases

    /// Points `alias` at `version` in one change (a move is atomic: readers see the old or the
    /// new version, never none). Returns the version it pointed at before, if any.
    @discardableResult
    public func setAlias(model name: String, alias: String, version number: Int, actor: ChangeAuthor) throws -> Int? {
        try RegistryNames.checkAlias(alias)
        return try change(actor) { conn, log in
            _ = try loadVersion(conn, name, number)
            let before = try aliasTarget(conn, name, alias)
            if before == number { return before }
            try conn.cached(
                "INSERT INTO model_aliases (model, alias, version) VALUES (?, ?, ?) ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version"
            ).run([.text(name), .text(alias), .integer(Int64(number))])
            log.audit("alias.set", "model:\(name)@\(alias)", before: before.map(aliasJSON), after: aliasJSON(number))
            var payload = JSONWriter()
            payload.beginObject()
            payload.key("model"); payload.string(name)
            payload.key("alias"); payload.string(alias)
            payload.key("version"); payload.int(number)
            payload.endObject()
            log.send(.aliasSet, "model:\(name)@\(alias)", payload)
            log.publish(.aliasMoved(model: name, alias: alias, version: number))
            return before
        }
    }

    /// Removes an alias; 404 when it is not set.
    public func deleteAlias(model name: String, alias: String, actor: ChangeAuthor) throws {
        try change(actor, adding: false) { conn, log in
            _ = try loadModel(conn, name)
            guard let before = try aliasTarget(conn, name, alias) else {
                throw DomainError.notFound("model '\(name)' has no alias '\(alias)'")
            }
            try conn.cached("DELETE FROM model_aliases WHERE model = ? AND alias = ?").run([.text(name), .text(alias)])
            log.audit("alias.delete", "model:\(name)@\(alias)", before: aliasJSON(before))
            var payload = JSONWriter()
            payload.beginObject()
            payload.key("model"); payload.string(name)
            payload.key("alias"); payload.string(alias)
            payload.endObject()
            log.send(.aliasDeleted, "model:\(name)@\(alias)", payload)
            log.publish(.aliasMoved(model: name, alias: alias, version: nil))
        }
    }

    /// Moves `champion` back to the version it pointed at before its last move (from the
    /// audit trail); returns (from, to).
    /// `approve` sees the target version first and may refuse it by throwing.
    public func rollback(
        model name: String, alias: String = "champion", actor: ChangeAuthor, approve: (Int) throws -> Void = { _ in }
    ) throws -> (from: Int, to: Int) {
        let to = try rollbackTarget(model: name, alias: alias)
        try approve(to)
        let from = try setAlias(model: name, alias: alias, version: to, actor: actor)
        return (from ?? 0, to)
    }

    /// The version a rollback of `alias` would move it to (the one before its last move).
    private func rollbackTarget(model name: String, alias: String) throws -> Int {
        let history = try audit(limit: 1, subjectPrefix: "model:\(name)@\(alias)")
        guard let last = history.first, last.action == "alias.set", let before = last.before,
            case .object(let object)? = try? JSONParser.parse(Array(before.utf8)), let to = object["version"]?.int64Value
        else {
            throw DomainError.conflict("'\(alias)' of model '\(name)' has no earlier version to go back to")
        }
        return Int(to)
    }

    func aliasTarget(_ conn: SQLiteConnection, _ model: String, _ alias: String) throws -> Int? {
        let statement = try conn.cached("SELECT version FROM model_aliases WHERE model = ? AND alias = ?")
        statement.bind([.text(model), .text(alias)])
        defer { statement.reset() }
        return try statement.step() ? Int(statement.int64(0)) : nil
    }

    func aliasJSON(_ version: Int) -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("version"); w.int(version)
        w.endObject()
        return w
    }

    func checkModelTags(_ tags: [String: String]) throws(DomainError) {
        for (key, value) in tags {
            try RegistryNames.checkKey(key, "tag")
            try RegistryNames.checkValue(value, limit: RegistryNames.maxModelTagValueLength, "tag '\(key)' value")
        }
    }

    func loadModel(_ conn: SQLiteConnection, _ name: String) throws -> RegisteredModel {
        let statement = try conn.cached("SELECT description, created_ns, updated_ns FROM models WHERE name = ?")
        statement.bind([.text(name)])
        guard try statement.step() else {
            statement.reset()
            throw DomainError.notFound("no model '\(name)'")
        }
        var model = RegisteredModel(
            name: name, description: statement.text(0) ?? "", tags: [:], aliases: [:], latestVersion: nil,
            createdNanos: statement.int64(1), updatedNanos: statement.int64(2))
        statement.reset()
        for (k, v) in try conn.pairs("SELECT key, value FROM model_tags WHERE model = ?", [.text(name)]) { model.tags[k] = v }
        for (k, v) in try conn.pairs("SELECT alias, CAST(version AS TEXT) FROM model_aliases WHERE model = ?", [.text(name)]) {
            model.aliases[k] = Int(v)
        }
        let latest = try conn.count("SELECT coalesce(max(version), 0) FROM model_versions WHERE model = ?", [.text(name)])
        model.latestVersion = latest > 0 ? latest : nil
        return model
    }

    func loadVersion(_ conn: SQLiteConnection, _ model: String, _ number: Int) throws -> ModelVersion {
        let statement = try conn.cached(
            """
            SELECT run_id, artifact_digest, format, signature, metrics, description, status, created_ns
            FROM model_versions WHERE model = ? AND version = ?
            """)
        statement.bind([.text(model), .integer(Int64(number))])
        guard try statement.step() else {
            statement.reset()
            throw DomainError.notFound("model '\(model)' has no version \(number)")
        }
        var version = ModelVersion(
            model: model, version: number, runID: statement.isNull(0) ? nil : statement.text(0), artifactDigest: statement.text(1) ?? "",
            format: statement.text(2) ?? "", signature: statement.text(3) ?? "{}", metrics: statement.text(4) ?? "{}",
            description: statement.text(5) ?? "", tags: [:], status: statement.text(6) ?? "", createdNanos: statement.int64(7), aliases: [])
        statement.reset()
        for (k, v) in try conn.pairs("SELECT key, value FROM model_version_tags WHERE model = ? AND version = ?", [.text(model), .integer(Int64(number))]) {
            version.tags[k] = v
        }
        version.aliases = try conn.pairs(
            "SELECT alias, '' FROM model_aliases WHERE model = ? AND version = ? ORDER BY alias", [.text(model), .integer(Int64(number))]
        ).map(\.0)
        return version
    }
}
