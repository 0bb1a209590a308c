import MoteCore
import MoteStorage
import Testing

@testable import MoteFeatures

/// The history in sorted runs: every merge appends a run, readers merge runs on the fly
/// (the newest run wins an exact duplicate), compaction merges runs into fewer without
/// changing what any reader sees, and retention works across runs.
@Suite("history runs")
struct HistoryRunsTests {
    let now: Int64 = 1_800_000_000_000_000_000
    let never: UInt64 = 3_600_000_000_000

    /// What the history must hold: (entity, event, created) -> temp, the later push winning.
    typealias Model = [String: Double]

    func modelKey(_ key: String, _ event: Int64, _ created: Int64) -> String { "\(key)|\(event)|\(created)" }

    /// Pushes `count` rows of random machines at a few event and created times (so exact
    /// duplicates of earlier pushes occur), recording them in `model`, then merges: one run.
    func pushRound(_ store: FeatureStore, _ rng: inout SplitMix, count: Int, model: inout Model) throws {
        var keys: [String] = []
        var events: [Int64] = []
        var created: [Int64] = []
        var temps: [JSONValue] = []
        var seen = Set<String>()
        while keys.count < count {
            let key = "m\(rng.next() % 40)"
            let event = now - Int64(rng.next() % 12) * hour / 2
            let made = event + Int64(rng.next() % 2) * hour / 4
            // One row per key within a push (a repeat within one push replaces itself too,
            // but the test wants each push's rows distinct to know which one wins).
            guard seen.insert(modelKey(key, event, made)).inserted else { continue }
            let temp = Double(rng.next() % 10_000) / 8
            keys.append(key)
            events.append(event)
            created.append(made)
            temps.append(.double(temp))
            model[modelKey(key, event, made)] = temp
        }
        try store.push(
            try PushBatch.parse(
                pushBody(keys, events, temps: temps, created: created), definitions: store.definitions.set, limits: store.limits,
                now: now))
        try store.mergePushed()
    }

    /// The whole history of `sensor_stats` as the store reads it, in the model's terms.
    func readBack(_ store: FeatureStore) throws -> Model {
        let view = try #require(store.definitions.set.view("sensor_stats"))
        // `history` gives no created time: read the runs through the reader to check it too.
        var read: Model = [:]
        try store.storage.features.read { conn in
            try HistoryReader.scan(conn, viewID: Int64(view.id), filter: .init()) { row in
                let key = String(decoding: row.key, as: UTF8.self)
                let values = FeatureRowCodec.decode(row.bytes, width: view.fields.count)
                if case .double(let temp) = values[0] { read[modelKey(key, row.event, row.created)] = temp }
                return true
            }
        }
        let points = try store.history(view: view, field: 0, from: .min, to: .max, limit: 1_000_000)
        #expect(points.count == read.count)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.eventNanos <= $1.eventNanos })
        #expect(try store.historyCount(view: view, from: .min, to: .max) == read.count)
        return read
    }

    /// Features joined at every half hour for every machine.
    func joinAll(_ store: FeatureStore) throws -> [[FeatureValue]] {
        let keys = (0..<40).flatMap { k in (0..<14).map { _ in "m\(k)" } }
        let times = (0..<40).flatMap { _ in (0..<14).map { now - Int64($0) * hour / 2 + 1 } }
        let frame = EntityFrame(
            columns: [("machine_id", keys.map { .string($0) }), ("event_timestamp", times.map { _ in .integer(0) })], keys: keys,
            times: times)
        let features = try FeatureReference.resolve(["sensor_stats:temp"], in: store.definitions.set, fullNames: false)
        return try PointInTimeJoin.run(frame, features: features, store: store).values.map(\.featureValues)
    }

    func runCount(_ store: FeatureStore) throws -> Int {
        try store.storage.features.read { conn in try HistoryRuns.runs(conn, viewID: 1).count }
    }

    @Test("runs read as one table: the newest push wins a duplicate, and compaction in slices, across a restart, changes nothing read")
    func runsAndCompaction() throws {
        var store = try makeStore(mergeIdleNanos: never)
        var rng = SplitMix(seed: 7)
        var model: Model = [:]
        for _ in 0..<9 { try pushRound(store, &rng, count: 60, model: &model) }
        #expect(try runCount(store) == 9)
        #expect(try readBack(store) == model)
        let joined = try joinAll(store)
        #expect(joined.joined().contains { $0 != .null })
        // Nine runs of 60 rows: the eight newest are gathered and merged into one, a slice of
        // at least seven rows at a time; a restart in the middle resumes the compaction.
        var slices = 0
        while try store.storage.features.write({ try HistoryCompaction.step($0, sliceRows: 7) }) {
            slices += 1
            if slices == 3 {
                #expect(try store.storage.features.read { try HistoryCompaction.current($0) } != nil)
                #expect(try readBack(store) == model)
                #expect(try joinAll(store) == joined)
                store = try reopen(store, mergeIdleNanos: never)
            }
        }
        #expect(slices > 5)
        #expect(try runCount(store) == 1)
        #expect(try store.storage.features.read { try HistoryCompaction.current($0) } == nil)
        #expect(try readBack(store) == model)
        #expect(try joinAll(store) == joined)
        // One run: no duplicate is left to count twice.
        #expect(try store.historyRowCount(viewID: 1) == model.count)
        // More pushes after it stay newer than the merged run.
        for _ in 0..<2 { try pushRound(store, &rng, count: 60, model: &model) }
        #expect(try readBack(store) == model)
    }

