import MoteCore
import MoteStorage
import Synchronization
import Testing

@testable import MoteFeatures

#if canImport(Glibc)
import Glibc
#endif

/// Pushes land in the inbox and are merged into the history and the online table later; these
/// tests hold merges back (a writer that never merges on its own) to see each stage.
@Suite("push inbox and merge")
struct PushInboxTests {
    let now: Int64 = 1_800_000_000_000_000_000
    /// Longer than any test: the writer merges only when asked, or past `max_unmerged_rows`.
    let never: UInt64 = 3_600_000_000_000

    func push(_ store: FeatureStore, _ keys: [String], _ times: [Int64], _ temps: [JSONValue], created: [Int64]? = nil) throws {
        try store.push(
            try PushBatch.parse(
                pushBody(keys, times, temps: temps, created: created), definitions: store.definitions.set, limits: store.limits, now: now))
    }

    func count(_ store: FeatureStore, _ table: String) throws -> Int {
        try store.storage.features.read { conn in
            let statement = try conn.prepare("SELECT count(*) FROM \(table)")
            _ = try statement.step()
            return Int(statement.int64(0))
        }
    }

    /// The online table's row of `key` in view 1, as the cache would serve it.
    func onlineRow(_ store: FeatureStore, _ key: String) throws -> OnlineFeatureCache.Entry? {
        try store.storage.features.read { conn in
            let statement = try conn.prepare("SELECT event_ns, created_ns, row FROM online WHERE view_id = 1 AND entity_key = ?")
            statement.bind(1, .text(key))
            guard try statement.step() else { return nil }
            return statement.withBlob(2) { OnlineFeatureCache.Entry(eventNanos: statement.int64(0), createdNanos: statement.int64(1), row: $0) }
        }
    }

    @Test("a pushed row is read online at once, survives a restart in the inbox, and is merged exactly by the rules a direct write had")
    func inboxToHistory() throws {
        let store = try makeStore(mergeIdleNanos: never)
        let t1 = now - 2 * hour
        let t2 = now - hour
        // m1: two events; m2: the same (event, created) twice, the later push wins; then a late,
        // older event for m1 that must not replace its online row.
        try push(store, ["m1", "m2"], [t1, t2], [1.0, 2.0], created: [t1, t2])
        try push(store, ["m1", "m2"], [t2, t2], [3.0, 4.0], created: [t2, t2])
        try push(store, ["m1"], [t1 - hour], [5.0], created: [t1])
        #expect(store.cache.lookup(viewID: 1, key: "m1")?.value(0, as: .float64) == .double(3.0))
        #expect(store.cache.lookup(viewID: 1, key: "m2")?.value(0, as: .float64) == .double(4.0))
        #expect(store.unmergedRows == 5)
        #expect(try count(store, "feature_inbox") == 5)
        #expect(try count(store, "feature_history") == 0)
        #expect(try store.historyRowCount(viewID: 1) == 5)  // counted before merging

        // A restart serves the unmerged rows from the inbox.
        let again = try reopen(store, mergeIdleNanos: never)
        #expect(again.unmergedRows == 5)
        #expect(again.cache.lookup(viewID: 1, key: "m1")?.value(0, as: .float64) == .double(3.0))
        #expect(again.cache.lookup(viewID: 1, key: "m2")?.value(0, as: .float64) == .double(4.0))

        // A join merges first and reads each point in time.
        let frame = EntityFrame(
            columns: [("machine_id", ["m1", "m1", "m1", "m2"]), ("event_timestamp", [.integer(0), .integer(0), .integer(0), .integer(0)])],
            keys: ["m1", "m1", "m1", "m2"], times: [t1 - hour, t1, t2, t2])
        let features = try FeatureReference.resolve(["sensor_stats:temp"], in: again.definitions.set, fullNames: false)
        let joined = try PointInTimeJoin.run(frame, features: features, store: again)
        #expect(joined.values[0].featureValues == [.double(5.0), .double(1.0), .double(3.0), .double(4.0)])
        #expect(again.unmergedRows == 0)
        #expect(try count(again, "feature_inbox") == 0)
        #expect(try count(again, "feature_history") == 4)  // m2's duplicate replaced
        #expect(try onlineRow(again, "m1")?.value(0, as: .float64) == .double(3.0))
        #expect(try onlineRow(again, "m2")?.value(0, as: .float64) == .double(4.0))
    }

