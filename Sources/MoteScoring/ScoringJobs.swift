public import Logging
public import MoteCore
public import MoteFeatures
public import MoteInference
public import MoteRegistry
public import MoteTraining

/// Batch scoring: runs of `[[scoring_job]]`s queued on the training queue (one job at a time,
/// on its thread, at `training.nice`), on demand or on their `every` schedule. A run scores
/// its entities in chunks from the online cache and writes one row per scored entity to its
/// target view and/or file; it is tracked as a run.
public final class ScoringJobs: QueuedJobKind {
    public let kind = "scoring"
    let queue: TrainingJobs
    let store: FeatureStore
    let models: ModelServer
    let log: PredictionLog
    let registry: RegistryStore
    let artifacts: ArtifactStore
    /// Where result files are written (`<state>/scoring`).
    let directory: String
    let settings: Live<ScoringSettings>
    let logger: Logger

    public init(
        queue: TrainingJobs, store: FeatureStore, models: ModelServer, log: PredictionLog, registry: RegistryStore, artifacts: ArtifactStore,
        directory: String, settings: Live<ScoringSettings>, logger: Logger
    ) {
        self.queue = queue
        self.store = store
        self.models = models
        self.log = log
        self.registry = registry
        self.artifacts = artifacts
        self.directory = directory
        self.settings = settings
        self.logger = logger
    }

    /// Queues a run of the applied scoring job `name` (404 without one; 429 when the queue is full).
    public func submit(name: String, trigger: String) throws -> TrainingJob {
        guard let spec = store.definitions.set.scoringJob(name) else {
            throw DomainError.notFound("no scoring job '\(name)'; see GET /v1/scoring-jobs")
        }
        var w = JSONWriter(capacity: 256)
        spec.write(into: &w)
        return try queue.submit(kind: kind, name: spec.name, specJSON: w.bytes, model: spec.model, trigger: trigger)
    }

    /// Queues the jobs whose `every` has passed since their last run (or that never ran) and
    /// that neither wait nor run.
    public func checkSchedules(now: Int64) {
        for spec in store.definitions.set.scoringJobs where spec.everyNanos > 0 {
            do {
                if queue.isPending(kind: kind, name: spec.name) { continue }
                if let last = try queue.lastQueued(kind: kind, name: spec.name), now - last < spec.everyNanos { continue }
                _ = try submit(name: spec.name, trigger: "schedule")
            } catch {
                logger.warning("scoring: schedule check failed", metadata: ["scoring_job": "\(spec.name)", "error": "\(error)"])
            }
        }
    }

    /// The runs of `name` (or of every scoring job), newest first.
    public func runs(name: String?, limit: Int) throws -> [TrainingJob] {
        try queue.list(limit: limit, spec: name, kind: kind)
    }

    public func run(_ job: TrainingJob) throws {
        guard let spec = ScoringJobSpec.parse(json: try JSONParser.parse(job.specJSON)) else {
            throw DomainError(.internalFault, .internalError, "the scoring job's spec is unreadable")
        }
        try ScoringRun(job: job, spec: spec, context: self).execute()
    }
}
