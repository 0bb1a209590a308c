import Dispatch
public import Logging
public import MoteCore
public import MoteModels
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Scores answered rows again with a shadow version, on its own thread, after the answer has
/// gone: the request path only hands the rows over (never waits, never changes the answer).
/// Each shadow score goes to the prediction log as a row of the shadow version with its own
/// id and `shadow_of`, the answered prediction it scored beside, so feedback on the answer
/// labels both. When `inference.shadow_max_pending` rows wait, new rows are dropped and
/// counted, not queued without bound.
public final class ShadowScorer: Sendable {
    /// One request's answered rows, as the shadow needs them.
    public struct Job: Sendable {
        public var shadow: LoadedModel
        /// The rows as inputs, or as a numeric matrix in the model's input order.
        public var rows: [[ModelInput]]?
        public var matrix: [Double]?
        public var rowCount: Int
        /// Per row, the answered prediction's id (nil: the row was not answered, skip it).
        public var answered: [String?]
        public var entityKeys: [String]?
        public var atNanos: Int64

        public init(
            shadow: LoadedModel, rows: [[ModelInput]]?, matrix: [Double]?, rowCount: Int, answered: [String?], entityKeys: [String]?, atNanos: Int64
        ) {
            self.shadow = shadow
            self.rows = rows
            self.matrix = matrix
            self.rowCount = rowCount
            self.answered = answered
            self.entityKeys = entityKeys
            self.atNanos = atNanos
        }
    }

    private let log: PredictionLog
    private let settings: Live<InferenceSettings>
    private let logger: Logger
    private struct Queue {
        var jobs: [Job] = []
        var rows = 0
        var stopping = false
        /// The thread was woken and has not taken the jobs yet: later jobs need not wake it.
        var woken = false
    }
    /// How long the woken thread lets jobs gather before taking them, so a stream of
    /// single-row requests costs one wake-up per batch, not one per request.
    static let gatherMicros: UInt32 = 2_000
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let scoredRows = Atomic<Int>(0)
    private let droppedRows = Atomic<Int>(0)
    /// Rows handed over and rows finished (scored or failed), for `flush`.
    private let acceptedRows = Atomic<Int>(0)
    private let finishedRows = Atomic<Int>(0)

    public init(log: PredictionLog, settings: Live<InferenceSettings>, logger: Logger) {
        self.log = log
        self.settings = settings
        self.logger = logger
        DetachedThread.start { [self] in self.run() }
    }

    /// Rows scored by shadows and rows dropped because the queue was full, since start.
    public var counts: (scored: Int, dropped: Int) { (scoredRows.load(ordering: .relaxed), droppedRows.load(ordering: .relaxed)) }

    /// Hands a job over; false (and counted) when the queue is full.
    @discardableResult
    public func submit(_ job: Job) -> Bool {
        let limit = settings.current.shadowMaxPending
        let (taken, wakeThread) = queue.withLock { q -> (Bool, Bool) in
            guard !q.stopping, q.rows + job.rowCount <= limit else { return (false, false) }
            q.jobs.append(job)
            q.rows += job.rowCount
            defer { q.woken = true }
            return (true, !q.woken)
        }
        guard taken else {
            droppedRows.add(job.rowCount, ordering: .relaxed)
            return false
        }
        acceptedRows.add(job.rowCount, ordering: .relaxed)
        if wakeThread { wake.signal() }
        return true
    }

    /// Waits until every row handed over before the call is scored and handed to the log, at
    /// most `timeoutNanos`; false when it took longer.
    @discardableResult
    public func flush(timeoutNanos: Int64) -> Bool {
        let target = acceptedRows.load(ordering: .relaxed)
        let deadline = SystemClock.monotonicNanos() &+ UInt64(max(0, timeoutNanos))
        while finishedRows.load(ordering: .acquiring) < target {
            if SystemClock.monotonicNanos() >= deadline { return false }
            usleep(500)
        }
        return true
    }

    /// Stops the thread after the jobs taken so far.
    public func stop() {
        let wakeThread = queue.withLock { q -> Bool in
            q.stopping = true
            defer { q.woken = true }
            return !q.woken
        }
        if wakeThread { wake.signal() }
    }

    private func run() {
        while true {
            wake.wait()
            usleep(Self.gatherMicros)
            let (jobs, stopping) = queue.withLock { q -> ([Job], Bool) in
                let out = q.jobs
                q.jobs.removeAll(keepingCapacity: true)
                q.rows = 0
                q.woken = false
                return (out, q.stopping)
            }
            for job in jobs { score(job) }
            if stopping { return }
        }
    }

    private func score(_ job: Job) {
        defer { finishedRows.add(job.rowCount, ordering: .releasing) }
        let model = job.shadow
        let started = SystemClock.monotonicNanos()
        let scores: [Double]
        if let matrix = job.matrix {
            scores = model.scores(matrix: matrix, rows: job.rowCount)
        } else if let rows = job.rows {
            scores = model.scores(rows)
        } else {
            return
        }
        let answered = (0..<job.rowCount).filter { job.answered[$0] != nil }
        let ids = (0..<job.rowCount).map { _ in PredictionID.make() }
        let features = model.bundle.inputs.count
        log.append(
            rows: answered, ids: ids, model: model, scores: scores, atNanos: job.atNanos,
            latencyNanos: Int64(SystemClock.monotonicNanos() &- started), entityKeys: job.entityKeys, inputs: { job.rows?[$0] },
            numbers: { r in job.matrix.map { $0[(r * features)..<((r + 1) * features)] } }, shadowOf: { job.answered[$0] })
        scoredRows.add(answered.count, ordering: .relaxed)
    }
}
