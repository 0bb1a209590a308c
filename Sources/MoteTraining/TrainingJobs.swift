import Dispatch
import Logging
import MoteCore
import MoteFeatures
import MoteRegistry
public import MoteStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The training queue: one job runs at a time on its own low-priority thread, the rest wait
/// (up to `training.max_queued`). Jobs are kept in `registry.sqlite`, so a restart finds
/// queued jobs again and marks a job it interrupted as failed and queues it anew.
public final class TrainingJobs: Sendable {
    private let database: Database
    private let context: TrainingContext
    private struct Queue {
        var waiting: [TrainingJob] = []
        var running: TrainingJob?
        /// Recently seen jobs by id (the database has them all).
        var recent: [String: TrainingJob] = [:]
        var stopping = false
    }
    private let queue = Mutex(Queue())
    /// Kinds of jobs besides training, by `kind`.
    private let kinds = Mutex<[String: any QueuedJobKind]>([:])
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    public init(storage: Storage, context: TrainingContext) {
        self.database = storage.registry
        self.context = context
    }

    // MARK: - Life cycle

    /// Lets jobs of `kind` run on this queue (before `start`, so that recovered jobs find it).
    public func register(_ kind: any QueuedJobKind) {
        kinds.withLock { $0[kind.kind] = kind }
    }

    /// Recovers jobs from the database and starts the worker thread.
    public func start() throws {
        let now = SystemClock.nowNanos()
        let pending = try database.read { conn -> [(TrainingJob, Bool)] in
            let statement = try conn.prepare(
                "SELECT id, spec_name, spec, model, status, trigger, created_ns, kind FROM training_jobs WHERE status IN ('queued', 'running') ORDER BY created_ns")
            var out: [(TrainingJob, Bool)] = []
            while try statement.step() {
                let job = TrainingJob(
                    id: statement.text(0) ?? "", kind: statement.text(7) ?? TrainingJob.training, specName: statement.text(1) ?? "", specJSON: Array((statement.text(2) ?? "").utf8),
                    model: statement.text(3) ?? "", trigger: statement.text(5) ?? "", createdNanos: statement.int64(6),
                    state: .init(status: .queued, reason: "", events: []))
                out.append((job, statement.text(4) == "running"))
            }
            return out
        }
        for (job, wasRunning) in pending {
            if wasRunning {
                job.update { s in
                    s.status = .failed
                    s.reason = "interrupted by a restart of moted; queued again"
                    s.finishedNanos = now
                }
                try persist(job)
                context.logger.warning(
                    "training: job interrupted by a restart, queued again",
                    metadata: ["job": "\(job.id)", "model": "\(job.model)", "event": "job_interrupted"])
                _ = try? enqueue(
                    kind: job.kind, name: job.specName, specJSON: job.specJSON, model: job.model, trigger: "restart", force: true)
            } else {
                job.event("queued", "queued again after a restart")
                queue.withLock { q in
                    q.waiting.append(job)
                    q.recent[job.id] = job
                }
                wake.signal()
            }
        }
        DetachedThread.start { [self] in self.work() }
    }

    /// Cancels the running job, drops nothing from the queue (it is in the database), and
    /// waits for the worker to finish (bounded by `timeoutNanos`).
    public func stop(timeoutNanos: Int64) {
        queue.withLock { q in
            q.stopping = true
            q.running?.requestCancel()
        }
        wake.signal()
        _ = stopped.wait(timeout: .now() + .nanoseconds(Int(min(timeoutNanos, Int64(Int.max)))))
    }

    // MARK: - API

    /// Queues a job for `spec`; 429 when the queue is full.
    public func submit(spec: TrainingSpec, trigger: String) throws -> TrainingJob {
        var w = JSONWriter()
        spec.write(into: &w)
        return try enqueue(kind: TrainingJob.training, name: spec.name, specJSON: w.bytes, model: spec.model, trigger: trigger, force: false)
    }

    /// Queues a job of a registered kind that runs `specJSON` (named `name`, for `model`);
    /// 429 when the queue is full.
    public func submit(kind: String, name: String, specJSON: [UInt8], model: String, trigger: String) throws -> TrainingJob {
        try enqueue(kind: kind, name: name, specJSON: specJSON, model: model, trigger: trigger, force: false)
    }

    /// Whether a job of `kind` named `name` waits or runs.
    public func isPending(kind: String, name: String) -> Bool {
        queue.withLock { q in
            (q.running.map { $0.kind == kind && $0.specName == name } ?? false) || q.waiting.contains { $0.kind == kind && $0.specName == name }
        }
    }

