import MoteCore
import MoteFleet
import MoteRegistry
import MoteServer
import NIOHTTP1

/// `GET /v1/fleet` (followed models, central and local versions, the last decision and why),
/// `POST /v1/fleet/poll[?wait=true]` (poll now; with `wait`, answer when the poll ends or just
/// before `limits.request_timeout`), `PUT /v1/fleet/pins/{model}` (hold a model on a local
/// version) and `DELETE /v1/fleet/pins/{model}`.
enum FleetRoutes {
    static func routes(_ worker: FleetWorker, settings: Live<FleetSettings>) -> [Route] {
        @Sendable func author(_ request: Request) -> ChangeAuthor { ChangeAuthor(uid: request.peer.uid, pid: request.peer.pid) }
        @Sendable func model(_ request: Request) throws -> String {
            guard let value = request.parameter("model") else { throw DomainError.invalidParameter("missing path parameter model") }
            return value
        }
        return [
            Route(.GET, "/v1/fleet", role: .read, .blocking { _ in .json(write(worker.status())) }),
            Route(.POST, "/v1/fleet/poll", role: .admin, .async { request in
                guard settings.current.enabled else { throw DomainError.conflict("the fleet is off ([fleet] enabled = false)") }
                let polled = try await worker.passes.trigger(for: request)
                return .json(write(worker.status(), polled: polled))
            }),
            Route(.PUT, "/v1/fleet/pins/{model}", role: .admin, .blocking { request in
                let body = try request.fields()
                guard let version = try body.integerOrDigits("version", 1...Int(Int32.max)) else { throw DomainError.invalidShape("'version' is required") }
                try body.finish()
                try worker.pin(model: try model(request), version: version, actor: author(request))
                return .json(write(worker.status()))
            }),
            Route(.DELETE, "/v1/fleet/pins/{model}", role: .admin, .blocking { request in
                try worker.unpin(model: try model(request), actor: author(request))
                return .json(write(worker.status()))
            }),
        ]
    }

    /// The status answer; `polled` (only after a wait) says whether the poll ended in time.
    static func write(_ s: FleetWorker.Status, polled: Bool? = nil) -> JSONWriter {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        if let polled { w.key("polled"); w.bool(polled) }
        w.key("enabled"); w.bool(s.enabled)
        w.key("alias"); w.string(s.alias)
        w.key("trust_central"); w.bool(s.trustCentral)
        w.key("url"); w.string(s.url)
        w.key("device_id"); w.string(s.deviceID)
        w.key("polling"); w.bool(s.polling)
        w.key("last_poll"); if let t = s.lastPollNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("last_success"); if let t = s.lastSuccessNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("last_error"); if let e = s.lastError { w.string(e) } else { w.null() }
        w.key("next_poll"); if let t = s.nextPollNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("models")
        w.beginArray()
        for m in s.models {
            w.beginObject()
            w.key("model"); w.string(m.followed.model)
            w.key("alias"); w.string(m.followed.alias)
            w.key("central_version"); if let v = m.followed.centralVersion { w.string(v) } else { w.null() }
            w.key("polled_at"); if let t = m.followed.polledNanos { w.timestamp(nanos: t) } else { w.null() }
            w.key("champion"); if let v = m.champion { w.int(v) } else { w.null() }
            w.key("pinned_version"); if let v = m.followed.pinnedVersion { w.int(v) } else { w.null() }
            w.key("last_decision")
            if let d = m.last {
                w.beginObject()
                w.key("central_version"); w.string(d.centralVersion)
                w.key("local_version"); if let v = d.localVersion { w.int(v) } else { w.null() }
                w.key("decision"); w.string(d.kind.rawValue)
                w.key("reason"); w.string(d.reason)
                w.key("final"); w.bool(d.final)
                w.key("at"); w.timestamp(nanos: d.decidedNanos)
                w.endObject()
            } else {
                w.null()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w
    }
}
