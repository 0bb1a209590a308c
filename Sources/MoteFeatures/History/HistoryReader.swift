import Glibc
import MoteStorage

/// Reads one view's history across its runs as if it were one table keyed (entity, event,
/// created): rows come in that order (entity keys by their UTF-8 bytes, as SQLite orders
/// them), and a key stored in several runs comes once, with the newest run's row.
///
/// Each run is read by its own statement in key order (the primary key's order: no sort), and
/// the statements' current rows are merged in place, compared through SQLite's own buffers.
struct HistoryReader {
    /// Which rows to read.
    struct Filter {
        /// Entity keys at or after this one.
        var lowerKey: String?
        /// Entity keys before this one.
        var upperKey: String?
        /// Entity keys after this one (a compaction's next slice).
        var afterKey: [UInt8]?
        var minEvent: Int64 = .min
        var maxEvent: Int64 = .max
        /// Only rows created after this time.
        var createdAfter: Int64?

        /// Whether `run` may hold rows this filter wants (by its times).
        func wants(_ run: HistoryRuns.Run) -> Bool {
            run.overlaps(from: minEvent, to: maxEvent) && createdAfter.map { run.maxCreated > $0 } ?? true
        }
    }

    /// One row as read: the bytes are SQLite's, valid only during the call that receives them.
    struct Row {
        var key: UnsafeRawBufferPointer
        var event: Int64
        var created: Int64
        var bytes: UnsafeRawBufferPointer
    }

    /// One run's statement and its current row.
    private struct Cursor {
        let statement: SQLiteStatement
        var live = false
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        var event: Int64 = 0
        var created: Int64 = 0

        mutating func advance() throws {
            live = try statement.step()
            if live {
                key = statement.bytes(0)
                event = statement.int64(1)
                created = statement.int64(2)
            }
        }
    }

    /// Calls `body` with each row of `viewID`, over all its runs, that `filter` wants, in key
    /// order, until it returns false.
    static func scan(_ conn: SQLiteConnection, viewID: Int64, filter: Filter, _ body: (Row) throws -> Bool) throws {
        try scan(conn, viewID: viewID, runs: HistoryRuns.runs(conn, viewID: viewID), filter: filter, body)
    }

    /// Calls `body` with each row of `viewID` in `runs` (oldest run first) that `filter`
    /// wants, in key order, until it returns false.
    static func scan(
        _ conn: SQLiteConnection, viewID: Int64, runs: [HistoryRuns.Run], filter: Filter, _ body: (Row) throws -> Bool
    ) throws {
        var conditions = ""
        var values: [SQLiteValue] = [.integer(viewID), .integer(0)]
        if let lower = filter.lowerKey {
            conditions += " AND entity_key >= ?"
            values.append(.text(lower))
        }
        if let upper = filter.upperKey {
            conditions += " AND entity_key < ?"
            values.append(.text(upper))
        }
        if let after = filter.afterKey {
            conditions += " AND entity_key > ?"
            values.append(.text(String(decoding: after, as: UTF8.self)))
        }
        if filter.minEvent != .min {
            conditions += " AND +event_ns >= ?"
            values.append(.integer(filter.minEvent))
        }
        if filter.maxEvent != .max {
            conditions += " AND +event_ns <= ?"
            values.append(.integer(filter.maxEvent))
        }
        if let created = filter.createdAfter {
            conditions += " AND +created_ns > ?"
            values.append(.integer(created))
        }
        let sql = """
            SELECT entity_key, event_ns, created_ns, row FROM feature_history
            WHERE view_id = ? AND run = ?\(conditions)
            ORDER BY entity_key, event_ns, created_ns
            """
        var cursors: [Cursor] = []
        for run in runs where filter.wants(run) {
            let statement = try conn.prepare(sql)
            values[1] = .integer(run.number)
            statement.bind(values)
            var cursor = Cursor(statement: statement)
            try cursor.advance()
            if cursor.live { cursors.append(cursor) }
        }
        while true {
            // The smallest current key; among equal ones the newest run's (the last).
            var best = -1
            for i in cursors.indices where cursors[i].live {
                if best < 0 || order(cursors[i], cursors[best]) <= 0 { best = i }
            }
            if best < 0 { return }
            let row = Row(
                key: cursors[best].key, event: cursors[best].event, created: cursors[best].created,
                bytes: cursors[best].statement.bytes(3))
            let more = try body(row)
            // Older copies of the same key are passed over, then the row itself.
            for i in cursors.indices where i != best && cursors[i].live && order(cursors[i], cursors[best]) == 0 {
                try cursors[i].advance()
            }
            try cursors[best].advance()
            if !more { return }
        }
    }

    /// -1, 0 or 1 as `a`'s key is before, equal to or after `b`'s.
    private static func order(_ a: Cursor, _ b: Cursor) -> Int {
        let byKey = compare(a.key, b.key)
        if byKey != 0 { return byKey }
        if a.event != b.event { return a.event < b.event ? -1 : 1 }
        if a.created != b.created { return a.created < b.created ? -1 : 1 }
        return 0
    }

    /// Byte order, a prefix first (SQLite's BINARY collation).
    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let shared = min(a.count, b.count)
        if shared > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, shared)
            if c != 0 { return c < 0 ? -1 : 1 }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }
}
