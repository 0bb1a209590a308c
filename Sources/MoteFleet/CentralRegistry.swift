import MoteCore
import MoteSync
import NIOHTTP1

/// The central MLflow Model Registry as the fleet reads it: aliases, versions and their model
/// directories through the server's artifact proxy.
struct CentralRegistry {
    let client: MLflowClient

    /// A central version an alias points at.
    struct Version: Sendable, Equatable {
        var model: String
        var version: String
        var runID: String
        var tags: [String: String]
    }

    /// The version `alias` of `model` points at; nil when the model or the alias is not there.
    func resolve(model: String, alias: String) async throws(SyncFailure) -> Version? {
        let answer: JSONValue
        do {
            answer = try await client.call(.GET, "registered-models/alias", query: [("name", model), ("alias", alias)])
        } catch .notFound {
            return nil
        }
        guard let v = answer["model_version"], let version = v["version"]?.stringValue else { return nil }
        var tags: [String: String] = [:]
        for t in v["tags"]?.arrayValue ?? [] {
            if let k = t["key"]?.stringValue, let value = t["value"]?.stringValue { tags[k] = value }
        }
        return Version(model: model, version: version, runID: v["run_id"]?.stringValue ?? "", tags: tags)
    }

    /// Every registered model that carries `alias`, paging through the search.
    func models(carrying alias: String) async throws(SyncFailure) -> [String] {
        var names: [String] = []
        var token: String?
        repeat {
            var query = [("max_results", "1000")]
            if let token { query.append(("page_token", token)) }
            let page = try await client.call(.GET, "registered-models/search", query: query)
            for m in page["registered_models"]?.arrayValue ?? [] {
                guard let name = m["name"]?.stringValue else { continue }
                if (m["aliases"]?.arrayValue ?? []).contains(where: { $0["alias"]?.stringValue == alias }) { names.append(name) }
            }
            token = page["next_page_token"]?.stringValue
            if token?.isEmpty == true { token = nil }
        } while token != nil
        return names
    }

    /// The version's model directory as a path under the artifact proxy's root; nil (with the
    /// URI) when its artifacts are not served through the tracking server.
    func directory(model: String, version: String) async throws(SyncFailure) -> Result<String, DirectoryFailure> {
        let answer = try await client.call(.GET, "model-versions/get-download-uri", query: [("name", model), ("version", version)])
        let uri = answer["artifact_uri"]?.stringValue ?? ""
        guard let path = Self.proxyPath(uri) else { return .failure(DirectoryFailure(uri: uri)) }
        return .success(path)
    }

    struct DirectoryFailure: Error {
        var uri: String
    }

    /// `mlflow-artifacts:/a/b` and `mlflow-artifacts://host:port/a/b` -> `a/b`.
    static func proxyPath(_ uri: String) -> String? {
        let scheme = "mlflow-artifacts:"
        guard uri.hasPrefix(scheme) else { return nil }
        var rest = Substring(uri.dropFirst(scheme.count))
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            guard let slash = rest.firstIndex(of: "/") else { return nil }
            rest = rest[slash...]
        }
        let path = rest.drop { $0 == "/" }
        guard !path.isEmpty, !path.split(separator: "/").contains("..") else { return nil }
        return String(path)
    }
}
