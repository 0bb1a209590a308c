import Dispatch
public import MoteCore
public import MoteStorage
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// mote's feature store: definitions, pushes into history and the online cache, online
/// reads and point-in-time joins. The server's feature routes and the trainer call this.
public final class FeatureStore: Sendable {
    let storage: Storage
    /// Latest values in memory.
    public let cache = OnlineFeatureCache()
    /// Pushed rows' quality per view with expectations, over the last hour.
    public let quality = DataQuality()
    private let current: LockedValue<AppliedDefinitions>
    private let settings: Live<FeatureSettings>
    /// The sections other modules add to the definitions file (training specs...).
    public let sections: [any DefinitionSection]
    /// How long rebuilding the online cache from disk took at start, how many rows it loaded,
    /// and how many stored rows it could not read (damaged, or of a view no longer defined).
    public let rebuild: (nanos: UInt64, rows: Int, skipped: Int)
    /// Commits pushes and merges them into the history.
    let writer: PushWriter
    /// How long pushes must pause before the push writer merges the inbox on its own.
    public static let mergeIdleNanos: UInt64 = 100_000_000

    /// Definitions in force, with their version and hash. Immutable and shared: a request
    /// takes a reference, and resolved feature lists are memoised on it.
    public final class AppliedDefinitions: Sendable {
        public let set: DefinitionSet
        /// 0 when nothing was ever applied.
        public let version: Int
        public let hash: String
        public let appliedAtNanos: Int64
        private let resolved = LockedValue<[String: ResolvedRead]>([:])
        /// Plans by the FNV-1a hash of a `features` array's raw text (and the naming flag).
        private let resolvedByText = LockedValue<[UInt64: PlanByText]>([:])

        final class PlanByText: Sendable {
            let text: [UInt8]
            let plan: ResolvedRead
            init(text: [UInt8], plan: ResolvedRead) {
                self.text = text
                self.plan = plan
            }
        }
        private let cache: OnlineFeatureCache

        init(set: DefinitionSet, version: Int, hash: String, appliedAtNanos: Int64, cache: OnlineFeatureCache) {
            self.cache = cache
            self.set = set
            self.version = version
            self.hash = hash
            self.appliedAtNanos = appliedAtNanos
        }

        /// The online read plan for a feature list, remembered per list (bounded).
        public func resolveRead(_ names: [String], fullNames: Bool) throws(DomainError) -> ResolvedRead {
            let key = (fullNames ? "1" : "0") + names.joined(separator: "\u{0}")
            if let hit = resolved.withLock({ $0[key] }) { return hit }
            let references = try ResolvedRead.make(names, in: set, fullNames: fullNames, cache: cache)
            resolved.withLock { table in
                if table.count >= 1024 { table.removeAll() }
                table[key] = references
            }
            return references
        }

        /// The read plan for the raw JSON text of a `features` array, without building strings
        /// when the same text was seen before; nil when the list does not resolve (the caller
        /// then reports the error through the general path).
        func resolveRead(featureList text: UnsafeBufferPointer<UInt8>, fullNames: Bool) -> ResolvedRead? {
            guard text.count >= 2 else { return nil }
            var hash: UInt64 = fullNames ? 0x8422_2325_cbf2_9ce4 : 0xcbf2_9ce4_8422_2325
            for byte in text { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            if let hit = resolvedByText.withLock({ $0[hash] }), hit.text.count == text.count,
                hit.text.withUnsafeBytes({ memcmp($0.baseAddress!, UnsafeRawPointer(text.baseAddress!), text.count) == 0 })
            {
                return hit.plan
            }
            guard case .array(let list)? = try? JSONParser.parse(buffer: text) else { return nil }
            let names = list.compactMap(\.stringValue)
            guard names.count == list.count, let plan = try? resolveRead(names, fullNames: fullNames) else { return nil }
            resolvedByText.withLock { table in
                if table.count >= 1024 { table.removeAll() }
                table[hash] = PlanByText(text: Array(text), plan: plan)
            }
            return plan
        }
    }

