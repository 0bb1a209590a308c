import MoteCore
import MoteFeatures
import MoteScoring
import MoteServer
import MoteTraining
import NIOHTTP1

/// Batch scoring routes: `/v1/scoring-jobs` (the applied jobs with their last run) and
/// `/v1/scoring-jobs/{name}/runs` (queue one: `admin`, as training is; list them). A run is a
/// job of the training queue: its state and events are at `/v1/training-jobs/{id}[/events]`.
enum ScoringRoutes {
    static func routes(_ scoring: ScoringJobs, store: FeatureStore) -> [Route] {
        [
            Route(.GET, "/v1/scoring-jobs", role: .read, .blocking { _ in
                var w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.key("scoring_jobs")
                w.beginArray()
                for spec in store.definitions.set.scoringJobs {
                    let last = try scoring.runs(name: spec.name, limit: 1).first
                    spec.write(into: &w) { w in
                        w.key("last_run")
                        if let last { last.write(into: &w) } else { w.null() }
                    }
                }
                w.endArray()
                w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/scoring-jobs/{name}/runs", role: .admin, .blocking { request in
                TrainingRoutes.answer(try scoring.submit(name: request.parameter("name") ?? "", trigger: "api"), status: .accepted)
            }),
            Route(.GET, "/v1/scoring-jobs/{name}/runs", role: .read, .blocking { request in
                let name = request.parameter("name") ?? ""
                guard store.definitions.set.scoringJob(name) != nil else { throw DomainError.notFound("no scoring job '\(name)'") }
                let limit = try request.limit(default: 50, maximum: 10_000)
                var w = JSONWriter(capacity: 2048)
                w.beginObject()
                w.key("jobs")
                w.beginArray()
                for j in try scoring.runs(name: name, limit: limit) { j.write(into: &w) }
                w.endArray()
                w.endObject()
                return .json(w)
            }),
        ]
    }
}
