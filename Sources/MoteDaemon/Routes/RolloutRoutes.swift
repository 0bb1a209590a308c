import MoteCore
import MoteInference
import MoteRegistry
import MoteRollout
import MoteServer
import NIOHTTP1

/// A model's rollout: `GET /v1/models/{model}/rollout` (the running one compared live with the
/// champion, and the decisions so far), `PUT` (start a shadow or canary of a version, with its
/// share and policy), `DELETE` (stop it), `POST .../rollout/check` (judge it now).
enum RolloutRoutes {
    static func routes(_ rollouts: Rollouts) -> [Route] {
        @Sendable func author(_ request: Request) -> ChangeAuthor { ChangeAuthor(uid: request.peer.uid, pid: request.peer.pid) }
        @Sendable func model(_ request: Request) throws -> String {
            guard let value = request.parameter("model") else { throw DomainError.invalidParameter("missing path parameter model") }
            return value
        }
        return [
            Route(.GET, "/v1/models/{model}/rollout", role: .read, .blocking { request in
                .json(try status(rollouts, model: try model(request)))
            }),
            Route(.PUT, "/v1/models/{model}/rollout", role: .admin, .blocking { request in
                let name = try model(request)
                let body = try request.fields()
                let modeText = try body.requiredText("mode")
                guard let mode = Challenger.Mode(rawValue: modeText) else { throw DomainError.invalidShape("'mode' is \"shadow\" or \"canary\"") }
                guard let version = try body.integerOrDigits("version", 1...Int(Int32.max)) else { throw DomainError.invalidShape("'version' is required") }
                var share: Double?
                if let value = body.value("share") {
                    guard let d = value.doubleValue else { throw DomainError.invalidShape("'share' must be a number above 0 and at most 1") }
                    share = d
                }
                let policy = body.value("policy")
                try body.finish()
                try rollouts.start(model: name, mode: mode, version: version, share: share, policy: policy, actor: author(request))
                return .json(try status(rollouts, model: name))
            }),
            Route(.DELETE, "/v1/models/{model}/rollout", role: .admin, .blocking { request in
                let name = try model(request)
                try rollouts.stop(model: name, actor: author(request))
                return .json(try status(rollouts, model: name))
            }),
            Route(.POST, "/v1/models/{model}/rollout/check", role: .admin, .blocking { request in
                let name = try model(request)
                guard try rollouts.active(model: name) != nil else {
                    throw DomainError(.notFound, .rolloutNotFound, "model '\(name)' has no rollout")
                }
                rollouts.checkAll()
                return .json(try status(rollouts, model: name))
            }),
        ]
    }

    /// `{"model", "rollout": {...} | null, "decisions": [...]}`.
    static func status(_ rollouts: Rollouts, model: String) throws -> JSONWriter {
        let comparison = try rollouts.active(model: model).map { try rollouts.compare($0) }
        let decisions = try rollouts.decisions(model: model, limit: 20)
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.key("model"); w.string(model)
        w.key("rollout"); if let comparison { comparison.write(into: &w) } else { w.null() }
        w.key("decisions")
        w.beginArray()
        for d in decisions {
            w.beginObject()
            w.key("decision"); w.string(d.kind.rawValue)
            w.key("mode"); w.string(d.mode.rawValue)
            w.key("version"); w.int(d.version)
            w.key("champion_version"); w.int(d.champion)
            w.key("reason"); w.string(d.reason)
            w.key("evidence"); w.beginObject()
            for (k, v) in d.metrics.sorted(by: { $0.key < $1.key }) { w.key(k); w.double(v) }
            w.endObject()
            w.key("at"); w.timestamp(nanos: d.decidedNanos)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w
    }
}