    @Test("past max_unmerged_rows each push first waits for a merge, so the inbox stays bounded")
    func backlogBound() throws {
        var limits = FeatureSettings()
        limits.maxUnmergedRows = 5
        let store = try makeStore(limits: limits, mergeIdleNanos: never)
        for k in 0..<5 {
            try push(store, ["a\(k)", "b\(k)", "c\(k)", "d\(k)"], [now, now, now, now], [1, 2, 3, 4])
            // At most the bound waited before this push's 4 rows were committed.
            #expect(store.unmergedRows <= 9)
        }
        // The merger merged without a reader asking (the writer never idles long enough).
        #expect(try count(store, "feature_history") >= 12)
        #expect(try store.historyRowCount(viewID: 1) == 20)
        try store.mergePushed()
        #expect(try count(store, "feature_history") == 20)
    }

    @Test("pushes from many threads at once are each stored once, served online, and answered only when committed")
    func concurrentPushes() throws {
        let store = try makeStore()
        let threads = 8
        let perThread = 40
        let failures = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        for t in 0..<threads {
            DetachedThread.start {
                for k in 0..<perThread {
                    do {
                        try push(store, ["t\(t)-\(k)"], [now - Int64(k)], [.double(Double(t * 1000 + k))])
                        // Answered: the row must be served already.
                        if store.cache.lookup(viewID: 1, key: "t\(t)-\(k)") == nil { failures.add(1, ordering: .relaxed) }
                    } catch {
                        failures.add(1, ordering: .relaxed)
                    }
                }
                done.add(1, ordering: .releasing)
            }
        }
        while done.load(ordering: .acquiring) < threads { usleep(1000) }
        #expect(failures.load(ordering: .relaxed) == 0)
        try store.mergePushed()
        #expect(try count(store, "feature_history") == threads * perThread)
        #expect(try count(store, "online") == threads * perThread)
        #expect(try onlineRow(store, "t7-39")?.value(0, as: .float64) == .double(7039))
    }

    @Test("after stop, a push is refused with shutting_down and nothing is stored")
    func stopRefuses() throws {
        let store = try makeStore(mergeIdleNanos: never)
        try push(store, ["m1"], [now], [1.0])
        store.stop(timeoutNanos: 5_000_000_000)
        do {
            try push(store, ["m2"], [now], [2.0])
            Issue.record("a push after stop was accepted")
        } catch let error as DomainError {
            #expect(error.code == .shuttingDown)
        }
        #expect(store.cache.lookup(viewID: 1, key: "m2") == nil)
        #expect(try count(store, "feature_inbox") == 1)
    }

    @Test("a lone small push is committed on the calling thread; while another write holds the database it waits for the writer thread instead")
    func inlineCommit() throws {
        let store = try makeStore(mergeIdleNanos: never)
        let batch = { (key: String) in
            try PushBatch.parse(pushBody([key], [now], temps: [1.0]), definitions: store.definitions.set, limits: store.limits, now: now)
        }
        let answered = Atomic<Int>(0)
        store.push(try batch("m1"), inline: true) { result in
            if case .success = result { answered.add(1, ordering: .releasing) }
        }
        #expect(answered.load(ordering: .acquiring) == 1)  // answered before push returned
        #expect(store.cache.lookup(viewID: 1, key: "m1") != nil)

        // Another write holds the database's writer: the push is not answered on this thread.
        let holding = Atomic<Int>(0)
        let release = Atomic<Int>(0)
        DetachedThread.start {
            try? store.storage.features.write { _ in
                holding.store(1, ordering: .releasing)
                while release.load(ordering: .acquiring) == 0 { usleep(1000) }
            }
        }
        while holding.load(ordering: .acquiring) == 0 { usleep(1000) }
        store.push(try batch("m2"), inline: true) { result in
            if case .success = result { answered.add(1, ordering: .releasing) }
        }
        #expect(answered.load(ordering: .acquiring) == 1)
        release.store(1, ordering: .releasing)
        var waited = 0
        while answered.load(ordering: .acquiring) < 2, waited < 5000 {
            usleep(1000)
            waited += 1
        }
        #expect(answered.load(ordering: .acquiring) == 2)
        #expect(store.cache.lookup(viewID: 1, key: "m2") != nil)
        #expect(try count(store, "feature_inbox") == 2)
    }
}
