import Dispatch
public import Logging
public import MoteCore
import MoteML
public import MoteModels
public import MoteStorage
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The prediction log: per predicted row its id, time, model and version, entity key (for
/// entity-key predictions), input values (for a configured share of rows), outputs and
/// latency. Requests only append to an in-memory batch; a background thread writes batches
/// in one transaction each, so the request path never waits on SQLite. When writing falls
/// behind by `maxPending` rows, new rows are dropped and counted (and logged), not queued
/// without bound. The monitoring issue joins this log with feedback.
public final class PredictionLog: Sendable {
    /// One predicted row as the request path hands it over (encoded later, off the path).
    public struct Record: Sendable {
        public var id: String
        public var atNanos: Int64
        public var model: String
        public var version: Int
        public var entityKey: String?
        public var inputs: [ModelInput]?
        /// The row's input values when they came as numbers (NaN = missing): no per-row array.
        public var numbers: ArraySlice<Double>?
        /// The row's scores (`scoreWidth` values).
        public var scores: ArraySlice<Double>
        public var latencyNanos: Int64
        /// The row's reason codes as a JSON array (`[{"input", "value", "contribution"}]`),
        /// when the request asked for explanations.
        public var reasons: String?
        /// For a shadow version's row: the id of the answered prediction it scored beside.
        public var shadowOf: String?

        public init(
            id: String, atNanos: Int64, model: String, version: Int, entityKey: String?, inputs: [ModelInput]?, scores: ArraySlice<Double>,
            latencyNanos: Int64
        ) {
            self.id = id
            self.atNanos = atNanos
            self.model = model
            self.version = version
            self.entityKey = entityKey
            self.inputs = inputs
            self.numbers = nil
            self.scores = scores
            self.latencyNanos = latencyNanos
            self.reasons = nil
            self.shadowOf = nil
        }
    }

    private let database: Database
    private let logger: Logger
    private let settings: Live<InferenceSettings>
    private struct Pending {
        var records: [Record] = []
        var dropped = 0
        var stopping = false
        /// Rows accepted since start (written or still pending).
        var accepted = 0
    }
    private let pending = Mutex(Pending())
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let written = Atomic<Int>(0)
    private let droppedTotal = Atomic<Int>(0)
    /// Rows the writer has finished with (written, or failed), for `flush`.
    private let finished = Atomic<Int>(0)
    /// Called on the writer thread with each batch after it is written (live profiles).
    private let observers = Mutex<[@Sendable ([Record]) -> Void]>([])

    /// Pending rows that wake the writer before its next tick.
    static let wakeAt = 4096

    public init(storage: Storage, logger: Logger, settings: Live<InferenceSettings>) {
        self.database = storage.features
        self.logger = logger
        self.settings = settings
        DetachedThread.start { [self] in self.writeLoop() }
    }

    /// Rows written and dropped since start (for status and metrics).
    public var counts: (written: Int, dropped: Int) { (written.load(ordering: .relaxed), droppedTotal.load(ordering: .relaxed)) }

    /// Whether a row's inputs are logged at `rate` (chosen at random, without a system call).
    static func sampled(_ rate: Double) -> Bool {
        guard rate < 1 else { return true }
        guard rate > 0 else { return false }
        var generator = SampleRandom.shared
        return Double(generator.next() >> 11) / Double(1 << 53) < rate
    }

    /// Calls `observer` with every batch the writer takes (on its thread, off the request path).
    public func observe(_ observer: @escaping @Sendable ([Record]) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Hands rows over; never blocks on storage.
    /// Logs one request's predicted rows: ids and outputs of each, inputs of a sampled share
    /// (`inputs` or, when the request came as a number matrix, `numbers`, asked only for the
    /// sampled rows; the share is `inference.log_sample_rate` unless `sampleRate` is given).
    /// Infer and predict-by-entity log through here alike.
    public func append(
        rows: some Sequence<Int>, ids: [String], model: LoadedModel, scores: [Double], atNanos: Int64, latencyNanos: Int64,
        entityKeys: [String]? = nil, inputs: (Int) -> [ModelInput]?, numbers: (Int) -> ArraySlice<Double>? = { _ in nil },
        reasons: ((Int) -> String?)? = nil, shadowOf: ((Int) -> String?)? = nil, sampleRate: Double? = nil
    ) {
        let rate = sampleRate ?? settings.current.logSampleRate  // once per request
        let width = model.bundle.scoreWidth
        append(
            rows.map { r in
                let sampled = Self.sampled(rate)
                var record = Record(
                    id: ids[r], atNanos: atNanos, model: model.name, version: model.version, entityKey: entityKeys?[r],
                    inputs: sampled ? inputs(r) : nil, scores: scores[(r * width)..<((r + 1) * width)], latencyNanos: latencyNanos)
                if sampled { record.numbers = numbers(r) }
                record.reasons = reasons?(r)
                record.shadowOf = shadowOf?(r)
                return record
            })
    }

    public func append(_ records: [Record]) {
        let limit = settings.current.logMaxPending
        // The writer wakes by itself every 200 ms; it is woken early only for a large backlog,
        // so a stream of single-row requests costs no thread switch each.
        let wakeWriter = pending.withLock { p -> Bool in
            guard p.records.count + records.count <= limit else {
                p.dropped += records.count
                return false
            }
            let before = p.records.count
            p.records.append(contentsOf: records)
            p.accepted += records.count
            return before < Self.wakeAt && p.records.count >= Self.wakeAt
        }
        if wakeWriter { wake.signal() }
    }

    /// Waits until `rows` more rows fit in half of `inference.log_max_pending` (or nothing is
    /// pending), waking the writer: a batch job logs at the writer's pace and leaves the other
    /// half to online requests, instead of having its rows dropped.
    public func waitForRoom(_ rows: Int) {
        while true {
            let limit = settings.current.logMaxPending
            let waiting = pending.withLock { $0.records.count }
            if waiting == 0 || waiting + rows <= limit / 2 { return }
            wake.signal()
            usleep(2_000)
        }
    }

    /// Waits until every row accepted before the call is written (the writer is woken at
    /// once), at most `timeoutNanos`; false when it took longer. For readers of the log that
    /// must see a prediction as soon as it was answered (feedback by prediction id).
    @discardableResult
    public func flush(timeoutNanos: Int64) -> Bool {
        let target = pending.withLock { $0.accepted }
        if finished.load(ordering: .acquiring) >= target { return true }
        wake.signal()
        let deadline = SystemClock.monotonicNanos() &+ UInt64(max(0, timeoutNanos))
        while finished.load(ordering: .acquiring) < target {
            if SystemClock.monotonicNanos() >= deadline { return false }
            usleep(500)
        }
        return true
    }

    /// Writes what is pending and stops the writer (bounded by `timeoutNanos`).
    public func stop(timeoutNanos: Int64) {
        pending.withLock { $0.stopping = true }
        wake.signal()
        _ = stopped.wait(timeout: .now() + .nanoseconds(Int(min(timeoutNanos, Int64(Int.max)))))
    }

    private func writeLoop() {
        while true {
            _ = wake.wait(timeout: .now() + .milliseconds(200))
            let (batch, dropped, stopping) = pending.withLock { p -> ([Record], Int, Bool) in
                let out = (p.records, p.dropped, p.stopping)
                p.records.removeAll(keepingCapacity: true)
                p.dropped = 0
                return out
            }
            if dropped > 0 {
                droppedTotal.add(dropped, ordering: .relaxed)
                logger.warning(
                    "prediction log fell behind; rows dropped", metadata: ["event": "prediction_log_dropped", "rows": "\(dropped)"])
            }
            if !batch.isEmpty {
                write(batch)
                finished.add(batch.count, ordering: .releasing)
                for observer in observers.withLock({ $0 }) { observer(batch) }
            }
            if stopping {
                stopped.signal()
                return
            }
        }
    }

    private func write(_ batch: [Record]) {
        do {
            try database.write(addingData: true) { conn in
                let insert = try conn.cached(
                    "INSERT OR IGNORE INTO predictions (id, at_ns, model, version, entity_key, inputs, outputs, latency_ns, reasons, shadow_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                // Inputs and outputs as compact binary (no number formatting on the writer's
                // path; `recent` turns them back into JSON), encoded into two buffers reused
                // row after row and bound in place: no allocation per row.
                var inputs: [UInt8] = []
                var outputs: [UInt8] = []
                for r in batch {
                    inputs.removeAll(keepingCapacity: true)
                    if let values = r.inputs {
                        PredictionLog.encode(values, into: &inputs)
                    } else if let numbers = r.numbers {
                        for v in numbers { PredictionLog.encode(v.isNaN ? .missing : .number(v), into: &inputs) }
                    }
                    outputs.removeAll(keepingCapacity: true)
                    for s in r.scores { PredictionLog.append(s.bitPattern, to: &outputs) }
                    insert.reset()
                    insert.bind(1, .text(r.id))
                    insert.bind(2, .integer(r.atNanos))
                    insert.bind(3, .text(r.model))
                    insert.bind(4, .integer(Int64(r.version)))
                    insert.bind(5, r.entityKey.map { .text($0) } ?? .null)
                    if r.inputs != nil || r.numbers != nil {
                        inputs.withUnsafeBytes { insert.bindBlob(6, $0) }
                    } else {
                        insert.bind(6, .null)
                    }
                    outputs.withUnsafeBytes { insert.bindBlob(7, $0) }
                    insert.bind(8, .integer(r.latencyNanos))
                    insert.bind(9, r.reasons.map { .text($0) } ?? .null)
                    insert.bind(10, r.shadowOf.map { .text($0) } ?? .null)
                    _ = try insert.step()
                }
            }
            written.add(batch.count, ordering: .relaxed)
        } catch let error as DomainError where error.kind == .insufficientStorage {
            // Counted, not logged per batch: the disk-space episode has its own warning.
            droppedTotal.add(batch.count, ordering: .relaxed)
        } catch {
            droppedTotal.add(batch.count, ordering: .relaxed)
            logger.error("prediction log write failed: \(error)", metadata: ["event": "prediction_log_failed", "rows": "\(batch.count)"])
        }
    }

    /// The newest logged rows (of `model` when given), newest first, as the API answers them.
    public func recent(model: String?, limit: Int, into w: inout JSONWriter) throws {
        try database.read { conn in
            let statement = try conn.prepare(
                "SELECT id, at_ns, model, version, entity_key, inputs, outputs, latency_ns, reasons, shadow_of FROM predictions \(model == nil ? "" : "WHERE model = ?") ORDER BY at_ns DESC LIMIT ?")
            statement.bind((model.map { [SQLiteValue.text($0)] } ?? []) + [.integer(Int64(limit))])
            w.beginArray()
            while try statement.step() {
                w.beginObject()
                w.key("prediction_id"); w.string(statement.text(0) ?? "")
                w.key("time"); w.timestamp(nanos: statement.int64(1))
                w.key("model"); w.string(statement.text(2) ?? "")
                w.key("version"); w.int(statement.int64(3))
                w.key("entity_key"); if let k = statement.text(4) { w.string(k) } else { w.null() }
                w.key("inputs")
                if statement.isNull(5) {
                    w.null()
                } else {
                    w.beginArray()
                    for v in statement.withBlob(5, { PredictionLog.decode($0) }) {
                        switch v {
                        case .number(let d): w.double(d)
                        case .text(let t): w.string(t)
                        case .missing: w.null()
                        }
                    }
                    w.endArray()
                }
                w.key("outputs")
                w.beginArray()
                for v in statement.withBlob(6, { PredictionLog.scores($0) }) { w.double(v) }
                w.endArray()
                w.key("latency_us"); w.double(Double(statement.int64(7)) / 1000)
                if let reasons = statement.text(8), let parsed = try? JSONParser.parse(reasons) { w.key("reasons"); w.value(parsed) }
                w.key("shadow_of"); if let s = statement.text(9) { w.string(s) } else { w.null() }
                w.endObject()
            }
            w.endArray()
        }
    }

    /// The newest `limit` scores (`width` each) a version logged since `sinceNanos`, as it
    /// answered them (`shadows` false) or as a shadow scored them (true), oldest first.
    public func scores(model: String, version: Int, width: Int, sinceNanos: Int64, shadows: Bool, limit: Int) throws -> [Double] {
        try database.read { conn in
            let s = try conn.prepare(
                """
                SELECT outputs FROM (SELECT outputs, at_ns FROM predictions WHERE model = ? AND version = ? AND at_ns >= ? AND shadow_of IS \(shadows ? "NOT NULL" : "NULL")
                ORDER BY at_ns DESC LIMIT ?) ORDER BY at_ns
                """)
            s.bind([.text(model), .integer(Int64(version)), .integer(sinceNanos), .integer(Int64(limit))])
            var out: [Double] = []
            while try s.step() {
                let row = s.withBlob(0) { PredictionLog.scores($0) }
                if row.count == width { out += row }
            }
            return out
        }
    }

    /// A shadow version's newest `limit` rows since `sinceNanos` beside the answers they
    /// shadowed (whether or not labelled): answered and shadow scores, `width` each, oldest first.
    public func shadowPairs(model: String, shadowVersion: Int, width: Int, sinceNanos: Int64, limit: Int) throws -> (answered: [Double], shadow: [Double]) {
        try database.read { conn in
            let s = try conn.prepare(
                """
                SELECT a.outputs, s.outputs FROM predictions s JOIN predictions a ON a.id = s.shadow_of
                WHERE s.model = ? AND s.version = ? AND s.at_ns >= ? AND s.shadow_of IS NOT NULL ORDER BY s.at_ns DESC LIMIT ?
                """)
            s.bind([.text(model), .integer(Int64(shadowVersion)), .integer(sinceNanos), .integer(Int64(limit))])
            let pairs = try Self.pairs(s, width: width)
            return (pairs.answered, pairs.shadow)
        }
    }

    /// Reads a statement's rows of (answered outputs, shadow outputs[, a number]): the scores
    /// of each side (`width` a row; rows of another width skipped) and, with `value`, that
    /// column's number per row.
    public static func pairs(_ s: SQLiteStatement, width: Int, value: Int32? = nil) throws -> (answered: [Double], shadow: [Double], values: [Double]) {
        var answered: [Double] = []
        var shadow: [Double] = []
        var values: [Double] = []
        while try s.step() {
            let a = s.withBlob(0) { PredictionLog.scores($0) }
            let b = s.withBlob(1) { PredictionLog.scores($0) }
            guard a.count == width, b.count == width else { continue }
            answered += a
            shadow += b
            if let value { values.append(s.double(value)) }
        }
        return (answered, shadow, values)
    }

    /// Inputs as bytes: per value a tag (0 missing, 1 number + 8 bytes, 2 text + 4-byte length + UTF-8).
    static func encode(_ values: [ModelInput], into out: inout [UInt8]) {
        for v in values { encode(v, into: &out) }
    }

    @inline(__always)
    static func encode(_ v: ModelInput, into out: inout [UInt8]) {
        switch v {
        case .missing: out.append(0)
        case .number(let d):
            out.append(1)
            append(d.bitPattern, to: &out)
        case .text(let t):
            out.append(2)
            let utf8 = Array(t.utf8)
            for b in 0..<4 { out.append(UInt8(truncatingIfNeeded: UInt32(utf8.count) >> (8 * UInt32(b)))) }
            out.append(contentsOf: utf8)
        }
    }

    static func decode(_ raw: UnsafeRawBufferPointer) -> [ModelInput] {
        var out: [ModelInput] = []
        var i = 0
        while i < raw.count {
            let tag = raw[i]
            i += 1
            switch tag {
            case 1 where i + 8 <= raw.count:
                out.append(.number(Double(bitPattern: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))))
                i += 8
            case 2 where i + 4 <= raw.count:
                let length = Int(raw[i]) | Int(raw[i + 1]) << 8 | Int(raw[i + 2]) << 16 | Int(raw[i + 3]) << 24
                i += 4
                guard i + length <= raw.count else { return out }
                out.append(.text(String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<(i + length)]), as: UTF8.self)))
                i += length
            case 0: out.append(.missing)
            default: return out
            }
        }
        return out
    }

    /// A logged row's scores from its `outputs` blob (8 bytes each, little-endian bit patterns).
    public static func scores(_ raw: UnsafeRawBufferPointer) -> [Double] {
        (0..<(raw.count / 8)).map { Double(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) }
    }

    @inline(__always)
    static func append(_ v: UInt64, to out: inout [UInt8]) {
        for b in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(b)))) }
    }

    /// The logged rows since `sinceNanos` (the newest `limit` of them), oldest first, in
    /// batches of up to 4096: how live profiles are rebuilt at start.
    public func replay(sinceNanos: Int64, limit: Int, _ body: ([Record]) -> Void) throws {
        let rows = try database.read { conn -> [Record] in
            let statement = try conn.prepare(
                "SELECT id, at_ns, model, version, entity_key, inputs, outputs, latency_ns FROM predictions WHERE at_ns >= ? ORDER BY at_ns DESC LIMIT ?")
            statement.bind([.integer(sinceNanos), .integer(Int64(limit))])
            var out: [Record] = []
            while try statement.step() {
                let outputs = statement.withBlob(6) { PredictionLog.scores($0) }
                out.append(
                    Record(
                        id: statement.text(0) ?? "", atNanos: statement.int64(1), model: statement.text(2) ?? "", version: Int(statement.int64(3)),
                        entityKey: statement.text(4), inputs: statement.isNull(5) ? nil : statement.withBlob(5) { PredictionLog.decode($0) },
                        scores: outputs[...], latencyNanos: statement.int64(7)))
            }
            return out
        }
        var end = rows.count
        while end > 0 {
            let start = max(0, end - 4096)
            body(rows[start..<end].reversed())
            end = start
        }
    }

    /// Trims the log to `[inference]`'s `log_max_age` and `log_max_rows` (oldest first) in short
    /// transactions of `batch` rows (at most `maxPasses`); returns how many rows went.
    public func trim(now: Int64, settings: InferenceSettings, batch: Int = 5000, maxPasses: Int = 1000) throws -> Int {
        try database.trimOldest(
            Database.TrimmedTable(name: "predictions", key: "rowid", time: "at_ns", order: "at_ns"), now: now,
            maxAgeNanos: settings.logMaxAgeNanos, maxRows: settings.logMaxRows, batch: batch, maxPasses: maxPasses)
    }
}

/// A cheap shared random stream for sampling (quality does not matter; speed does).
struct SampleRandom: RandomNumberGenerator {
    static let state = Atomic<UInt64>(0x2545_F491_4F6C_DD1D)
    static var shared: SampleRandom { SampleRandom() }
    mutating func next() -> UInt64 {
        SplitMix64.mix(SampleRandom.state.wrappingAdd(SplitMix64.increment, ordering: .relaxed).newValue)
    }
}