    /// When the newest job of `kind` named `name` was queued (cancelled jobs left out), nil for never.
    public func lastQueued(kind: String, name: String) throws -> Int64? {
        try database.read { conn -> Int64? in
            let statement = try conn.prepare("SELECT max(created_ns) FROM training_jobs WHERE kind = ? AND spec_name = ? AND status != 'cancelled'")
            statement.bind([.text(kind), .text(name)])
            guard try statement.step(), !statement.isNull(0) else { return nil }
            return statement.int64(0)
        }
    }

    private func enqueue(kind: String, name: String, specJSON: [UInt8], model: String, trigger: String, force: Bool) throws -> TrainingJob {
        let limit = context.settings.current.maxQueued
        let job = TrainingJob(
            id: JobID.make(), kind: kind, specName: name, specJSON: specJSON, model: model, trigger: trigger,
            createdNanos: SystemClock.nowNanos(), state: .init(status: .queued, reason: "", events: []))
        try queue.withLock { q throws(DomainError) in
            guard !q.stopping else { throw DomainError(.unavailable, .shuttingDown, "moted is shutting down") }
            guard force || q.waiting.count < limit else {
                throw DomainError(.busy, "queue_full", "\(q.waiting.count) training jobs are waiting; the limit is \(limit) (training.max_queued)")
            }
        }
        job.event("queued", "queued (\(trigger))")
        try database.write(addingData: true) { conn in
            try conn.cached(
                "INSERT INTO training_jobs (id, kind, spec_name, spec, model, status, trigger, created_ns) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)"
            ).run([
                .text(job.id), .text(kind), .text(name), .text(String(decoding: specJSON, as: UTF8.self)), .text(model), .text(trigger),
                .integer(job.createdNanos),
            ])
        }
        queue.withLock { q in
            q.waiting.append(job)
            q.recent[job.id] = job
            if q.recent.count > 256 {
                for (id, old) in q.recent where old.snapshot.status.isFinal { q.recent[id] = nil }
            }
        }
        context.logger.info(
            "training: job queued", metadata: ["job": "\(job.id)", "kind": "\(kind)", "model": "\(model)", "spec": "\(name)"])
        wake.signal()
        return job
    }

    /// A job by id (from memory while recent, else from the database).
    public func job(_ id: String) throws -> TrainingJob? {
        if let job = queue.withLock({ $0.recent[id] }) { return job }
        return try database.read { conn in
            let statement = try conn.prepare(
                "SELECT id, spec_name, spec, model, status, reason, trigger, created_ns, started_ns, finished_ns, run_id, version, promoted, events, kind FROM training_jobs WHERE id = ?")
            statement.bind([.text(id)])
            guard try statement.step() else { return nil }
            return Self.job(from: statement)
        }
    }

    /// Jobs, newest first (of one spec or job name, of one kind, when given).
    public func list(limit: Int, spec: String? = nil, kind: String? = nil) throws -> [TrainingJob] {
        try database.read { conn in
            var conditions: [String] = []
            var values: [SQLiteValue] = []
            if let spec { conditions.append("spec_name = ?"); values.append(.text(spec)) }
            if let kind { conditions.append("kind = ?"); values.append(.text(kind)) }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let statement = try conn.prepare(
                "SELECT id, spec_name, spec, model, status, reason, trigger, created_ns, started_ns, finished_ns, run_id, version, promoted, events, kind FROM training_jobs \(filter) ORDER BY created_ns DESC LIMIT ?")
            statement.bind(values + [.integer(Int64(limit))])
            var out: [TrainingJob] = []
            while try statement.step() {
                let id = statement.text(0) ?? ""
                out.append(queue.withLock { $0.recent[id] } ?? Self.job(from: statement))
            }
            return out
        }
    }

    /// Cancels a queued job at once, a running one at its next iteration.
    public func cancel(_ id: String) throws -> TrainingJob {
        guard let job = try job(id) else { throw DomainError.notFound("no training job '\(id)'") }
        let now = job.snapshot
        guard !now.status.isFinal else {
            throw DomainError(.conflict, .jobFinished, "training job '\(id)' already \(now.status.rawValue): there is nothing to cancel")
        }
        let wasQueued = queue.withLock { q -> Bool in
            if let k = q.waiting.firstIndex(where: { $0.id == id }) {
                q.waiting.remove(at: k)
                return true
            }
            if q.running?.id == id { job.requestCancel() }
            return false
        }
        if wasQueued {
            job.update { s in
                s.status = .cancelled
                s.reason = "cancelled before it started"
                s.finishedNanos = SystemClock.nowNanos()
            }
            job.event("cancelled", "cancelled before it started")
            try persist(job)
        }
        return job
    }