    @Test("which runs are merged: neighbours of similar size, newest first, or the cheapest past the bound")
    func pickRule() {
        func runs(_ sizes: [Int64]) -> [HistoryRuns.Run] {
            sizes.enumerated().map { HistoryRuns.Run(number: Int64($0.offset + 1), rows: $0.element, minEvent: 0, maxEvent: 0, maxCreated: 0) }
        }
        #expect(HistoryCompaction.pick(runs([50, 50, 50])) == nil)
        #expect(HistoryCompaction.pick(runs([50, 50, 50, 50])) == 0...3)
        #expect(HistoryCompaction.pick(runs([800, 200, 50, 50, 50])) == nil)
        #expect(HistoryCompaction.pick(runs([800, 200, 50, 50, 50, 50])) == 1...5)
        #expect(HistoryCompaction.pick(runs([800, 400, 200, 100])) == nil)
        // Past the bound: the four neighbours with the fewest rows.
        var many = (0..<HistoryCompaction.maxRuns).map { Int64(10_000 - 100 * $0) }
        many.append(1)
        #expect(HistoryCompaction.pick(runs(Array(many.dropFirst()))) == nil)
        for k in 7...10 { many[k] = 1 }
        #expect(HistoryCompaction.pick(runs(many)) == 7...10)
    }

    @Test("retention by age and by rows removes rows across runs and keeps the newest")
    func retentionAcrossRuns() throws {
        let store = try makeStore(retentionDefinitions, mergeIdleNanos: never)
        // Four runs per view, each a quarter of 25 hours of quarter-hours, newest first.
        for part in 0..<4 {
            for view in ["aged", "counted"] {
                try pushLevels(store, view: view, (part * 25)..<(part * 25 + 25), now: now) { "m\($0 % 3)" }
            }
            try store.mergePushed()
        }
        #expect(try store.storage.features.read { try HistoryRuns.runs($0, viewID: 1).count } == 4)
        while try !store.enforceRetention(now: now, batch: 7).isEmpty {}
        #expect(try store.historyRowCount(viewID: 1) == 41)  // events within 10 h: 0...40 quarter-hours
        #expect(try store.historyRowCount(viewID: 2) == 30)
        let aged = try #require(store.definitions.set.view("aged"))
        let counted = try #require(store.definitions.set.view("counted"))
        /// The levels kept, newest first.
        func levels(_ view: FeatureViewDefinition) throws -> [FeatureValue] {
            try store.history(view: view, field: 0, from: .min, to: .max, limit: 1000).reversed().map(\.value)
        }
        #expect(try levels(aged) == (0...40).map { FeatureValue.int(Int64($0)) })
        #expect(try levels(counted) == (0..<30).map { FeatureValue.int(Int64($0)) })
        // Runs emptied by retention are gone from the catalogue.
        #expect(try store.storage.features.read { try HistoryRuns.runs($0, viewID: 1).count } == 2)
    }

    @Test("history stored by an earlier version in one clustered table becomes each view's first run")
    func upgradeClusteredHistory() throws {
        let store = try makeStore(mergeIdleNanos: never)
        let root = store.stateRoot
        store.stop(timeoutNanos: 5_000_000_000)
        store.storage.close()
        // Remove the runs' migration from a copy of the state, as an earlier version left it.
        let path = StateDirectory(root: root).featuresDatabasePath
        let conn = try SQLiteConnection(path: path, readOnly: false, create: false)
        try conn.execute(
            """
            DROP TABLE feature_history; DROP TABLE feature_history_runs; DROP TABLE feature_history_compaction;
            DELETE FROM mote_migrations WHERE id = '0008_history_runs';
            CREATE TABLE feature_log (view_id INTEGER NOT NULL, entity_key TEXT NOT NULL, event_ns INTEGER NOT NULL,
                created_ns INTEGER NOT NULL, row BLOB NOT NULL, PRIMARY KEY (view_id, entity_key, event_ns, created_ns)) STRICT, WITHOUT ROWID;
            CREATE INDEX feature_log_by_time ON feature_log (view_id, event_ns);
            """)
        let insert = try conn.prepare("INSERT INTO feature_log VALUES (1, ?, ?, ?, ?)")
        for (k, temp) in [2.5, 3.5, 4.5].enumerated() {
            insert.reset()
            insert.bind(1, .text("m\(k % 2)"))
            insert.bind(2, .integer(now - Int64(k) * hour))
            insert.bind(3, .integer(now))
            FeatureRowCodec.encode([.double(temp)]).withUnsafeBytes { insert.bindBlob(4, $0) }
            try insert.step()
        }
        withExtendedLifetime(insert) {}
        let storage = try Storage(directory: StateDirectory(root: root), options: .init(), schema: FeatureStore.schema)
        let again = try FeatureStore(storage: storage, settings: .fixed(store.limits), mergeIdleNanos: never)
        let view = try #require(again.definitions.set.view("sensor_stats"))
        let points = try again.history(view: view, field: 0, from: .min, to: .max, limit: 10)
        #expect(points.map(\.value) == [.double(4.5), .double(3.5), .double(2.5)])
        #expect(points.map(\.entityKey) == ["m0", "m1", "m0"])
        #expect(try again.historyRowCount(viewID: view.id) == 3)
        #expect(try again.storage.features.read { try $0.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'feature_log'") } == 0)
    }
}
