import Foundation
import MoteCore
import MoteStorage
@testable import MoteFeatures
import Testing

/// An error by its description, so outcomes of two paths compare.
struct AnyError: Error, Equatable { var text: String }

@Suite("push and online reads")
struct PushAndOnlineTests {
    let now: Int64 = 1_800_000_000_000_000_000

    func read(_ store: FeatureStore, _ features: [String], _ keys: [String], at: Int64? = nil) throws -> JSONValue {
        let body: JSONValue = ["features": .array(features.map { .string($0) }), "entities": ["machine_id": .array(keys.map { .string($0) })]]
        // Both paths: the tree one and the byte-level one must agree.
        let general = try JSONParser.parse(try OnlineRead.answer(body, store: store, now: at ?? now).bytes)
        var writer = JSONWriter()
        writer.value(body)
        let fast = try writer.bytes.withUnsafeBufferPointer { raw in
            try #require(OnlineReadFastPath.answer(raw, store: store, now: at ?? now))
        }
        #expect(try JSONParser.parse(fast.bytes) == general)
        return general
    }

    @Test("a push with one bad value stores nothing, and the error names the column and row")
    func atomicRejection() throws {
        let store = try makeStore()
        let body = pushBody(["m1", "m2", "m3"], [now, now, now], temps: [1.0, "hot", 3.0])
        do {
            _ = try PushBatch.parse(body, definitions: store.definitions.set, limits: store.limits, now: now)
            Issue.record("accepted a string for a float64")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message.contains("column 'temp' row 1"))
        }
        #expect(try store.historyRowCount(viewID: 1) == 0)
        #expect(store.cache.count(viewID: 1) == 0)
        #expect(store.onlineCacheBytes == 0)
    }

    @Test("bad pushes are refused with a message naming what is wrong", arguments: [
        (#"{"feature_view":"nope","df":{"machine_id":["a"],"event_timestamp":[0]}}"#, DomainError.Kind.notFound, "no feature view"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a","b"],"event_timestamp":[0]}}"#, .invalid, "ragged"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":[0],"humidity":[1]}}"#, .invalid, "column 'humidity'"),
        (#"{"feature_view":"sensor_stats","df":{"event_timestamp":[0],"temp":[1]}}"#, .invalid, "missing entity key column 'machine_id'"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":[1],"event_timestamp":[0]}}"#, .invalid, "column 'machine_id' row 0"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":["yesterday"]}}"#, .invalid, "column 'event_timestamp' row 0"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":["2099-01-01T00:00:00Z"]}}"#, .invalid, "in the future"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":[0],"count":[1.5]}}"#, .invalid, "column 'count' row 0"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":[0],"ok":["yes"]}}"#, .invalid, "column 'ok' row 0"),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["a"],"event_timestamp":[0]},"to":"somewhere"}"#, .invalid, "'to'"),
        (#"{"feature_view":"sensor_stats","df":{}}"#, .invalid, "no rows"),
    ])
    func refusals(body: String, status: DomainError.Kind, message: String) throws {
        let store = try makeStore()
        do {
            _ = try PushBatch.parse(try JSONParser.parse(body), definitions: store.definitions.set, limits: store.limits, now: now)
            Issue.record("accepted \(body)")
        } catch let error as DomainError {
            #expect(error.kind == status)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test("too many rows in one push is 413")
    func rowLimit() throws {
        var limits = FeatureSettings()
        limits.maxPushRows = 2
        let store = try makeStore(limits: limits)
        #expect(throws: DomainError.self) {
            _ = try PushBatch.parse(pushBody(["a", "b", "c"], [now, now, now], temps: [1, 2, 3]), definitions: store.definitions.set, limits: store.limits, now: now)
        }
    }

    @Test("statuses: PRESENT, NULL_VALUE, NOT_FOUND, OUTSIDE_MAX_AGE (TTL against now); a late older event does not overwrite")
    func statuses() throws {
        let store = try makeStore()
        let defs = store.definitions.set
        try store.push(try PushBatch.parse(pushBody(["fresh", "stale", "nulls"], [now - hour, now - 3 * hour, now - hour], temps: [20.5, 30.5, nil]), definitions: defs, limits: store.limits, now: now))
        // A late arrival with an older event for "fresh" must not replace the newer one.
        try store.push(try PushBatch.parse(pushBody(["fresh"], [now - 2 * hour], temps: [99.0]), definitions: defs, limits: store.limits, now: now))
        let answer = try read(store, ["sensor_stats:temp"], ["fresh", "stale", "nulls", "missing"])
        #expect(answer["metadata"]?["feature_names"] == ["machine_id", "temp"])
        let results = answer["results"]?.arrayValue ?? []
        #expect(results.count == 2)
        #expect(results[0]["values"] == ["fresh", "stale", "nulls", "missing"])
        #expect(results[1]["values"] == [20.5, nil, nil, nil])
        #expect(results[1]["statuses"] == ["PRESENT", "OUTSIDE_MAX_AGE", "NULL_VALUE", "NOT_FOUND"])
        #expect(results[1]["event_timestamps"]?.arrayValue?[0] == .string(RFC3339.format(nanos: now - hour)))
        // History keeps every row, including the late one.
        #expect(try store.historyRowCount(viewID: 1) == 4)
        // Freshness follows the newest event, not the last one written.
        #expect(store.cache.newestEvent(viewID: 1) == now - hour)
    }

    @Test("full feature names, and features of several views in one read")
    func fullNames() throws {
        let store = try makeStore()
        let defs = store.definitions.set
        try store.push(try PushBatch.parse(pushBody(["m1"], [now], temps: [1.5]), definitions: defs, limits: store.limits, now: now))
        try store.push(try PushBatch.parse(pushBody(["m1"], [now - 1000 * hour], temps: [7], view: "forever"), definitions: defs, limits: store.limits, now: now))
        let body: JSONValue = ["features": ["sensor_stats:temp", "forever:level"], "entities": ["machine_id": ["m1"]], "full_feature_names": true]
        let answer = try JSONParser.parse(try OnlineRead.answer(body, store: store, now: now).bytes)
        #expect(answer["metadata"]?["feature_names"] == ["machine_id", "sensor_stats__temp", "forever__level"])
        #expect(answer["results"]?.arrayValue?[2]["values"] == [7])
        #expect(answer["results"]?.arrayValue?[2]["statuses"] == ["PRESENT"])  // ttl 0: no limit
    }

    @Test("the byte-level read path answers exactly as the JSON parser path does, and leaves everything unusual to it", arguments: [
        (#"{"features":["sensor_stats:temp","sensor_stats:mode"],"entities":{"machine_id":["m1","m2","zz"]}}"#, true),
        (#" { "entities" : { "machine_id" : [ "m2" , "m1" ] } , "features" : [ "forever:level" , "sensor_stats:ok" ] , "full_feature_names" : true } "#, true),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":[]}}"#, true),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":["m\u0031"]}}"#, false),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":["m1"]},"extra":1}"#, false),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":["m1"],"other":["x"]}}"#, false),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":[12]}}"#, false),
        (#"{"features":["sensor_stats:nope"],"entities":{"machine_id":["m1"]}}"#, false),
        (#"{"features":["sensor_stats:temp"],"features":["forever:level"],"entities":{"machine_id":["m1"]}}"#, false),
        (#"{"features":["sensor_stats:temp"],"entities":{"machine_id":["m1"]}} x"#, false),
        (#"{"features":["sensor_stats:temp"]}"#, false),
    ])
    func fastPathMatchesParser(body: String, plain: Bool) throws {
        let store = try makeStore()
        let defs = store.definitions.set
        try store.push(try PushBatch.parse(pushBody(["m1", "m2"], [now, now - 3 * hour], temps: [1.5, 2.5]), definitions: defs, limits: store.limits, now: now))
        try store.push(try PushBatch.parse(pushBody(["m1"], [now], temps: [7], view: "forever"), definitions: defs, limits: store.limits, now: now))
        let bytes = Array(body.utf8)
        let fast = bytes.withUnsafeBufferPointer { OnlineReadFastPath.answer($0, store: store, now: now) }
        #expect((fast != nil) == plain)
        func outcome(_ answer: () throws -> JSONWriter) -> Result<JSONValue, AnyError> {
            do { return .success(try JSONParser.parse(try answer().bytes)) } catch { return .failure(AnyError(text: "\(error)")) }
        }
        let general = outcome { try OnlineRead.answer(JSONParser.parse(bytes), store: store, now: now) }
        let viaBytes = outcome { try bytes.withUnsafeBufferPointer { try OnlineRead.answer(body: $0, store: store, now: now) } }
        #expect(general == viaBytes)
        if let fast { #expect(try JSONParser.parse(fast.bytes) == (try general.get())) }
    }

    @Test("the online cache is rebuilt from disk on reopen")
    func rebuild() throws {
        let store = try makeStore()
        try store.push(try PushBatch.parse(pushBody(["m1", "m2"], [now, now], temps: [1.5, 2.5]), definitions: store.definitions.set, limits: store.limits, now: now))
        // A damaged stored row is skipped and counted, not loaded and not fatal.
        try store.mergePushed()
        try store.storage.features.write { conn in try conn.execute("UPDATE online SET row = x'0100' WHERE entity_key = 'm1'") }
        let again = try reopen(store)
        #expect(again.rebuild.rows == 1 && again.rebuild.skipped == 1)
        #expect(again.onlineCacheBytes > 0)
        #expect(again.cache.lookup(viewID: 1, key: "m1") == nil)
        #expect(again.cache.lookup(viewID: 1, key: "m2")?.value(0, as: .float64) == .double(2.5))
        #expect(again.definitions.version == 1)
    }

    @Test("cached rows keep values in binary and write them as pushed (a float64 keeps its fraction); fields past an old row's width are null")
    func binaryRows() {
        let values: [FeatureValue] = [.double(-0.25), .int(Int64.min), .string("é,\"x\"\n"), .bool(false), .null, .double(3), .double(1.25 + 1.0 / 7), .string("")]
        let types: [FeatureType] = [.float64, .int64, .string, .bool, .float64, .float64, .float64, .string]
        let entry = OnlineFeatureCache.Entry(eventNanos: 5, createdNanos: 6, values: values)
        #expect(entry.width == values.count)
        for (k, value) in values.enumerated() { #expect(entry.value(k, as: types[k]) == value) }
        #expect(entry.value(1, as: .float64) == .double(-9.223372036854775808e18))
        var text = ""
        entry.row.withUnsafeBytes { bytes in
            let row = OnlineRow.Reader(bytes)
            #expect(OnlineRow.isWellFormed(bytes))
            for k in 0..<values.count + 1 {
                if k > 0 { text += "," }
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: row.maxJSONBytes(k)) { buffer in
                    let n = row.writeJSON(k, to: buffer.baseAddress!)
                    #expect(n <= row.maxJSONBytes(k))
                    text += String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
                }
            }
            #expect(row.isNull(4) && row.isNull(values.count) && !row.isNull(3))
        }
        #expect(text == #"-0.25,-9223372036854775808,"é,\"x\"\n",false,null,3.0,1.3928571428571428,"",null"#)
        #expect(OnlineFeatureCache.Entry(eventNanos: 0, createdNanos: 0, values: []).width == 0)
        // Damaged bytes are refused.
        let row = entry.row
        for damaged in [[], [1], Array(row.dropLast()), [0x01, 0x00, 0x07] + [UInt8](repeating: 0, count: 8), [0x01, 0x00, 0xFA] + [UInt8](repeating: 0, count: 8), [0xFF, 0xFF, 0, 0]] {
            #expect(damaged.withUnsafeBytes { OnlineRow.isWellFormed($0) } == false, "\(damaged)")
        }
        // A string whose span points past the row.
        var bad = OnlineRow.make([.string("abc")])
        bad[3 + 4] = 200
        #expect(bad.withUnsafeBytes { OnlineRow.isWellFormed($0) } == false)
    }

    @Test("the packed row table agrees with a dictionary through growth, moves of resized rows, compaction and stale writes")
    func rowTable() {
        let table = CachedRowTable()
        var model: [String: (event: Int64, created: Int64, row: [UInt8])] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<120_000 {
            let key = "k\(Int.random(in: 0..<20_000, using: &generator))" + (step % 7 == 0 ? "-long-key-beyond-fifteen-bytes" : "")
            let event = Int64.random(in: 0..<50, using: &generator)
            let created = Int64.random(in: 0..<3, using: &generator)
            // Rows of varying size: some updates fit in place, others move.
            let values: [FeatureValue] = [.double(Double(step)), .string(String(repeating: "x", count: Int.random(in: 0..<40, using: &generator)))]
            let row = OnlineRow.make(values)
            table.upsert(key, eventNanos: event, createdNanos: created, rowBytes: row.count) { out in
                row.withUnsafeBytes { out.copyMemory(from: $0.baseAddress!, byteCount: row.count) }
            }
            if let old = model[key], !(event > old.event || (event == old.event && created >= old.created)) { continue }
            model[key] = (event, created, row)
        }
        #expect(table.count == model.count)
        for (key, expected) in model {
            let found = table.find(key)
            #expect(found?.eventNanos == expected.event && found?.createdNanos == expected.created)
            #expect(found.map { Array($0.row) } == expected.row)
        }
        #expect(table.find("absent") == nil)
        // Its memory: the records, garbage up to half, room to grow by half, 8 bytes per index
        // slot (at most 4 per 3 entities, doubled).
        let live = model.reduce(0) { $0 + 24 + $1.key.utf8.count + $1.value.row.count }
        #expect(table.bytes >= live && table.bytes < 4 * live + 16 * model.count)
        #expect(table.find("") == nil)
    }

    @Test("rows stored by an earlier version as JSON text are converted to the binary form once, at start")
    func upgradeTextRows() throws {
        let store = try makeStore()
        try store.storage.features.write { conn in
            try conn.execute(
                """
                CREATE TABLE online_text_rows (view_id INTEGER NOT NULL, entity_key TEXT NOT NULL, event_ns INTEGER NOT NULL,
                    created_ns INTEGER NOT NULL, row BLOB NOT NULL, PRIMARY KEY (view_id, entity_key)) STRICT, WITHOUT ROWID
                """)
            // The earlier form: width 2, end offsets 3 and 7, then `2.5` and `null`.
            let old: [UInt8] = [2, 0, 3, 0, 0, 0, 7, 0, 0, 0] + Array("2.5null".utf8)
            let insert = try conn.prepare("INSERT INTO online_text_rows VALUES (1, 'old', ?, 0, ?), (99, 'gone', 0, 0, ?)")
            insert.bind(1, .integer(now))
            old.withUnsafeBytes { insert.bindBlob(2, $0) }
            old.withUnsafeBytes { insert.bindBlob(3, $0) }
            try insert.step()
            // An inbox row in the history's codec form, as the previous version stored pushes.
            try conn.execute(
                """
                CREATE TABLE feature_inbox_codec_rows (seq INTEGER PRIMARY KEY, view_id INTEGER NOT NULL, entity_key TEXT NOT NULL,
                    event_ns INTEGER NOT NULL, created_ns INTEGER NOT NULL, target INTEGER NOT NULL, row BLOB NOT NULL) STRICT
                """)
            let pushed = try conn.prepare("INSERT INTO feature_inbox_codec_rows VALUES (7, 1, 'pushed', ?, ?, 3, ?)")
            pushed.bind(1, .integer(now))
            pushed.bind(2, .integer(now))
            FeatureRowCodec.encode([.double(7.25), .string("run")]).withUnsafeBytes { pushed.bindBlob(3, $0) }
            try pushed.step()
        }
        #expect(OnlineRowUpgrade.textRow([2, 0, 3, 0, 0, 0, 9, 0, 0, 0] + Array("2.5null".utf8), types: [.float64]) == nil)
        let again = try reopen(store)
        let entry = again.cache.lookup(viewID: 1, key: "old")
        #expect(entry?.value(0, as: .float64) == .double(2.5))
        #expect(entry?.value(1) == .null)
        #expect(entry?.eventNanos == now)
        let left = try again.storage.features.read { conn in
            try conn.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'online_text_rows'")
        }
        #expect(left == 0)
        #expect(try again.storage.features.read { try $0.scalarInt("SELECT count(*) FROM online") } == 1)
        // The converted inbox row is served, and merged into the history in its codec form.
        #expect(again.unmergedRows == 1)
        #expect(again.cache.lookup(viewID: 1, key: "pushed")?.value(1, as: .string) == .string("run"))
        try again.mergePushed()
        let history = try again.storage.features.read { conn -> [FeatureValue]? in
            let statement = try conn.prepare("SELECT row FROM feature_history WHERE entity_key = 'pushed'")
            guard try statement.step() else { return nil }
            return statement.withBlob(0) { FeatureRowCodec.decode($0, width: 4) }
        }
        #expect(history == [.double(7.25), .string("run"), .null, .null])
        #expect(try again.storage.features.read { try $0.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'feature_inbox_codec_rows'") } == 0)
    }

    @Test("rows encode and decode losslessly, and old rows read with new fields as null")
    func codec() {
        let values: [FeatureValue] = [.double(-0.25), .int(Int64.min), .string("é,\"x\"\n"), .bool(true), .null]
        #expect(FeatureRowCodec.decode(FeatureRowCodec.encode(values), width: 5) == values)
        #expect(FeatureRowCodec.decode(FeatureRowCodec.encode([.int(1)]), width: 3) == [.int(1), .null, .null])
    }
}

@Suite("definitions")
struct DefinitionTests {
    @Test("applying the same file twice changes nothing; adding a field or changing TTL is a new version")
    func idempotentAndChanges() throws {
        let store = try makeStore()
        let again = try store.apply(toml: sampleDefinitions, dryRun: false, uid: 0)
        #expect(!again.applied && !again.plan.changes && again.version == 1)
        let changed = sampleDefinitions
            .replacingOccurrences(of: "ttl = \"2h\"", with: "ttl = \"3h\"")
            .replacingOccurrences(of: "{ name = \"ok\", type = \"bool\" },", with: "{ name = \"ok\", type = \"bool\" },\n  { name = \"rpm\", type = \"float64\" },")
        let dry = try store.apply(toml: changed, dryRun: true, uid: 0)
        #expect(!dry.applied && dry.plan.changes && store.definitions.version == 1)
        let applied = try store.apply(toml: changed, dryRun: false, uid: 0)
        #expect(applied.applied && applied.version == 2)
        let view = try #require(store.definitions.set.view("sensor_stats"))
        #expect(view.fields.map(\.name) == ["temp", "mode", "count", "ok", "rpm"])
        #expect(view.ttlNanos == 3 * hour)
        #expect(applied.plan.items.first { $0.name == "sensor_stats" }?.details.contains("add field rpm: float64") == true)
    }

    @Test("changes that would misread stored data are refused with what to do", arguments: [
        ("{ name = \"temp\", type = \"float64\" }", "{ name = \"temp\", type = \"string\" }", "Add a field with a new name"),
        ("{ name = \"mode\", type = \"string\" },", "", "removing a field is not supported"),
        ("join_key = \"machine_id\"", "join_key = \"id\"", "define a new entity"),
    ])
    func refused(from: String, to: String, hint: String) throws {
        let store = try makeStore()
        do {
            _ = try store.apply(toml: sampleDefinitions.replacingOccurrences(of: from, with: to), dryRun: false, uid: 0)
            Issue.record("accepted")
        } catch let error as DomainError {
            #expect(error.kind == .conflict)
            #expect(error.message.contains(hint), "\(error.message)")
        }
        #expect(store.definitions.version == 1)
    }

    @Test("definition file errors name the key and line")
    func fileErrors() {
        do {
            _ = try DefinitionSet.parse(toml: "[[entity]]\nname = \"m\"\njoin_key = \"k\"\n\n[[feature_view]]\nname = \"v\"\nentity = \"m\"\nfields = [{ name = \"x\", type = \"decimal\" }]\n")
            Issue.record("accepted")
        } catch {
            #expect(error.line == 8)
            #expect(error.key == "feature_view[0].fields[0].type")
        }
        do {
            _ = try DefinitionSet.parse(toml: "[[feature_view]]\nname = \"v\"\nentity = \"ghost\"\nfields = [{ name = \"x\", type = \"int64\" }]\n")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("ghost"))
            #expect(error.line == 3)
        }
    }
}

@Suite("retention")
struct RetentionTests {
    @Test("history is trimmed to max_age and max_rows in bounded passes; the online cache keeps the latest")
    func bounds() throws {
        let store = try makeStore(retentionDefinitions)
        let now: Int64 = 1_800_000_000_000_000_000
        // 25 hours of quarter-hours.
        for view in ["aged", "counted"] { try pushLevels(store, view: view, 0..<100, now: now) { _ in "m1" } }
        var passes = 0
        while try !store.enforceRetention(now: now, batch: 7).isEmpty { passes += 1 }
        #expect(passes > 3)  // bounded: 7 rows per pass
        #expect(try store.historyRowCount(viewID: 1) == 41)  // events within 10 h: 0...40 quarter-hours
        #expect(try store.historyRowCount(viewID: 2) == 30)
        let kept = store.cache.lookup(viewID: 1, key: "m1")
        #expect(kept?.width == 1 && kept?.value(0, as: .int64) == .int(0))
        // The newest rows survive max_rows.
        let frame = EntityFrame(columns: [("machine_id", ["m1"]), ("event_timestamp", [.integer(now / 1_000_000_000)])], keys: ["m1"], times: [now])
        let features = try FeatureReference.resolve(["counted:level"], in: store.definitions.set, fullNames: false)
        #expect(try PointInTimeJoin.run(frame, features: features, store: store).values[0].featureValues == [.int(0)])
    }
}
