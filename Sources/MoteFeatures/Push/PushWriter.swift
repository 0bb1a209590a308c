import Dispatch
import MoteCore
import MoteStorage
import Synchronization

/// The one writer of pushed rows, on a thread of its own, commits pushes into the inbox; a
/// merger, on another, merges the inbox into the history and the online table.
///
/// **Commits are shared.** A push hands its encoded rows over and is answered once they are
/// committed. Pushes that arrive while a commit runs go together into the next transaction,
/// so many connections pushing a row each share commits; each is answered only after the
/// commit that holds its rows (a failed commit fails every push in it, and none is stored).
/// The rows are appended to `feature_inbox`, a rowid table whose new rows land on its last
/// page: a sequential write, where writing the entity-clustered history directly costs about a
/// page per row for random entities.
///
/// **Merges run beside commits.** A chunk of the inbox (`InboxMerge`) is read and put in
/// order from a read snapshot while pushes commit, then written in one transaction. The merger
/// merges large chunks while the inbox holds more than half of `features.max_unmerged_rows`
/// or its oldest rows have waited `features.merge_delay`, and small ones when no push has come
/// for `idleNanos` (then it compacts history runs, `HistoryCompaction`). A commit past the
/// bound waits for the merger (unless merges cannot run: no room on disk), so a stream faster
/// than merges slows to their pace instead of growing the inbox without bound. Readers of
/// history first merge what was pushed before they started (`FeatureStore.mergePushed()`).
final class PushWriter: Sendable {
    /// A push waiting for its commit.
    private struct Waiting: Sendable {
        var rows: InboxRows
        var done: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct Queue {
        var waiting: [Waiting] = []
        /// Someone is committing (and updating the cache) or merging: a new push queues.
        var busy = false
        var stopping = false
        var stopped = false
        /// When the last push was handed over (a push waiting for a merge to end is not idle
        /// time, though nothing commits).
        var lastArrival: UInt64 = 0
    }

    /// Commits in the unmerged part of the inbox: the last sequence number of a commit and when
    /// it was made, at most one mark a second (they only date the oldest rows).
    private struct Backlog {
        var rows = 0
        var marks: [(seq: Int64, at: UInt64)] = []
        var lastCommit: UInt64 = 0
        /// History runs may be due a compaction (a merge wrote one since the last found none).
        var compactionDue = true
        /// The last merge tried could not run (no room on disk, or it failed): commits past
        /// the bound do not wait for merges then.
        var stalled = false

        mutating func committed(rows count: Int, lastSeq: Int64, at now: UInt64) {
            rows += count
            lastCommit = now
            if let last = marks.last, now - last.at < 1_000_000_000 {
                marks[marks.count - 1].seq = lastSeq
            } else {
                marks.append((lastSeq, now))
            }
        }

        mutating func merged(rows count: Int, through seq: Int64) {
            rows = max(0, rows - count)
            var drop = 0
            while drop < marks.count, marks[drop].seq <= seq { drop += 1 }
            marks.removeFirst(drop)
            if rows == 0 { marks.removeAll() }
        }

        /// How long the oldest unmerged rows have waited.
        func oldestAge(now: UInt64) -> UInt64 { marks.first.map { now &- $0.at } ?? 0 }
    }

    /// No push for this long: the writer merges.
    private let idleNanos: UInt64

    private let database: Database
    private let settings: Live<FeatureSettings>
    private let queue = Mutex(Queue())
    private let backlog: Mutex<Backlog>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Wakes the merger.
    private let mergeWake = DispatchSemaphore(value: 0)
    /// Signalled after each merge (a commit past the bound waits for it).
    private let mergedOne = DispatchSemaphore(value: 0)
    private let mergerFinished = DispatchSemaphore(value: 0)

