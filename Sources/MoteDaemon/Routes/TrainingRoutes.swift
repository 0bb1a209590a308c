import MoteCore
import MoteFeatures
import MoteServer
import MoteTraining
import NIOHTTP1

/// Training routes: `/v1/training-specs`, `/v1/training-jobs[/{id}[/events]]`. Queueing and
/// cancelling need `admin`: training is an admin act (docs/decisions.md).
enum TrainingRoutes {
    static func routes(_ jobs: TrainingJobs, store: FeatureStore) -> [Route] {
        @Sendable func job(_ request: Request) throws -> TrainingJob {
            let id = request.parameter("id") ?? ""
            guard let job = try jobs.job(id) else { throw DomainError.notFound("no training job '\(id)'") }
            return job
        }
        return [
            Route(.GET, "/v1/training-specs", role: .read, .blocking { _ in
                var w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.key("training_specs")
                w.beginArray()
                for spec in store.definitions.set.trainings { spec.write(into: &w) }
                w.endArray()
                w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/training-jobs", role: .admin, .blocking { request in
                let body = try request.fields()
                let (name, inline) = (try body.text("spec"), try body.text("inline"))
                try body.finish()
                let spec = try TrainingSpec.requested(name: name, inline: inline, store: store)
                return answer(try jobs.submit(spec: spec, trigger: "api"), status: .accepted)
            }),
            Route(.GET, "/v1/training-jobs", role: .read, .blocking { request in
                let limit = try request.limit(default: 50, maximum: 10_000)
                var w = JSONWriter(capacity: 2048)
                w.beginObject()
                w.key("jobs")
                w.beginArray()
                for j in try jobs.list(limit: limit, spec: request.queryValue("spec"), kind: request.queryValue("kind")) { j.write(into: &w) }
                w.endArray()
                let depth = jobs.depth
                w.key("queued"); w.int(depth.queued)
                w.key("running"); w.int(depth.running)
                w.endObject()
                return .json(w)
            }),
            Route(.GET, "/v1/training-jobs/{id}", role: .read, .blocking { request in
                answer(try job(request), withSpec: true)
            }),
            Route(.DELETE, "/v1/training-jobs/{id}", role: .admin, .blocking { request in
                answer(try jobs.cancel(request.parameter("id") ?? ""))
            }),
            Route(.GET, "/v1/training-jobs/{id}/events", role: .read, .blocking { request in
                let follow = try request.flag("follow")
                return .streamed(JobEventStream(job: try job(request), follow: follow), contentType: "application/x-ndjson")
            }),
        ]
    }
}

extension TrainingRoutes {
    /// `{"job": {...}}`, as every route that answers one job does (its spec too with `withSpec`).
    static func answer(_ job: TrainingJob, withSpec: Bool = false, status: HTTPResponseStatus = .ok) -> Response {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("job")
        job.write(into: &w, withSpec: withSpec)
        w.endObject()
        return .json(w, status: status)
    }
}

/// A job's events as NDJSON; with `follow`, new events as they come until the job ends.
final class JobEventStream: BodyStream, @unchecked Sendable {
    private let job: TrainingJob
    private let follow: Bool
    private var sent = 0
    private var finished = false
    private var lastOutput = SystemClock.monotonicNanos()

    init(job: TrainingJob, follow: Bool) {
        self.job = job
        self.follow = follow
    }

    func next() throws -> [UInt8]? {
        if finished { return nil }
        let state = job.snapshot
        if state.events.count > sent {
            var out: [UInt8] = []
            for line in state.events[sent...] {
                out.append(contentsOf: line)
                out.append(0x0A)
            }
            sent = state.events.count
            if !follow || state.status.isFinal { finished = true }
            lastOutput = SystemClock.monotonicNanos()
            return out
        }
        if !follow || state.status.isFinal { return nil }
        // An empty line every 5 s of silence keeps a client's read timeout from firing.
        if SystemClock.monotonicNanos() &- lastOutput > 5_000_000_000 {
            lastOutput = SystemClock.monotonicNanos()
            return [0x0A]
        }
        return []  // nothing new yet: the server asks again shortly
    }
}