    /// Queued and running counts (for status and metrics).
    public var depth: (queued: Int, running: Int) {
        queue.withLock { ($0.waiting.count, $0.running == nil ? 0 : 1) }
    }

    // MARK: - Schedules

    /// Queues jobs whose schedule is due: `every` elapsed since the spec's last job (or never
    /// ran), and at least `min_new_labels` label rows written since that job started.
    public func checkSchedules(now: Int64) {
        let specs = context.store.definitions.set.trainings.filter { $0.everyNanos > 0 || $0.minNewLabels > 0 }
        for spec in specs {
            do {
                if isPending(kind: TrainingJob.training, name: spec.name) { continue }
                let last = try lastQueued(kind: TrainingJob.training, name: spec.name)
                if let last, spec.everyNanos > 0, now - last < spec.everyNanos { continue }
                if spec.everyNanos == 0, last == nil, spec.minNewLabels == 0 { continue }
                if spec.minNewLabels > 0, let labelName = spec.label ?? spec.features.first,
                    let view = context.store.definitions.set.view(String(labelName.split(separator: ":")[0]))
                {
                    let fresh = try context.store.historyCount(view: view, createdAfter: last ?? Int64.min)
                    if fresh < spec.minNewLabels { continue }
                }
                _ = try submit(spec: spec, trigger: "schedule")
            } catch {
                context.logger.warning(
                    "training: schedule check failed", metadata: ["spec": "\(spec.name)", "error": "\(error)"])
            }
        }
    }

    /// Queues a job for each spec of `model` that says `retrain_on_drift`, unless one of its
    /// drift-triggered jobs started less than its minimum interval ago (the spec's
    /// `retrain_min_interval`, else `defaultMinIntervalNanos`) or it already waits or runs.
    /// Returns the queued jobs.
    @discardableResult
    public func retrainOnDrift(model: String, now: Int64, defaultMinIntervalNanos: Int64) -> [TrainingJob] {
        var queued: [TrainingJob] = []
        for spec in context.store.definitions.set.trainings where spec.model == model && spec.retrainOnDrift {
            do {
                if isPending(kind: TrainingJob.training, name: spec.name) { continue }
                let last = try database.read { conn -> Int64? in
                    let statement = try conn.prepare("SELECT max(created_ns) FROM training_jobs WHERE kind = 'training' AND spec_name = ? AND trigger = 'drift'")
                    statement.bind([.text(spec.name)])
                    guard try statement.step(), !statement.isNull(0) else { return nil }
                    return statement.int64(0)
                }
                let interval = spec.retrainMinIntervalNanos ?? defaultMinIntervalNanos
                if let last, now - last < interval {
                    context.logger.notice(
                        "drift: not retraining \(spec.name) yet (last drift-triggered job \(DurationText.format(nanos: now - last)) ago, minimum \(DurationText.format(nanos: interval)))",
                        metadata: ["event": "retrain_deferred", "spec": "\(spec.name)", "model": "\(model)"])
                    continue
                }
                let job = try submit(spec: spec, trigger: "drift")
                context.logger.notice(
                    "drift: training job \(job.id) queued for \(spec.name)",
                    metadata: ["event": "retrain_on_drift", "job": "\(job.id)", "spec": "\(spec.name)", "model": "\(model)"])
                queued.append(job)
            } catch {
                context.logger.warning("drift: could not queue a training job", metadata: ["spec": "\(spec.name)", "error": "\(error)"])
            }
        }
        return queued
    }

    // MARK: - Worker