    /// Starts the writer; `unmerged` is how many rows the inbox holds already (from an earlier
    /// run; they are dated now).
    init(database: Database, settings: Live<FeatureSettings>, unmerged: Int, lastSeq: Int64, idleNanos: UInt64) {
        self.idleNanos = idleNanos
        self.database = database
        self.settings = settings
        // The idle time counts from the start. Rows left from an earlier run count as
        // committed now: merged once the writer has been idle for `idleNanos`, like any others.
        var backlog = Backlog()
        backlog.lastCommit = SystemClock.monotonicNanos()
        if unmerged > 0 { backlog.committed(rows: unmerged, lastSeq: lastSeq, at: SystemClock.monotonicNanos()) }
        self.backlog = Mutex(backlog)
        // The thread holds the writer only while it works, so a store dropped without `stop`
        // (a test's) ends its thread within a second.
        DetachedThread.start { [weak self] in
            while let writer = self, writer.step() {}
        }
        DetachedThread.start { [weak self] in
            while let writer = self, writer.mergeStep() {}
        }
    }

    /// Rows pushed and not yet merged into the history.
    var unmergedRows: Int { backlog.withLock { $0.rows } }

    /// Whether history runs may be due a compaction.
    var compactionDue: Bool { backlog.withLock { $0.compactionDue } }

    /// Hands a push over; `done` is called after its commit (or its failure), on the writer's
    /// thread, or on the caller's when `inline` and nothing else is being written: then the
    /// caller commits it at once, if the database's writer is free and commits do not wait for
    /// the disk, saving two thread switches for a lone small push. After `stop`, pushes fail at
    /// once with 503 `shutting_down`.
    func submit(_ rows: InboxRows, inline: Bool, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let waiting = Waiting(rows: rows, done: done)
        let lead = inline && !database.commitsSync
        enum Turn { case refused, queued, leading }
        let turn = queue.withLock { q -> Turn in
            guard !q.stopping else { return .refused }
            if lead, !q.busy, q.waiting.isEmpty, backlog.withLock({ $0.rows }) <= settings.current.maxUnmergedRows {
                q.busy = true
                return .leading
            }
            q.waiting.append(waiting)
            q.lastArrival = SystemClock.monotonicNanos()
            return .queued
        }
        switch turn {
        case .refused: done(.failure(DomainError(.unavailable, .shuttingDown, "moted is shutting down")))
        case .queued: wake.signal()
        case .leading:
            // Nil when the database's writer is held (a reader merging, the prediction log):
            // then the writer thread takes the push with the next group.
            let committed: Result<(rows: Int, lastSeq: Int64), any Error>? =
                switch Result(catching: { try database.writeIfFree(addingData: true) { try Self.insert([waiting], $0) } }) {
                case .success(let written?): .success(written)
                case .success(nil): nil
                case .failure(let error): .failure(error)
                }
            if let committed { finish([waiting], committed) }
            let more = queue.withLock { q -> Bool in
                q.busy = false
                if committed == nil { q.waiting.insert(waiting, at: 0) }
                return !q.waiting.isEmpty
            }
            if more { wake.signal() }
        }
    }

    /// Commits what is queued, then stops the thread (bounded by `timeoutNanos`). Unmerged
    /// rows stay in the inbox: the next start serves them and merges them.
    func stop(timeoutNanos: Int64) {
        let running = queue.withLock { q -> Bool in
            q.stopping = true
            return !q.stopped
        }
        guard running else { return }
        wake.signal()
        mergeWake.signal()
        let deadline = DispatchTime.now() + .nanoseconds(Int(min(timeoutNanos, Int64(Int.max))))
        _ = finished.wait(timeout: deadline)
        // A merge under way finishes (its chunk is one transaction) before the databases close.
        _ = mergerFinished.wait(timeout: deadline)
    }

    /// Merges every row pushed before the call (in chunks, each its own transaction).
    func mergeAll() throws {
        let through = try database.read { try InboxMerge.lastSeq($0) }
        while try mergeChunk(through: through, limit: InboxMerge.largeChunkRows) > 0 {}
    }

