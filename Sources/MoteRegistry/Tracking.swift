public import MoteCore
import MoteStorage

/// A named group of runs.
public struct Experiment: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var description: String
    public var tags: [String: String]
    public var createdNanos: Int64
}

/// Where a run stands. Finished runs take no more params, metrics or tags.
public enum RunStatus: String, Sendable, CaseIterable {
    case running = "RUNNING", finished = "FINISHED", failed = "FAILED", killed = "KILLED"
}

/// One metric value at a step.
public struct MetricPoint: Sendable, Equatable {
    public var key: String
    public var value: Double
    public var step: Int64
    public var timestampMillis: Int64
    public init(key: String, value: Double, step: Int64 = 0, timestampMillis: Int64) {
        self.key = key
        self.value = value
        self.step = step
        self.timestampMillis = timestampMillis
    }
}

/// A training or evaluation run: its params (written once), metric series, tags and source.
public struct Run: Sendable {
    public var id: String
    public var experimentID: Int64
    public var experimentName: String
    public var name: String
    public var status: RunStatus
    public var startNanos: Int64
    public var endNanos: Int64?
    public var params: [String: String]
    public var tags: [String: String]
    /// The latest point of each metric (highest step, then latest logged).
    public var metrics: [String: MetricPoint]
    /// Files the run produced, by path: their digest in the artifact store and size.
    public var artifacts: [String: (digest: String, size: Int64)]
    /// JSON: training spec, moted version, dataset fingerprint.
    public var source: String
}

extension RegistryStore {
    // MARK: - Experiments