    /// Loads the latest definitions and rebuilds the online cache from `features.sqlite`.
    /// `mergeIdleNanos`: how long pushes must pause before the writer merges on its own.
    public init(
        storage: Storage, settings: Live<FeatureSettings>, sections: [any DefinitionSection] = [],
        mergeIdleNanos: UInt64 = FeatureStore.mergeIdleNanos
    ) throws {
        self.storage = storage
        self.settings = settings
        // Feature services are the store's own section; other modules add theirs.
        self.sections = [FeatureServiceSection()] + sections.filter { !($0 is FeatureServiceSection) }
        let cache = self.cache
        let latest = try storage.registry.read { conn -> AppliedDefinitions in
            let statement = try conn.prepare(
                "SELECT version, hash, applied_at_ns, document FROM definition_versions ORDER BY version DESC LIMIT 1")
            guard try statement.step() else {
                return AppliedDefinitions(set: DefinitionSet(), version: 0, hash: DefinitionSet().hash, appliedAtNanos: 0, cache: cache)
            }
            var set = try DefinitionSet.parse(json: Array((statement.text(3) ?? "").utf8))
            let version = Int(statement.int64(0))
            // Views stored before revisions were recorded take the version they were loaded at.
            for k in set.views.indices where set.views[k].revision == 0 { set.views[k].revision = version }
            return AppliedDefinitions(
                set: set, version: version, hash: statement.text(1) ?? "", appliedAtNanos: statement.int64(2),
                cache: cache)
        }
        current = LockedValue(latest)
        let started = SystemClock.monotonicNanos()
        let known = Set(latest.set.views.map(\.id))
        try OnlineRowUpgrade.run(storage.features, views: latest.set.views)
        let (rows, skipped, unmerged, lastSeq) = try storage.features.read { conn -> (Int, Int, Int, Int64) in
            // Each view's table is sized once from a count (of keys only: summing the rows'
            // lengths read every row twice), then filled by copying the stored rows (they are
            // in the cache's own form) under one lock.
            let widths = Dictionary(latest.set.views.map { ($0.id, $0.fields.count) }, uniquingKeysWith: { first, _ in first })
            var sizes: [(view: Int, rows: Int, bytes: Int)] = []
            let counts = try conn.prepare("SELECT view_id, count(*) FROM online GROUP BY view_id")
            while try counts.step() {
                let (view, rows) = (Int(counts.int64(0)), Int(counts.int64(1)))
                sizes.append((view, rows, rows * (2 + 9 * (widths[view] ?? 0))))
            }
            var total = 0
            var skipped = 0
            let statement = try conn.prepare("SELECT entity_key, event_ns, created_ns, row FROM online WHERE view_id = ?")
            for (view, count, bytes) in sizes {
                guard known.contains(view) else {
                    skipped += count
                    continue
                }
                statement.reset()
                statement.bind(1, .integer(Int64(view)))
                try cache.fill(viewID: view) { table in
                    var newest = Int64.min
                    table.reserve(additional: count, rowBytes: bytes / max(count, 1))
                    var pending = PendingRows()
                    while try statement.step() {
                        let event = statement.int64(1)
                        let stored = statement.withBlob(0) { key in
                            statement.withBlob(3) { row -> Bool in
                                guard OnlineRow.isWellFormed(row) else { return false }
                                pending.add(key: key, eventNanos: event, createdNanos: statement.int64(2), row: row)
                                return true
                            }
                        }
                        guard stored else {
                            skipped += 1
                            continue
                        }
                        if pending.isFull { pending.flush(into: table) }
                        newest = max(newest, event)
                        total += 1
                    }
                    pending.flush(into: table)
                    return newest
                }
            }
            // Rows pushed before a stop and not merged yet: served at once, merged later.
            let (replayed, unmerged) = try Self.replayInbox(conn, into: cache, known: known)
            return (total + replayed, skipped, unmerged, try InboxMerge.lastSeq(conn))
        }
        rebuild = (SystemClock.monotonicNanos() - started, rows, skipped)
        writer = PushWriter(
            database: storage.features, settings: settings, unmerged: unmerged, lastSeq: lastSeq, idleNanos: mergeIdleNanos)
    }

