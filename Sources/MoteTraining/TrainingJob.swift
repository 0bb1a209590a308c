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

    public init(id: String, specName: String, specJSON: [UInt8], model: String, trigger: String, createdNanos: Int64, state: State) {
        self.id = id
        self.specName = specName
        self.specJSON = specJSON
        self.model = model
        self.trigger = trigger
        self.createdNanos = createdNanos
        self.state = Mutex(state)
    }

    public var snapshot: State { state.withLock { $0 } }
    public var changeCount: UInt64 { changes.load(ordering: .acquiring) }

    public var cancelRequested: Bool { cancelFlag.load(ordering: .relaxed) }
    func requestCancel() { cancelFlag.store(true, ordering: .relaxed) }

    func update(_ body: (inout State) -> Void) {
        state.withLock { body(&$0) }
        changes.add(1, ordering: .releasing)
    }

    /// Appends an event: `{"time", "phase", "message", ...extra}`.
    func event(_ phase: String, _ message: String, at nanos: Int64 = SystemClock.nowNanos(), extra: (inout JSONWriter) -> Void = { _ in }) {
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
            w.key("training_spec"); w.value(spec)
        }
        w.endObject()
    }
}

extension ErrorCode {
    /// A cancel of a training job that has already ended (succeeded, failed or cancelled) (409).
    public static let jobFinished: ErrorCode = "job_finished"
}
