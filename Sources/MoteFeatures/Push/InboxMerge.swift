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
    /// Rows per chunk when the merge is behind (half the bound waiting, a reader merging
    /// first): the `online` table's pages, which a chunk of random entities mostly touches
    /// whatever its size, are shared by more rows (2M-row bulk load: 131k rows/s with chunks
    /// of 50 000, 186k with 200 000). Bounded by `maxChunkBytes` too.
    static let largeChunkRows = 200_000
    /// A chunk also ends once it holds this many bytes of rows (both forms): wide rows make
    /// fewer per chunk, so a merge's memory stays bounded whatever the views' widths.
    static let maxChunkBytes = 24 << 20

    /// A chunk read from the inbox, in merge order, its history rows already in the codec form:
    /// made from a read snapshot, outside the write transaction (only merges delete inbox rows,
    /// one at a time, so the rows are still there when it is written).
    struct Chunk {
        var seq: [Int64] = []
        var view: [Int64] = []
        var keyBytes: [UInt8] = []
        var keyEnds: [Int] = []
        var event: [Int64] = []
        var created: [Int64] = []
        var target: [Int64] = []
        /// Online rows (the cache's form), and the history's codec form of the same rows.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var codec: [UInt8] = []
        var codecEnds: [Int] = []
        /// Row indices in key order (view, entity bytes, event, created, arrival).
        var order: [Int] = []

        var count: Int { seq.count }
        var lastSeq: Int64? { seq.last }
        func key(_ i: Int) -> Range<Int> { (i == 0 ? 0 : keyEnds[i - 1])..<keyEnds[i] }
        func row(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }
        func codecRow(_ i: Int) -> Range<Int> { (i == 0 ? 0 : codecEnds[i - 1])..<codecEnds[i] }
    }

    /// Reads up to `limit` of the oldest inbox rows with `seq <= through` (fewer once they hold
    /// `maxChunkBytes`) and puts them in merge order; nil when there are none.
    static func read(_ conn: SQLiteConnection, through: Int64, limit: Int) throws -> Chunk? {
        let select = try conn.cached(
            "SELECT seq, view_id, entity_key, event_ns, created_ns, target, row FROM feature_inbox WHERE seq <= ? ORDER BY seq LIMIT ?")
        defer { select.reset() }
        select.bind(1, .integer(through))
        select.bind(2, .integer(Int64(limit)))
        var c = Chunk()
        while c.bytes.count + c.codec.count < maxChunkBytes, try select.step() {
            c.seq.append(select.int64(0))
            c.view.append(select.int64(1))
            c.keyBytes.append(contentsOf: select.bytes(2))
            c.keyEnds.append(c.keyBytes.count)
            c.event.append(select.int64(3))
            c.created.append(select.int64(4))
            let target = select.int64(5)
            c.target.append(target)
            let row = select.bytes(6)
            c.bytes.append(contentsOf: row)
            c.ends.append(c.bytes.count)
            // The history keeps the compact codec form (what joins and training read).
            if target & 1 != 0 { OnlineRow.appendCodec(row, to: &c.codec) }
            c.codecEnds.append(c.codec.count)
        }
        guard !c.seq.isEmpty else { return nil }
        // Key order (SQLite's: view, then the key's bytes), then time, then arrival.
        c.order = c.keyBytes.withUnsafeBytes { keys in
            c.seq.indices.sorted { a, b in
                if c.view[a] != c.view[b] { return c.view[a] < c.view[b] }
                let byKey = HistoryReader.compare(
                    UnsafeRawBufferPointer(rebasing: keys[c.key(a)]), UnsafeRawBufferPointer(rebasing: keys[c.key(b)]))
                if byKey != 0 { return byKey < 0 }
                if c.event[a] != c.event[b] { return c.event[a] < c.event[b] }
                if c.created[a] != c.created[b] { return c.created[a] < c.created[b] }
                return c.seq[a] < c.seq[b]
            }
        }
        return c
    }

    /// Writes a chunk (inside the caller's write transaction): each view's history rows as a
    /// new run, each entity's newest row to the online table, and removes the rows from the
    /// inbox. Returns how many rows it merged and the last sequence number.
    static func write(_ c: Chunk, _ conn: SQLiteConnection) throws -> (rows: Int, lastSeq: Int64) {
        let history = try HistoryRuns.Writer(conn)
        let online = try conn.cached(
            """
            INSERT INTO online (view_id, entity_key, event_ns, created_ns, row) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (view_id, entity_key) DO UPDATE SET
                event_ns = excluded.event_ns, created_ns = excluded.created_ns, row = excluded.row
            WHERE excluded.event_ns > online.event_ns
               OR (excluded.event_ns = online.event_ns AND excluded.created_ns >= online.created_ns)
            """)
        try c.keyBytes.withUnsafeBytes { keys in
            try c.bytes.withUnsafeBytes { bytes in
                try c.codec.withUnsafeBytes { codec in
                    /// Row `i`'s entity key bytes.
                    func key(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: keys[c.key(i)]) }
                    /// Whether rows `a` and `b` are of the same entity of the same view.
                    func sameEntity(_ a: Int, _ b: Int) -> Bool {
                        c.view[a] == c.view[b] && HistoryReader.compare(key(a), key(b)) == 0
                    }
                    /// Whether rows `a` and `b` have the same history key (view, entity, event, created).
                    func sameKey(_ a: Int, _ b: Int) -> Bool {
                        c.event[a] == c.event[b] && c.created[a] == c.created[b] && sameEntity(a, b)
                    }
                    var newestOnline: Int?
                    // Each view's history rows of this chunk become one new run, written in key order.
                    var nextRun = try HistoryRuns.nextNumber(conn)
                    var run = HistoryRuns.Run.empty(0)
                    var runView: Int64 = 0
                    for (position, i) in c.order.enumerated() {
                        // A later arrival with the same history key replaces this row (they sort together).
                        var replaced = false
                        var later = position + 1
                        while later < c.order.count, sameKey(c.order[later], i) {
                            if c.target[c.order[later]] & 1 != 0 { replaced = true }
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
                            try history.write(
                                viewID: c.view[i], run: run.number, key: key(i), event: c.event[i], created: c.created[i],
                                row: UnsafeRawBufferPointer(rebasing: codec[c.codecRow(i)]))
                        }
                        if c.target[i] & 2 != 0 { newestOnline = i }
                        // The entity's last row in this order is its newest: write its online row
                        // (the online table keeps rows in the cache's form, as the inbox does).
                        let next = position + 1 < c.order.count ? c.order[position + 1] : nil
                        if let n = newestOnline, next.map({ !sameEntity($0, i) }) ?? true {
                            online.reset()
                            online.bind(1, .integer(c.view[n]))
                            online.bindText(2, key(n))
                            online.bind(3, .integer(c.event[n]))
                            online.bind(4, .integer(c.created[n]))
                            online.bindBlob(5, UnsafeRawBufferPointer(rebasing: bytes[c.row(n)]))
                            try online.step()
                            newestOnline = nil
                        }
                    }
                    if run.rows > 0 { try HistoryRuns.save(conn, viewID: runView, run) }
                }
            }
        }
        let lastSeq = c.lastSeq ?? 0
        let delete = try conn.cached("DELETE FROM feature_inbox WHERE seq <= ?")
        delete.bind(1, .integer(lastSeq))
        try delete.step()
        delete.reset()
        return (c.count, lastSeq)
    }

    /// The newest inbox sequence number (0 when the inbox is empty).
    static func lastSeq(_ conn: SQLiteConnection) throws -> Int64 {
        let statement = try conn.cached("SELECT coalesce(max(seq), 0) FROM feature_inbox")
        defer { statement.reset() }
        _ = try statement.step()
        return statement.int64(0)
    }
}
