public import MoteCore
import Synchronization

/// A training job's state as the API shows it.
public enum JobStatus: String, Sendable, CaseIterable {
    case queued
    case running
    case succeeded
    case failed
    case cancelled

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One training job: what it trains, where it stands, what it produced, and its event log
/// (NDJSON lines: phase, message, iteration, losses, ETA, metrics). Shared between the worker
/// that runs it and the API that reads it.
public final class TrainingJob: Sendable {
    public struct State: Sendable {
        public var status: JobStatus
        public var reason: String
        public var startedNanos: Int64?
        public var finishedNanos: Int64?
        public var runID: String?
        public var version: Int?
        public var promoted: Bool?
        /// Event lines (each a JSON object, no newline).
        public var events: [[UInt8]]
    }

    public let id: String
    /// What the job does: `training` (a training spec), or a kind registered on the queue
    /// (`QueuedJobKind`, e.g. `scoring`).
    public let kind: String
    /// The name of what it runs: a training spec, a scoring job.
    public let specName: String
    /// The spec as JSON (the job runs what was current when it was queued).
    public let specJSON: [UInt8]
    public let model: String
    /// api | schedule | restart | drift
    public let trigger: String
    public let createdNanos: Int64
    private let state: Mutex<State>
    private let cancelFlag = Atomic<Bool>(false)
    /// Bumped on every change, so followers know when to look again.
    private let changes = Atomic<UInt64>(0)

    /// At most this many events are kept per job (iterations are thinned to fit).
    static let maxEvents = 2000

    public init(
        id: String, kind: String = TrainingJob.training, specName: String, specJSON: [UInt8], model: String, trigger: String, createdNanos: Int64,
        state: State
    ) {
        self.id = id
        self.kind = kind
        self.specName = specName
        self.specJSON = specJSON
        self.model = model
        self.trigger = trigger
        self.createdNanos = createdNanos
        self.state = Mutex(state)
    }

    public var snapshot: State { state.withLock { $0 } }
    public var changeCount: UInt64 { changes.load(ordering: .acquiring) }

    /// The kind of a training spec's job.
    public static let training = "training"

    public var cancelRequested: Bool { cancelFlag.load(ordering: .relaxed) }
    func requestCancel() { cancelFlag.store(true, ordering: .relaxed) }

    /// Changes the job's state (its runner records what it produced: run, version, ...).
    public func update(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
        changes.add(1, ordering: .releasing)
    }

    /// Appends an event: `{"time", "phase", "message", ...extra}`.
    public func event(_ phase: String, _ message: String, at nanos: Int64 = SystemClock.nowNanos(), extra: (inout JSONWriter) -> Void = { _ in }) {
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.key("time"); w.timestamp(nanos: nanos)
        w.key("job"); w.string(id)
        w.key("phase"); w.string(phase)
        w.key("message"); w.string(message)
        extra(&w)
        w.endObject()
        update { s in
            if s.events.count >= Self.maxEvents { s.events.remove(at: s.events.count / 2) }
            s.events.append(w.bytes)
        }
    }

    /// The job as the API answers it.
    public func write(into w: inout JSONWriter, withSpec: Bool = false) {
        let s = snapshot
        w.beginObject()
        w.key("id"); w.string(id)
        w.key("kind"); w.string(kind)
        w.key("spec"); w.string(specName)
        w.key("model"); w.string(model)
        w.key("status"); w.string(s.status.rawValue)
        w.key("reason"); w.string(s.reason)
        w.key("trigger"); w.string(trigger)
        w.key("created_at"); w.timestamp(nanos: createdNanos)
        w.key("started_at"); if let t = s.startedNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("finished_at"); if let t = s.finishedNanos { w.timestamp(nanos: t) } else { w.null() }
        w.key("run_id"); if let r = s.runID { w.string(r) } else { w.null() }
        w.key("version"); if let v = s.version { w.int(v) } else { w.null() }
        w.key("promoted"); if let p = s.promoted { w.bool(p) } else { w.null() }
        if let last = s.events.last, let parsed = try? JSONParser.parse(last) {
            w.key("last_event"); w.value(parsed)
        }
        if withSpec, let spec = try? JSONParser.parse(specJSON) {
            w.key(kind == Self.training ? "training_spec" : "\(kind)_job"); w.value(spec)
        }
        w.endObject()
    }
}

/// A kind of job other than training that runs on the training queue, one job at a time on
/// its thread at `training.nice` (batch scoring): registered with `TrainingJobs.register`.
public protocol QueuedJobKind: Sendable {
    /// The `kind` its jobs carry, e.g. `scoring`.
    var kind: String { get }
    /// Runs one job (its `specJSON` is what was current when it was queued); throws to fail
    /// it, `JobCancelled` once its cancel was requested (`job.cancelRequested`).
    func run(_ job: TrainingJob) throws
}

/// Thrown by a job that stops because its cancel was requested.
public struct JobCancelled: Error {
    public init() {}
}

extension ErrorCode {
    /// A cancel of a training job that has already ended (succeeded, failed or cancelled) (409).
    public static let jobFinished: ErrorCode = "job_finished"
}