    /// Puts the newest online row of each entity still in the inbox into the cache; returns
    /// how many rows it applied and how many the inbox holds. Rows are read in arrival order
    /// (the table's own, no sort), one view's run at a time under its lock, and copied (the
    /// inbox keeps them in the cache's form). Tables grow as they fill (counting the rows
    /// first was a second scan of the inbox: a third of the time).
    private static func replayInbox(_ conn: SQLiteConnection, into cache: OnlineFeatureCache, known: Set<Int>) throws -> (Int, Int) {
        let statement = try conn.prepare("SELECT view_id, entity_key, event_ns, created_ns, target, row FROM feature_inbox ORDER BY seq")
        var applied = 0
        var count = 0
        var more = try statement.step()
        while more {
            let view = Int(statement.int64(0))
            // The run of rows for this view, under one lock.
            try cache.fill(viewID: view) { table in
                var newest = Int64.min
                var pending = PendingRows()
                while more, Int(statement.int64(0)) == view {
                    count += 1
                    if statement.int64(4) & 2 != 0, known.contains(view) {
                        let event = statement.int64(2)
                        statement.withBlob(1) { key in
                            statement.withBlob(5) { row in
                                pending.add(key: key, eventNanos: event, createdNanos: statement.int64(3), row: row)
                            }
                        }
                        if pending.isFull { pending.flush(into: table) }
                        newest = max(newest, event)
                        applied += 1
                    }
                    more = try statement.step()
                }
                pending.flush(into: table)
                return newest
            }
        }
        return (applied, count)
    }

    /// Memory the online cache holds (its rows and indexes), in bytes.
    public var onlineCacheBytes: Int { cache.bytes }

    /// Rows pushed and not yet merged into the history (they are served online already, and
    /// every reader of history merges them first).
    public var unmergedRows: Int { writer.unmergedRows }

    /// Whether history runs may still be merged into fewer (false once a look found none due).
    public var compactingHistory: Bool { writer.compactionDue }

    /// History runs stored, over all views (readers merge a view's runs on the fly).
    public func historyRunCount() throws -> Int {
        try storage.features.read { Int(try $0.scalarInt("SELECT count(*) FROM feature_history_runs") ?? 0) }
    }

    /// Merges every row pushed before the call into the history and the online table. Readers
    /// of history call it first, so they see every push answered before they started.
    public func mergePushed() throws {
        try writer.mergeAll()
    }

    /// Commits the pushes already handed over and stops the push writer (at shutdown, before
    /// the databases close); later pushes are answered 503 `shutting_down`.
    public func stop(timeoutNanos: Int64) {
        writer.stop(timeoutNanos: timeoutNanos)
    }

    /// The state directory this store's databases live in.
    public var stateRoot: String { storage.directory.root }

    /// The definitions in force.
    public var definitions: AppliedDefinitions { current.withLock { $0 } }

    /// The feature settings in force (read live: a reload takes effect at the next request).
    public var limits: FeatureSettings { settings.current }

    // MARK: - Definitions

    /// The outcome of `apply`.
    public struct ApplyOutcome: Sendable {
        public var plan: DefinitionPlan
        public var applied: Bool
        public var version: Int
        public var hash: String
    }