    /// Sets this thread's nice value to `training.nice` when it changed since the last job
    /// (threads a job starts inherit it). On Linux the nice value is per thread, and `who = 0`
    /// is the calling thread. A lower value than the thread has needs CAP_SYS_NICE: that change
    /// waits for a restart, and the journal says so (as it does any other refusal, once per value).
    private func applyNice(current: Int32?) -> Int32? {
        let wanted = Int32(context.settings.current.nice)
        if wanted == current { return current }
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, wanted) == 0 { return wanted }
        context.logger.warning(
            "training thread: could not set its priority; training runs at nice \(current ?? 0) instead",
            metadata: ["event": "training_nice_failed", "nice": "\(wanted)", "errno": "\(errno)"])
        return wanted
    }

    private func work() {
        var applied = applyNice(current: nil)
        while true {
            wake.wait()
            while true {
                let next = queue.withLock { q -> TrainingJob? in
                    if q.stopping || q.running != nil || q.waiting.isEmpty { return nil }
                    let job = q.waiting.removeFirst()
                    q.running = job
                    return job
                }
                guard let job = next else { break }
                applied = applyNice(current: applied)
                execute(job)
                queue.withLock { $0.running = nil }
            }
            if queue.withLock({ $0.stopping }) {
                stopped.signal()
                return
            }
        }
    }

    private func execute(_ job: TrainingJob) {
        let log = context.logger
        job.update { s in
            s.status = .running
            s.startedNanos = SystemClock.nowNanos()
        }
        try? persist(job)
        let outcome: (JobStatus, String)
        do {
            if job.kind == TrainingJob.training {
                guard let spec = TrainingSpec.parse(json: try JSONParser.parse(job.specJSON)) else { throw TrainingFailure("the job's spec is unreadable") }
                try TrainingJobRunner.run(job, spec: spec, context: context)
            } else {
                guard let kind = kinds.withLock({ $0[job.kind] }) else { throw TrainingFailure("moted has no runner for jobs of kind '\(job.kind)'") }
                try kind.run(job)
            }
            outcome = (.succeeded, "")
        } catch is JobCancelled {
            outcome = (.cancelled, queue.withLock { $0.stopping } ? "cancelled: moted is stopping" : "cancelled")
        } catch {
            outcome = (.failed, "\(error)")
        }
        // The last event first: a follower stops reading once the status is final.
        job.event(outcome.0.rawValue, outcome.1.isEmpty ? "done" : outcome.1)
        job.update { s in
            s.status = outcome.0
            s.reason = outcome.1
            s.finishedNanos = SystemClock.nowNanos()
        }
        let metadata: Logger.Metadata = [
            "job": "\(job.id)", "kind": "\(job.kind)", "model": "\(job.model)", "event": "job_\(outcome.0.rawValue)",
            "version": "\(job.snapshot.version.map(String.init) ?? "")",
        ]
        switch outcome.0 {
        case .failed: log.error("\(job.kind): job failed: \(outcome.1)", metadata: metadata)
        case .cancelled: log.notice("\(job.kind): job cancelled", metadata: metadata)
        default: log.info("\(job.kind): job succeeded", metadata: metadata)
        }
        do {
            try persist(job)
        } catch {
            log.error("training: could not store the job's outcome", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func persist(_ job: TrainingJob) throws {
        let s = job.snapshot
        var events: [UInt8] = []
        for line in s.events {
            events.append(contentsOf: line)
            events.append(0x0A)
        }
        try database.write { conn in
            try conn.cached(
                "UPDATE training_jobs SET status = ?, reason = ?, started_ns = ?, finished_ns = ?, run_id = ?, version = ?, promoted = ?, events = ? WHERE id = ?"
            ).run([
                .text(s.status.rawValue), .text(s.reason), s.startedNanos.map { .integer($0) } ?? .null,
                s.finishedNanos.map { .integer($0) } ?? .null, s.runID.map { .text($0) } ?? .null,
                s.version.map { .integer(Int64($0)) } ?? .null, s.promoted.map { .integer($0 ? 1 : 0) } ?? .null,
                .text(String(decoding: events, as: UTF8.self)), .text(job.id),
            ])
        }
    }

    private static func job(from statement: SQLiteStatement) -> TrainingJob {
        let events = (statement.text(13) ?? "").split(separator: "\n").map { Array($0.utf8) }
        return TrainingJob(
            id: statement.text(0) ?? "", kind: statement.text(14) ?? TrainingJob.training, specName: statement.text(1) ?? "",
            specJSON: Array((statement.text(2) ?? "").utf8),
            model: statement.text(3) ?? "", trigger: statement.text(6) ?? "", createdNanos: statement.int64(7),
            state: .init(
                status: JobStatus(rawValue: statement.text(4) ?? "") ?? .failed, reason: statement.text(5) ?? "",
                startedNanos: statement.isNull(8) ? nil : statement.int64(8), finishedNanos: statement.isNull(9) ? nil : statement.int64(9),
                runID: statement.text(10), version: statement.isNull(11) ? nil : Int(statement.int64(11)),
                promoted: statement.isNull(12) ? nil : statement.int64(12) != 0, events: events))
    }
}

/// Job ids: the creation time in hex, then random hex (sorts by time, unique).
enum JobID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let time = String(UInt64(SystemClock.nowNanos() / 1_000_000), radix: 16)
        let random = String(generator.next() as UInt32, radix: 16)
        return time + String(repeating: "0", count: 8 - random.count) + random
    }
}