    /// Creates an experiment; 409 when the name is taken.
    public func createExperiment(name: String, description: String = "", tags: [String: String] = [:], actor: ChangeAuthor) throws -> Experiment {
        try RegistryNames.checkName(name, "experiment", asPath: true)
        for (key, value) in tags {
            try RegistryNames.checkKey(key, "tag")
            try RegistryNames.checkValue(value, limit: RegistryNames.maxTagValueLength, "tag '\(key)' value")
        }
        let now = SystemClock.nowNanos()
        return try change(actor) { conn, log in
            if try conn.count("SELECT count(*) FROM experiments WHERE name = ?", [.text(name)]) > 0 {
                throw DomainError.conflict("experiment '\(name)' exists")
            }
            try conn.cached("INSERT INTO experiments (name, description, created_ns) VALUES (?, ?, ?)")
                .run([.text(name), .text(description), .integer(now)])
            let id = try conn.scalarInt("SELECT last_insert_rowid()") ?? 0
            let tagInsert = try conn.cached("INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in tags.sorted(by: { $0.key < $1.key }) { try tagInsert.run([.integer(id), .text(key), .text(value)]) }
            let experiment = Experiment(id: id, name: name, description: description, tags: tags, createdNanos: now)
            log.audit("experiment.create", "experiment:\(name)", after: experiment.json())
            log.send(.experimentCreated, "experiment:\(name)", experiment.json())
            return experiment
        }
    }

    /// An experiment by name, or by id when `reference` is all digits.
    public func experiment(_ reference: String) throws -> Experiment {
        try read { conn in try loadExperiment(conn, reference) }
    }

    /// Makes sure experiment `name` exists (created by `actor` with `description` when it does
    /// not): where the daemon's own jobs record their runs.
    public func ensureExperiment(_ name: String, description: String, actor: ChangeAuthor) {
        if (try? experiment(name)) == nil { _ = try? createExperiment(name: name, description: description, actor: actor) }
    }

    /// All experiments, by name.
    public func experiments() throws -> [Experiment] {
        try read { conn in
            let statement = try conn.prepare("SELECT name FROM experiments ORDER BY name")
            var names: [String] = []
            while try statement.step() { names.append(statement.text(0) ?? "") }
            return try names.map { try loadExperiment(conn, $0) }
        }
    }

    func loadExperiment(_ conn: SQLiteConnection, _ reference: String) throws -> Experiment {
        let byID = !reference.isEmpty && reference.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        let statement = try conn.cached(
            byID ? "SELECT id, name, description, created_ns FROM experiments WHERE id = ?"
                : "SELECT id, name, description, created_ns FROM experiments WHERE name = ?")
        statement.bind([byID ? .integer(Int64(reference) ?? -1) : .text(reference)])
        guard try statement.step() else {
            statement.reset()
            throw DomainError.notFound("no experiment '\(reference)'")
        }
        var experiment = Experiment(
            id: statement.int64(0), name: statement.text(1) ?? "", description: statement.text(2) ?? "", tags: [:],
            createdNanos: statement.int64(3))
        statement.reset()
        for (k, v) in try conn.pairs("SELECT key, value FROM experiment_tags WHERE experiment_id = ?", [.integer(experiment.id)]) {
            experiment.tags[k] = v
        }
        return experiment
    }

    // MARK: - Runs

    /// Starts a run in an existing experiment. `source` is a JSON document (training spec,
    /// moted version, dataset fingerprint).
    public func createRun(
        experiment reference: String, name: String? = nil, tags: [String: String] = [:], source: JSONWriter? = nil, actor: ChangeAuthor
    ) throws -> Run {
        if let name { try RegistryNames.checkName(name, "run") }
        for (key, value) in tags {
            try RegistryNames.checkKey(key, "tag")
            try RegistryNames.checkValue(value, limit: RegistryNames.maxTagValueLength, "tag '\(key)' value")
        }
        let id = RunID.make()
        let now = SystemClock.nowNanos()
        let sourceText = source.map { String(decoding: $0.bytes, as: UTF8.self) } ?? "{}"
        return try change(actor) { conn, log in
            let experiment = try loadExperiment(conn, reference)
            let runName = name ?? "run-\(id.prefix(8))"
            try conn.cached("INSERT INTO runs (id, experiment_id, name, status, start_ns, source) VALUES (?, ?, ?, ?, ?, ?)")
                .run([.text(id), .integer(experiment.id), .text(runName), .text(RunStatus.running.rawValue), .integer(now), .text(sourceText)])
            let tagInsert = try conn.cached("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in tags.sorted(by: { $0.key < $1.key }) { try tagInsert.run([.text(id), .text(key), .text(value)]) }
            let run = try loadRun(conn, id)
            log.audit("run.create", "run:\(id)", after: run.json())
            log.send(.runCreated, "run:\(id)", run.json())
            return run
        }
    }

    /// A run with its params, tags and latest metrics, by its id or a unique prefix of it (as
    /// `motectl runs list` shows ids shortened, like git and docker).
    public func run(_ id: String) throws -> Run {
        try read { conn in try loadRun(conn, try fullRunID(conn, id)) }
    }

    /// Every point of one metric of a run (by id or unique prefix), by step then time.
    public func metricHistory(run given: String, key: String) throws -> [MetricPoint] {
        try read { conn in
            let id = try fullRunID(conn, given)
            _ = try loadRun(conn, id)
            let statement = try conn.prepare(
                "SELECT step, timestamp_ms, value FROM run_metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp_ms, seq")
            statement.bind([.text(id), .text(key)])
            var out: [MetricPoint] = []
            while try statement.step() {
                out.append(MetricPoint(key: key, value: statement.double(2), step: statement.int64(0), timestampMillis: statement.int64(1)))
            }
            return out
        }
    }

    /// Logs params (each written once: the same value again is fine, another value is 409),
    /// metric points and tags, all or nothing.
    public func logBatch(
        run id: String, params: [(String, String)] = [], metrics: [MetricPoint] = [], tags: [(String, String)] = [], actor: ChangeAuthor
    ) throws {
        guard params.count + tags.count <= RegistryNames.maxParamsTagsPerBatch else {
            throw DomainError.tooManyRows("\(params.count + tags.count) params and tags in one batch; the limit is \(RegistryNames.maxParamsTagsPerBatch)")
        }
        guard metrics.count <= RegistryNames.maxMetricsPerBatch else {
            throw DomainError.tooManyRows("\(metrics.count) metrics in one batch; the limit is \(RegistryNames.maxMetricsPerBatch)")
        }
        for (key, value) in params {
            try RegistryNames.checkKey(key, "param")
            try RegistryNames.checkValue(value, limit: RegistryNames.maxParamValueLength, "param '\(key)' value")
        }
        for (key, value) in tags {
            try RegistryNames.checkKey(key, "tag")
            try RegistryNames.checkValue(value, limit: RegistryNames.maxTagValueLength, "tag '\(key)' value")
        }
        for point in metrics {
            try RegistryNames.checkKey(point.key, "metric")
            guard !point.value.isNaN else { throw RegistryNames.invalid("metric '\(point.key)' is NaN") }
        }
        try change(actor) { conn, log in
            let run = try loadRun(conn, id)
            guard run.status == .running else {
                throw DomainError.conflict("run \(id) is \(run.status.rawValue); a finished run takes no more params, metrics or tags")
            }
            var seen: [String: String] = [:]
            for (key, value) in params {
                if let earlier = seen[key] ?? run.params[key], earlier != value {
                    throw DomainError.conflict("param '\(key)' of run \(id) is '\(earlier)'; params are written once (log a tag or a metric for values that change)")
                }
                seen[key] = value
            }
            let paramInsert = try conn.cached("INSERT OR IGNORE INTO run_params (run_id, key, value) VALUES (?, ?, ?)")
            for (key, value) in params { try paramInsert.run([.text(id), .text(key), .text(value)]) }
            let tagUpsert = try conn.cached("INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value")
            for (key, value) in tags { try tagUpsert.run([.text(id), .text(key), .text(value)]) }
            var seq = Int64(try conn.count("SELECT coalesce(max(seq), 0) FROM run_metrics WHERE run_id = ?", [.text(id)]))
            let metricInsert = try conn.cached("INSERT INTO run_metrics (run_id, key, step, timestamp_ms, value, seq) VALUES (?, ?, ?, ?, ?, ?)")
            for point in metrics {
                seq += 1
                try metricInsert.run([.text(id), .text(point.key), .integer(point.step), .integer(point.timestampMillis), .double(point.value), .integer(seq)])
            }
            var payload = JSONWriter(capacity: 256)
            payload.beginObject()
            payload.key("run_id"); payload.string(id)
            payload.key("params"); payload.beginArray()
            for (key, value) in params { payload.beginObject(); payload.key("key"); payload.string(key); payload.key("value"); payload.string(value); payload.endObject() }
            payload.endArray()
            payload.key("metrics"); payload.beginArray()
            for point in metrics { point.write(into: &payload) }
            payload.endArray()
            payload.key("tags"); payload.beginArray()
            for (key, value) in tags { payload.beginObject(); payload.key("key"); payload.string(key); payload.key("value"); payload.string(value); payload.endObject() }
            payload.endArray()
            payload.endObject()
            log.send(.runLogged, "run:\(id)", payload)
        }
    }

    /// Ends a run with FINISHED, FAILED or KILLED.
    public func finishRun(_ id: String, status: RunStatus, actor: ChangeAuthor) throws -> Run {
        guard status != .running else { throw RegistryNames.invalid("a run is finished as FINISHED, FAILED or KILLED") }
        let now = SystemClock.nowNanos()
        return try change(actor) { conn, log in
            let before = try loadRun(conn, id)
            guard before.status == .running else {
                throw DomainError.conflict("run \(id) is already \(before.status.rawValue)")
            }
            try conn.cached("UPDATE runs SET status = ?, end_ns = ? WHERE id = ?").run([.text(status.rawValue), .integer(now), .text(id)])
            let after = try loadRun(conn, id)
            log.audit("run.finish", "run:\(id)", before: before.json(), after: after.json())
            log.send(.runFinished, "run:\(id)", after.json())
            return after
        }
    }

    /// The id of the run `given` names: itself when a run has it, else the one run whose id
    /// starts with it (lowercase hex, as docker takes any length). No match is 404; several are 400
    /// `ambiguous_run_id` naming them.
    func fullRunID(_ conn: SQLiteConnection, _ given: String) throws -> String {
        let exact = try conn.cached("SELECT 1 FROM runs WHERE id = ?")
        exact.bind([.text(given)])
        defer { exact.reset() }
        if try exact.step() { return given }
        guard !given.isEmpty, given.utf8.count < 64, given.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw DomainError.notFound("no run '\(given)'")
        }
        // Ids are lowercase hex: every id with the prefix sorts between it and prefix + "g".
        let matches = try conn.cached("SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 3")
        matches.bind([.text(given), .text(given + "g")])
        defer { matches.reset() }
        var found: [String] = []
        while try matches.step() { found.append(matches.text(0) ?? "") }
        switch found.count {
        case 0: throw DomainError.notFound("no run '\(given)'")
        case 1: return found[0]
        default:
            throw DomainError(.malformed, .ambiguousRunID, "'\(given)' is the start of several run ids (\(found.prefix(2).joined(separator: ", "))\(found.count > 2 ? ", ..." : "")); give more of it")
        }
    }

    func loadRun(_ conn: SQLiteConnection, _ id: String) throws -> Run {
        let statement = try conn.cached(
            """
            SELECT r.experiment_id, e.name, r.name, r.status, r.start_ns, r.end_ns, r.source
            FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?
            """)
        statement.bind([.text(id)])
        guard try statement.step() else {
            statement.reset()
            throw DomainError.notFound("no run '\(id)'")
        }
        var run = Run(
            id: id, experimentID: statement.int64(0), experimentName: statement.text(1) ?? "", name: statement.text(2) ?? "",
            status: RunStatus(rawValue: statement.text(3) ?? "") ?? .running, startNanos: statement.int64(4),
            endNanos: statement.isNull(5) ? nil : statement.int64(5), params: [:], tags: [:], metrics: [:], artifacts: [:],
            source: statement.text(6) ?? "{}")
        statement.reset()
        for (k, v) in try conn.pairs("SELECT key, value FROM run_params WHERE run_id = ?", [.text(id)]) { run.params[k] = v }
        for (k, v) in try conn.pairs("SELECT key, value FROM run_tags WHERE run_id = ?", [.text(id)]) { run.tags[k] = v }
        let metrics = try conn.cached(
            "SELECT key, value, step, timestamp_ms FROM run_metrics WHERE run_id = ? ORDER BY key, step, timestamp_ms, seq")
        metrics.bind([.text(id)])
        while try metrics.step() {
            let key = metrics.text(0) ?? ""
            run.metrics[key] = MetricPoint(key: key, value: metrics.double(1), step: metrics.int64(2), timestampMillis: metrics.int64(3))
        }
        metrics.reset()
        let files = try conn.cached("SELECT path, digest, size FROM run_artifacts WHERE run_id = ? ORDER BY path")
        files.bind([.text(id)])
        while try files.step() { run.artifacts[files.text(0) ?? ""] = (files.text(1) ?? "", files.int64(2)) }
        files.reset()
        return run
    }

    /// Records a file the run produced (already in the artifact store) under `path`; a path
    /// is written once, like a param.
    public func logArtifact(run id: String, path: String, digest: String, artifacts: ArtifactStore, actor: ChangeAuthor) throws {
        try RegistryNames.checkKey(path, "artifact path")
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw RegistryNames.invalid("artifact path '\(path)' must be relative and stay inside the run (no '..')")
        }
        guard ArtifactStore.isDigest(digest), artifacts.exists(digest) else { throw DomainError.notFound("no artifact \(digest) in the artifact store") }
        let size = FileSystem.size(artifacts.path(digest))
        try change(actor) { conn, log in
            let run = try loadRun(conn, id)
            guard run.status == .running else {
                throw DomainError.conflict("run \(id) is \(run.status.rawValue); a finished run takes no more artifacts")
            }
            if let earlier = run.artifacts[path], earlier.digest != digest {
                throw DomainError.conflict("run \(id) already has artifact '\(path)' (\(earlier.digest.prefix(12)))")
            }
            try conn.cached("INSERT OR IGNORE INTO run_artifacts (run_id, path, digest, size) VALUES (?, ?, ?, ?)")
                .run([.text(id), .text(path), .text(digest), .integer(size)])
            var payload = JSONWriter()
            payload.beginObject()
            payload.key("run_id"); payload.string(id)
            payload.key("path"); payload.string(path)
            payload.key("digest"); payload.string(digest)
            payload.key("size"); payload.int(size)
            payload.endObject()
            log.send(.runArtifact, "run:\(id)", payload)
        }
    }

    /// Run ids of experiments (all when empty), newest first.
    func runIDs(_ conn: SQLiteConnection, experiments: [Int64]) throws -> [String] {
        let statement = try conn.prepare(
            experiments.isEmpty ? "SELECT id FROM runs ORDER BY start_ns DESC"
                : "SELECT id FROM runs WHERE experiment_id IN (\(experiments.map(String.init).joined(separator: ","))) ORDER BY start_ns DESC")
        var ids: [String] = []
        while try statement.step() { ids.append(statement.text(0) ?? "") }
        return ids
    }
}

/// Run ids: 32 lowercase hex characters, as MLflow's.
enum RunID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out = ""
        for _ in 0..<4 {
            let part = String(generator.next() as UInt32, radix: 16)
            out += String(repeating: "0", count: 8 - part.count) + part
        }
        return out
    }
}