    /// Plans a definitions file and, unless `dryRun`, stores the result as a new version
    /// (only when something changes: applying the same file twice is a no-op).
    public func apply(toml: String, dryRun: Bool, uid: UInt32) throws -> ApplyOutcome {
        let file: DefinitionSet
        do {
            file = try DefinitionSet.parse(toml: toml, known: definitions.set, sections: sections)
        } catch {
            throw DomainError.invalidShape("definitions: \(error)")
        }
        return try storage.registry.write(addingData: true) { conn -> ApplyOutcome in
            let now = current.withLock { $0 }
            let plan = try DefinitionPlan(current: now.set, file: file, version: now.version + 1, sections: sections)
            guard plan.changes, !dryRun else {
                return ApplyOutcome(plan: plan, applied: false, version: now.version, hash: now.hash)
            }
            let document = plan.result.canonicalJSON()
            let hash = SHA256.hex(of: document)
            let version = now.version + 1
            let at = SystemClock.nowNanos()
            try conn.cached(
                "INSERT INTO definition_versions (version, hash, applied_at_ns, applied_by_uid, document) VALUES (?, ?, ?, ?, ?)"
            ).run([.integer(Int64(version)), .text(hash), .integer(at), .integer(Int64(uid)), .text(String(decoding: document, as: UTF8.self))])
            // Publish after the commit (below); a failed commit throws before.
            return ApplyOutcome(plan: plan, applied: true, version: version, hash: hash)
        }.publish(into: current, at: SystemClock.nowNanos(), cache: cache)
    }

    // MARK: - Push

    /// Stores a validated batch: its rows are committed to the inbox (with any pushes that
    /// arrive meanwhile, in one transaction), the cache is updated, and then `done` is called
    /// (on the writer's thread, so no thread waits): the rows are durable and read online.
    /// The history and the online table receive them when the writer merges (`PushWriter`).
    /// With `inline`, a lone small push may be committed on the caller's thread when nothing
    /// else is being written (an event loop: SQLite's commit in WAL mode is a log append).
    public func push(_ batch: PushBatch, inline: Bool = false, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        // Expectations: a rejecting view refuses the whole batch; a flagging one stores it and
        // its broken values are counted once it is stored.
        let checked = batch.view.declaresExpectations
        let flagged: [ExpectationViolation]
        do {
            flagged = checked ? try batch.checkExpectations() : []
        } catch {
            done(.failure(error))
            return
        }
        let rows = InboxRows(batch)
        let quality = self.quality
        let cache = self.cache
        let online = batch.target.writesOnline
        // `done` runs after the commit, once the cache holds the rows (in commit order, so the
        // cache agrees with the tables when two pushes carry the same entity and times). The
        // cache takes the rows from their stored bytes: nothing is rendered on the push path.
        writer.submit(rows, inline: inline) { result in
            if case .success = result, online { cache.upsert(rows) }
            if checked, case .success = result { quality.record(batch, violations: flagged, now: SystemClock.nowNanos()) }
            done(result)
        }
    }

    /// `push(_:done:)` for a caller on a thread that may block: returns once stored.
    public func push(_ batch: PushBatch) throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        push(batch, inline: false) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }?.get()
    }

    // MARK: - Counts

    /// History rows stored for a view, counting pushed rows not merged yet (a row that
    /// replaces one with the same entity and times counts until both are in one run).
    public func historyRowCount(viewID: Int) throws -> Int {
        try storage.features.read { conn in
            let inbox = try conn.cached("SELECT count(*) FROM feature_inbox WHERE view_id = ? AND target & 1")
            defer { inbox.reset() }
            inbox.bind(1, .integer(Int64(viewID)))
            let waiting = try inbox.step() ? inbox.int64(0) : 0
            return Int(try HistoryRuns.rowCount(conn, viewID: Int64(viewID)) + waiting)
        }
    }
}

extension FeatureStore.ApplyOutcome {
    /// Makes an applied outcome the definitions in force.
    func publish(into current: LockedValue<FeatureStore.AppliedDefinitions>, at nanos: Int64, cache: OnlineFeatureCache) -> FeatureStore.ApplyOutcome {
        if applied {
            current.withLock {
                $0 = FeatureStore.AppliedDefinitions(set: plan.result, version: version, hash: hash, appliedAtNanos: nanos, cache: cache)
            }
        }
        return self
    }
}