    /// One turn of the writer's loop; false when it is to end.
    private func step() -> Bool {
        _ = wake.wait(timeout: .now() + .seconds(1))
        // Take the waiting pushes and the right to write (a caller committing inline holds it
        // briefly; it signals when done).
        let (group, stopping, taken) = queue.withLock { q -> ([Waiting], Bool, Bool) in
            guard !q.busy else { return ([], q.stopping, false) }
            let group = q.waiting
            q.waiting.removeAll(keepingCapacity: true)
            if q.stopping && group.isEmpty { q.stopped = true }
            q.busy = true
            return (group, q.stopping, true)
        }
        guard taken else { return true }
        defer { queue.withLock { $0.busy = false } }
        if group.isEmpty {
            if stopping {
                finished.signal()
                return false
            }
            return true
        }
        // Past the bound a commit waits for the merger to catch up: a stream faster than
        // merges slows to their pace instead of growing the inbox without bound.
        let bound = settings.current.maxUnmergedRows
        while !stopping, backlog.withLock({ $0.rows > bound && !$0.stalled }) {
            mergeWake.signal()
            _ = mergedOne.wait(timeout: .now() + .milliseconds(100))
        }
        finish(group, Result { try database.write(addingData: true) { try Self.insert(group, $0) } })
        if backlog.withLock({ $0.rows }) > bound / 2 { mergeWake.signal() }
        return true
    }

    /// The later of the last commit and the last push handed over (a merge that could not run
    /// counts as a commit, to put its retry off by the idle time).
    private func lastActivity() -> UInt64 {
        max(backlog.withLock { $0.lastCommit }, queue.withLock { $0.lastArrival })
    }

    /// One turn of the merger's loop; false when it is to end. Merges run in large chunks once
    /// the inbox holds half its bound or its oldest rows have waited `merge_delay`, in small ones
    /// once no push has come for `idleNanos`; with nothing to merge, idle time compacts runs.
    private func mergeStep() -> Bool {
        if queue.withLock({ $0.stopping }) {
            mergerFinished.signal()
            return false
        }
        let now = SystemClock.monotonicNanos()
        let limits = settings.current
        let (rows, oldestAge, compacting) = backlog.withLock { ($0.rows, $0.oldestAge(now: now), $0.compactionDue) }
        // Idle: no push for the idle time, and none waiting (one waiting for a merge or a
        // compaction to end is not idle time, though nothing commits meanwhile).
        let pending = queue.withLock { $0.busy || !$0.waiting.isEmpty }
        let idle = !pending && now &- lastActivity() >= idleNanos
        if rows > 0, rows > limits.maxUnmergedRows / 2 || oldestAge >= UInt64(limits.mergeDelayNanos) {
            if mergeQuietly(limit: InboxMerge.largeChunkRows) {
                // Runs past their bound are merged even while pushes keep coming.
                compactQuietly(onlyOverBound: true)
                return true
            }
        } else if idle, rows > 0 {
            if mergeQuietly(limit: InboxMerge.chunkRows) { return true }
        } else if idle, compacting {
            if compactQuietly(onlyOverBound: false) { return true }
        }
        // Wait for the writer, or until the writer has been idle long enough.
        // (Read again: a merge or compaction that could not run has put its retry off.)
        let waiting = backlog.withLock { $0.rows > 0 || $0.compactionDue }
        let idleAt = lastActivity() &+ idleNanos
        let current = SystemClock.monotonicNanos()
        let wait: DispatchTime = !waiting ? .now() + .seconds(1) : .now() + .nanoseconds(Int(idleAt > current ? idleAt - current : 1_000_000))
        _ = mergeWake.wait(timeout: wait)
        return true
    }

    /// Appends a group's rows to the inbox (inside the caller's transaction); returns how many
    /// rows it wrote and the last sequence number.
    private static func insert(_ group: [Waiting], _ conn: SQLiteConnection) throws -> (rows: Int, lastSeq: Int64) {
        let insert = try conn.cached(
            "INSERT INTO feature_inbox (view_id, entity_key, event_ns, created_ns, target, row) VALUES (?, ?, ?, ?, ?, ?)")
        var rows = 0
        for waiting in group {
            let push = waiting.rows
            try push.bytes.withUnsafeBytes { bytes in
                for i in 0..<push.count {
                    insert.reset()
                    insert.bind(1, .integer(Int64(push.viewID)))
                    insert.bind(2, .text(push.keys[i]))
                    insert.bind(3, .integer(push.eventNanos[i]))
                    insert.bind(4, .integer(push.createdNanos[i]))
                    insert.bind(5, .integer(push.target))
                    insert.bindBlob(6, UnsafeRawBufferPointer(rebasing: bytes[push.start(i)..<push.ends[i]]))
                    try insert.step()
                }
            }
            rows += push.count
        }
        return (rows, conn.lastInsertRowID)
    }

