public import MoteCore
import MoteStorage

#if canImport(Glibc)
import Glibc
#endif

/// Moving a model version between boxes as one JSON file, and removing versions.
extension RegistryStore {
    /// The export format's version.
    public static let exportFormat = 1

    /// One version with its artifact as a single JSON document
    /// (`{"mote_export": 1, "model", "version": {...}, "artifact": {"sha256", "size", "base64"}}`).
    /// The artifact is digest-checked on the way out.
    public func export(model: String, version reference: String, artifacts: ArtifactStore) throws -> JSONWriter {
        let version = try resolve(model: model, reference)
        let bytes = try artifacts.read(version.artifactDigest)
        var w = JSONWriter(capacity: bytes.count * 4 / 3 + 1024)
        w.beginObject()
        w.key("mote_export"); w.int(RegistryStore.exportFormat)
        w.key("model"); w.string(version.model)
        w.key("version"); version.write(into: &w)
        w.key("artifact")
        w.beginObject()
        w.key("sha256"); w.string(version.artifactDigest)
        w.key("size"); w.int(bytes.count)
        w.key("base64"); w.string(Base64.encode(bytes))
        w.endObject()
        w.endObject()
        return w
    }

    /// Registers an exported version as the next version of `model` (the exported model name
    /// when nil). The artifact must have the size and hash to the digest the file names (the
    /// caller checks that it is a model it can serve before); the source run stays
    /// on the other box, so it is kept as the tag `mote.source_run_id`.
    public func importVersion(_ document: JSONValue, model: String? = nil, artifacts: ArtifactStore, actor: ChangeAuthor) throws -> ModelVersion {
        guard case .object(let root) = document, root["mote_export"]?.int64Value == Int64(RegistryStore.exportFormat) else {
            throw DomainError.invalidShape("not a mote model export (expected \"mote_export\": \(RegistryStore.exportFormat))")
        }
        guard case .object(let version)? = root["version"], case .object(let artifact)? = root["artifact"],
            let digest = artifact["sha256"]?.stringValue, let text = artifact["base64"]?.stringValue
        else { throw DomainError.invalidShape("the export lacks 'version' or 'artifact' {sha256, base64}") }
        guard let bytes = Base64.decode(text) else { throw DomainError.invalidShape("the export's artifact is not valid base64") }
        guard let size = artifact["size"] else { throw DomainError.invalidShape("the export's artifact has no 'size'") }
        guard let declared = size.int64Value, case .integer = size, declared >= 0 else {
            throw DomainError.invalidShape("the export's artifact 'size' must be a non-negative integer")
        }
        guard declared == Int64(bytes.count) else {
            throw DomainError(.invalid, .exportCorrupt, "the exported artifact is \(bytes.count) bytes, not the \(declared) the file declares: the file is damaged")
        }
        let actual = SHA256.hex(of: bytes)
        guard actual == digest else {
            throw DomainError(.invalid, .exportCorrupt, "the exported artifact hashes to \(actual), not \(digest): the file is damaged")
        }
        guard let name = model ?? root["model"]?.stringValue else { throw DomainError.invalidShape("the export names no model") }
        guard let format = version["format"]?.stringValue else { throw DomainError.invalidShape("the export's version has no format") }
        var tags: [String: String] = [:]
        if case .object(let t)? = version["tags"] { for member in t { if let v = member.value.stringValue { tags[member.key] = v } } }
        if let run = version["run_id"]?.stringValue { tags["mote.source_run_id"] = run }
        if let from = version["version"]?.int64Value { tags["mote.source_version"] = "\(root["model"]?.stringValue ?? name)/\(from)" }
        let stored = try artifacts.put(bytes)
        return try createVersion(
            model: name,
            NewVersion(
                artifactDigest: stored, format: format, signature: version["signature"] ?? .object(JSONObject()),
                metrics: version["metrics"] ?? .object(JSONObject()), description: version["description"]?.stringValue ?? "", tags: tags),
            artifacts: artifacts, actor: actor)
    }

    /// Deletes a version no alias points at (409 otherwise), then removes artifacts no
    /// version refers to any more.
    public func deleteVersion(model: String, _ number: Int, artifacts: ArtifactStore, actor: ChangeAuthor) throws {
        try change(actor) { conn, log in
            let version = try loadVersion(conn, model, number)
            guard version.aliases.isEmpty else {
                throw DomainError.conflict("version \(number) of '\(model)' is \(version.aliases.joined(separator: ", ")); move or remove the alias first")
            }
            try conn.cached("DELETE FROM model_version_tags WHERE model = ? AND version = ?").run([.text(model), .integer(Int64(number))])
            try conn.cached("DELETE FROM model_versions WHERE model = ? AND version = ?").run([.text(model), .integer(Int64(number))])
            log.audit("version.delete", "model:\(model)/\(number)", before: version.json())
            var payload = JSONWriter()
            payload.beginObject()
            payload.key("model"); payload.string(model)
            payload.key("version"); payload.int(number)
            payload.endObject()
            log.send(.versionDeleted, "model:\(model)/\(number)", payload)
        }
        _ = try collectArtifacts(artifacts)
    }

    /// Removes artifact files no model version refers to and that were written more than
    /// `graceSeconds` ago (a file just stored for a version being registered is not taken);
    /// returns their digests.
    public func collectArtifacts(_ artifacts: ArtifactStore, graceSeconds: Int = 3600) throws -> [String] {
        let referenced = try read { conn -> Set<String> in
            let statement = try conn.prepare("SELECT artifact_digest FROM model_versions UNION SELECT digest FROM run_artifacts")
            var out = Set<String>()
            while try statement.step() { out.insert(statement.text(0) ?? "") }
            return out
        }
        var removed: [String] = []
        let now = time(nil)
        for digest in artifacts.all() where !referenced.contains(digest) {
            var info = stat()
            guard stat(artifacts.path(digest), &info) == 0, now - info.st_mtim.tv_sec >= graceSeconds else { continue }
            if unlink(artifacts.path(digest)) == 0 { removed.append(digest) }
        }
        return removed
    }
}
