import MoteCore
import MoteRegistry
import MoteServer
import MoteSync
import NIOHTTP1

/// `GET /v1/sync` (status), `POST /v1/sync[?wait=true]` (drain now; with `wait`, answer when
/// the drain ends or just before `limits.request_timeout`, saying which in `drained`),
/// `GET /v1/sync/parked`, `POST /v1/sync/parked/retry` (put parked rows back in line).
enum SyncRoutes {
    static func routes(_ worker: SyncWorker, store: SyncStore, settings: Live<SyncSettings>) -> [Route] {
        [
            Route(.GET, "/v1/sync", role: .read, .blocking { _ in .json(write(worker.status())) }),
            // Async: a waiting caller holds no thread, and is answered before the request timeout.
            Route(.POST, "/v1/sync", role: .admin, .async { request in
                guard settings.current.enabled else {
                    throw DomainError.conflict("sync is off ([sync] enabled = false)")
                }
                let drained = try await worker.passes.trigger(for: request)
                return .json(write(worker.status(), drained: drained))
            }),
            Route(.GET, "/v1/sync/parked", role: .read, .blocking { request in
                let limit = try request.limit(default: 100, maximum: 10_000)
                var w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.key("parked")
                w.beginArray()
                for p in try store.parked(limit: limit) {
                    w.beginObject()
                    w.key("seq"); w.int(p.item.seq)
                    w.key("at"); w.timestamp(nanos: p.item.atNanos)
                    w.key("kind"); w.string(p.item.kind)
                    w.key("subject"); w.string(p.item.subject)
                    w.key("attempts"); w.int(p.item.attempts)
                    w.key("parked_at"); w.timestamp(nanos: p.parkedNanos)
                    w.key("reason"); w.string(p.reason)
                    w.endObject()
                }
                w.endArray()
                w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/sync/parked/retry", role: .admin, .blocking { request in
                let seq = try request.integer("seq")
                let count = try store.unpark(seq: seq)
                worker.passes.trigger()
                var w = JSONWriter(capacity: 64)
                w.beginObject(); w.key("requeued"); w.int(count); w.endObject()
                return .json(w)
            }),
        ]
    }

    /// The status answer; `drained` (only after a wait) says whether the drain ended in time.
    static func write(_ s: SyncWorker.Status, drained: Bool? = nil) -> JSONWriter {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        if let drained { w.key("drained"); w.bool(drained) }
        w.key("enabled"); w.bool(s.enabled)
        w.key("url"); w.string(s.url)
        w.key("device_id"); w.string(s.deviceID)
        w.key("pending"); w.int(s.pending)
        w.key("parked"); w.int(s.parked)
        w.key("running"); w.bool(s.running)
        w.key("sent"); w.int(s.sent)
        w.key("consecutive_failures"); w.int(s.failures)
        w.key("last_success"); if let t = s.lastSuccessNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("last_attempt"); if let t = s.lastAttemptNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("last_error"); if let e = s.lastError { w.string(e) } else { w.null() }
        w.key("last_error_at"); if let t = s.lastErrorNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("next_attempt"); if let t = s.nextAttemptNanos, s.enabled { w.timestamp(nanos: t) } else { w.null() }
        w.endObject()
        return w
    }
}