    /// Notes a group's commit and answers each push in it, in commit order.
    private func finish(_ group: [Waiting], _ result: Result<(rows: Int, lastSeq: Int64), any Error>) {
        switch result {
        case .success(let written):
            backlog.withLock { $0.committed(rows: written.rows, lastSeq: written.lastSeq, at: SystemClock.monotonicNanos()) }
            for waiting in group { waiting.done(.success(())) }
        case .failure(let error):
            for waiting in group { waiting.done(.failure(error)) }
        }
    }

    /// Merges one chunk of rows with `seq <= through`; returns how many it merged.
    @discardableResult
    private func mergeChunk(through: Int64 = Int64.max, limit: Int) throws -> Int {
        // One merge at a time, its count noted before the next starts: a reader merging first
        // must not find the inbox empty while the writer's merge is still being counted.
        try merging.withLock { _ in
            // Read and ordered from a snapshot, so pushes commit meanwhile; then written.
            guard let chunk = try database.read({ try InboxMerge.read($0, through: through, limit: limit) }) else { return 0 }
            let merged = try database.write { try InboxMerge.write(chunk, $0) }
            backlog.withLock {
                $0.merged(rows: merged.rows, through: merged.lastSeq)
                $0.compactionDue = true
                $0.stalled = false
            }
            mergedOne.signal()
            return merged.rows
        }
    }

    /// Held for a merge and the count after it.
    private let merging = Mutex(())

    /// Free space a merge must leave per row it writes: the row in the history and the online
    /// table, and the log of those pages, several times the inbox bytes they free only at the
    /// end (a compaction slice frees its rows' old places only at the end too).
    static let mergeHeadroomBytesPerRow: Int64 = 800

    /// One slice of history compaction on the merger's own schedule (`HistoryCompaction`):
    /// skipped while the disk is short of room; when none is due (and not only runs past the
    /// bound were asked for) the merger stops looking until the next merge. True when it did
    /// a slice.
    @discardableResult
    private func compactQuietly(onlyOverBound: Bool) -> Bool {
        guard database.space.hasRoom(forBytes: Int64(HistoryCompaction.sliceRows) * Self.mergeHeadroomBytesPerRow) else {
            backlog.withLock { $0.lastCommit = SystemClock.monotonicNanos() }
            return false
        }
        do {
            let worked = try database.write { try HistoryCompaction.step($0, onlyOverBound: onlyOverBound) }
            if !worked, !onlyOverBound { backlog.withLock { $0.compactionDue = false } }
            return worked
        } catch {
            backlog.withLock { $0.lastCommit = SystemClock.monotonicNanos() }
            return false
        }
    }

    /// A merge on the merger's own schedule: skipped while the disk is short of room for it
    /// (pushes need far less, and keep being stored in the inbox); a failure leaves the rows
    /// in the inbox. Either way it is tried again no sooner than the idle time. True when it
    /// merged rows.
    @discardableResult
    private func mergeQuietly(limit: Int) -> Bool {
        /// Not merged now: tried again after the idle time; commits do not wait meanwhile.
        func stall() -> Bool {
            backlog.withLock {
                $0.lastCommit = SystemClock.monotonicNanos()
                $0.stalled = true
            }
            mergedOne.signal()
            return false
        }
        // Short of room for a large chunk, a small one may still fit.
        guard let rows = [limit, InboxMerge.chunkRows].first(where: { database.space.hasRoom(forBytes: Int64($0) * Self.mergeHeadroomBytesPerRow) })
        else { return stall() }
        do {
            return try mergeChunk(limit: rows) > 0
        } catch {
            return stall()
        }
    }
}
