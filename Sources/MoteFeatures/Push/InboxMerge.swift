import MoteCore
import MoteStorage

/// Moves pushed rows from `feature_inbox` into the history and the `online` table, one chunk
/// per write transaction.
///
/// A chunk is the oldest rows of the inbox, sorted by (view, entity, event, created, arrival);
/// each view's history rows in it become a new sorted run (`HistoryRuns`), appended at the end
/// of the history's key range, so its pages are written once each, in order. The rules are
/// those of one table keyed (view, entity, event, created): a history row with the same key as
/// one stored earlier replaces it (the later arrival wins: within a chunk only the last is
/// written, across runs readers take the newest run's), and an entity's online row is replaced
/// only by a row at least as new (event time, then created time).
enum InboxMerge {
    /// Rows per chunk when pushes may arrive any moment (a merge in a pause): a push that
    /// comes meanwhile waits for at most this chunk (a few hundred milliseconds).
    static let chunkRows = 10_000
    /// Rows per chunk when the merge is what everything waits for (a backlog past its bound, a
    /// reader merging first): more rows share each history page written (measured on a 3M-row
    /// bulk load: 1.6x the rate of 10 000-row chunks).
    static let largeChunkRows = 50_000

    /// One chunk read from the inbox.
    private struct Chunk {
        var seq: [Int64] = []
        var view: [Int64] = []
        var key: [String] = []
        var event: [Int64] = []
        var created: [Int64] = []
        var target: [Int64] = []
        var bytes: [UInt8] = []
        var ends: [Int] = []

        func row(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }
    }

    /// Merges up to `limit` of the oldest inbox rows with `seq <= through`; returns how many it
    /// merged (0 when none is left) and the last sequence number merged.
    static func mergeChunk(_ conn: SQLiteConnection, through: Int64, limit: Int = chunkRows) throws -> (rows: Int, lastSeq: Int64) {
        let select = try conn.cached(
            "SELECT seq, view_id, entity_key, event_ns, created_ns, target, row FROM feature_inbox WHERE seq <= ? ORDER BY seq LIMIT ?")
        select.bind(1, .integer(through))
        select.bind(2, .integer(Int64(limit)))
        var c = Chunk()
        while try select.step() {
            c.seq.append(select.int64(0))
            c.view.append(select.int64(1))
            c.key.append(select.text(2) ?? "")
            c.event.append(select.int64(3))
            c.created.append(select.int64(4))
            c.target.append(select.int64(5))
            select.withBlob(6) { c.bytes.append(contentsOf: $0) }
            c.ends.append(c.bytes.count)
        }
        select.reset()
        guard let lastSeq = c.seq.last else { return (0, through) }
        // Key order (SQLite's: view, then the key's UTF-8 bytes), then time, then arrival.
        let order = c.seq.indices.sorted { a, b in
            if c.view[a] != c.view[b] { return c.view[a] < c.view[b] }
            if c.key[a] != c.key[b] { return c.key[a].utf8.lexicographicallyPrecedes(c.key[b].utf8) }
            if c.event[a] != c.event[b] { return c.event[a] < c.event[b] }
            if c.created[a] != c.created[b] { return c.created[a] < c.created[b] }
            return c.seq[a] < c.seq[b]
        }
        let history = try HistoryRuns.insertStatement(conn)
        let online = try conn.cached(
            """
            INSERT INTO online (view_id, entity_key, event_ns, created_ns, row) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (view_id, entity_key) DO UPDATE SET
                event_ns = excluded.event_ns, created_ns = excluded.created_ns, row = excluded.row
            WHERE excluded.event_ns > online.event_ns
               OR (excluded.event_ns = online.event_ns AND excluded.created_ns >= online.created_ns)
            """)
        try c.bytes.withUnsafeBytes { bytes in
            /// Binds (view, key, event, created) of row `i` and `blob` as its row.
            func write(_ statement: SQLiteStatement, _ i: Int, _ blob: UnsafeRawBufferPointer) throws {
                statement.reset()
                statement.bind(1, .integer(c.view[i]))
                statement.bind(2, .text(c.key[i]))
                statement.bind(3, .integer(c.event[i]))
                statement.bind(4, .integer(c.created[i]))
                statement.bindBlob(5, blob)
                try statement.step()
            }
            /// Binds (view, run, key, event, created) of row `i` and `blob` as its row.
            func write(_ statement: SQLiteStatement, _ i: Int, _ run: Int64, _ blob: UnsafeRawBufferPointer) throws {
                statement.reset()
                statement.bind(1, .integer(c.view[i]))
                statement.bind(2, .integer(run))
                statement.bind(3, .text(c.key[i]))
                statement.bind(4, .integer(c.event[i]))
                statement.bind(5, .integer(c.created[i]))
                statement.bindBlob(6, blob)
                try statement.step()
            }
            /// Whether rows `a` and `b` have the same history key (view, entity, event, created).
            func sameKey(_ a: Int, _ b: Int) -> Bool {
                c.view[a] == c.view[b] && c.event[a] == c.event[b] && c.created[a] == c.created[b] && c.key[a] == c.key[b]
            }
            var newestOnline: Int?
            var codec: [UInt8] = []
            // Each view's history rows of this chunk become one new run, written in key order.
            var nextRun = try HistoryRuns.nextNumber(conn)
            var run = HistoryRuns.Run.empty(0)
            var runView: Int64 = 0
            for (position, i) in order.enumerated() {
                let row = UnsafeRawBufferPointer(rebasing: bytes[c.row(i)])
                // A later arrival with the same history key replaces this row (they sort together).
                var replaced = false
                var later = position + 1
                while later < order.count, sameKey(order[later], i) {
                    if c.target[order[later]] & 1 != 0 { replaced = true }
                    later += 1
                }
                if c.target[i] & 1 != 0, !replaced {
                    if run.rows == 0 || runView != c.view[i] {
                        if run.rows > 0 { try HistoryRuns.save(conn, viewID: runView, run) }
                        run = .empty(nextRun)
                        runView = c.view[i]
                        nextRun += 1
                    }
                    run.add(event: c.event[i], created: c.created[i])
                    // The history keeps the compact codec form (what joins and training read).
                    codec.removeAll(keepingCapacity: true)
                    OnlineRow.appendCodec(row, to: &codec)
                    try codec.withUnsafeBytes { try write(history, i, run.number, $0) }
                }
                if c.target[i] & 2 != 0 { newestOnline = i }
                // The entity's last row in this order is its newest: write its online row.
                let next = position + 1 < order.count ? order[position + 1] : nil
                if let n = newestOnline, next.map({ c.view[$0] != c.view[i] || c.key[$0] != c.key[i] }) ?? true {
                    // The online table keeps rows in the cache's form, as the inbox does.
                    try write(online, n, UnsafeRawBufferPointer(rebasing: bytes[c.row(n)]))
                    newestOnline = nil
                }
            }
            if run.rows > 0 { try HistoryRuns.save(conn, viewID: runView, run) }
        }
        let delete = try conn.cached("DELETE FROM feature_inbox WHERE seq <= ?")
        delete.bind(1, .integer(lastSeq))
        try delete.step()
        return (c.seq.count, lastSeq)
    }

    /// The newest inbox sequence number (0 when the inbox is empty).
    static func lastSeq(_ conn: SQLiteConnection) throws -> Int64 {
        let statement = try conn.cached("SELECT coalesce(max(seq), 0) FROM feature_inbox")
        defer { statement.reset() }
        _ = try statement.step()
        return statement.int64(0)
    }
}
