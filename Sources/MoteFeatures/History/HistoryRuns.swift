import MoteStorage

/// The feature history is kept in sorted runs (`feature_history`): each merge of pushed rows
/// writes them as a new run of one view, sorted by (entity, event, created), at the end of the
/// table's key range, so its pages are written once each and in order whatever entities the
/// rows belong to. Runs are merged into larger ones in the background (`HistoryCompaction`);
/// readers merge a view's runs on the fly (`HistoryReader`).
///
/// Run numbers grow with time across the whole table: where two runs hold a row with the same
/// (view, entity, event, created), the higher run's row is the one stored (the later push
/// replaces the earlier, as one table with that key would). `feature_history_runs` keeps each
/// run's row count and the span of its event and creation times, so readers skip runs outside
/// the times they want.
enum HistoryRuns {
    /// One run of a view, as `feature_history_runs` describes it.
    struct Run: Sendable, Equatable {
        var number: Int64
        /// Rows in the run (exact: kept with every write to it).
        var rows: Int64
        /// The oldest and newest event time of its rows (bounds: a run may hold no row at
        /// either end once rows are deleted or moved).
        var minEvent: Int64
        var maxEvent: Int64
        /// The newest creation time of its rows (a bound, as above).
        var maxCreated: Int64

        /// A run with no rows yet.
        static func empty(_ number: Int64) -> Run {
            Run(number: number, rows: 0, minEvent: .max, maxEvent: .min, maxCreated: .min)
        }

        /// Counts a row written to the run.
        mutating func add(event: Int64, created: Int64) {
            rows += 1
            minEvent = min(minEvent, event)
            maxEvent = max(maxEvent, event)
            maxCreated = max(maxCreated, created)
        }

        /// Whether the run may hold rows with `from <= event <= to`.
        func overlaps(from: Int64, to: Int64) -> Bool { maxEvent >= from && minEvent <= to }
    }

    /// The runs of `viewID`, oldest first.
    static func runs(_ conn: SQLiteConnection, viewID: Int64) throws -> [Run] {
        let statement = try conn.cached(
            "SELECT run, rows, min_event_ns, max_event_ns, max_created_ns FROM feature_history_runs WHERE view_id = ? ORDER BY run")
        defer { statement.reset() }
        statement.bind(1, .integer(viewID))
        var runs: [Run] = []
        while try statement.step() {
            runs.append(
                Run(
                    number: statement.int64(0), rows: statement.int64(1), minEvent: statement.int64(2),
                    maxEvent: statement.int64(3), maxCreated: statement.int64(4)))
        }
        return runs
    }

    /// The views that have runs.
    static func views(_ conn: SQLiteConnection) throws -> [Int64] {
        let statement = try conn.cached("SELECT DISTINCT view_id FROM feature_history_runs ORDER BY view_id")
        defer { statement.reset() }
        var views: [Int64] = []
        while try statement.step() { views.append(statement.int64(0)) }
        return views
    }

    /// The number a new run takes: above every run stored.
    static func nextNumber(_ conn: SQLiteConnection) throws -> Int64 {
        let statement = try conn.cached("SELECT coalesce(max(run), 0) + 1 FROM feature_history_runs")
        defer { statement.reset() }
        _ = try statement.step()
        return statement.int64(0)
    }

    /// Rows stored for `viewID` over all its runs (a row stored in two runs, not yet merged
    /// into one, counts twice).
    static func rowCount(_ conn: SQLiteConnection, viewID: Int64) throws -> Int64 {
        let statement = try conn.cached("SELECT coalesce(sum(rows), 0) FROM feature_history_runs WHERE view_id = ?")
        defer { statement.reset() }
        statement.bind(1, .integer(viewID))
        _ = try statement.step()
        return statement.int64(0)
    }

    /// Writes a run's description (a new run, or one whose rows changed).
    static func save(_ conn: SQLiteConnection, viewID: Int64, _ run: Run) throws {
        if run.rows <= 0 {
            try conn.cached("DELETE FROM feature_history_runs WHERE view_id = ? AND run = ?")
                .run([.integer(viewID), .integer(run.number)])
            return
        }
        try conn.cached(
            """
            INSERT INTO feature_history_runs (view_id, run, rows, min_event_ns, max_event_ns, max_created_ns)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (view_id, run) DO UPDATE SET rows = excluded.rows, min_event_ns = excluded.min_event_ns,
                max_event_ns = excluded.max_event_ns, max_created_ns = excluded.max_created_ns
            """
        ).run([
            .integer(viewID), .integer(run.number), .integer(run.rows), .integer(run.minEvent), .integer(run.maxEvent),
            .integer(run.maxCreated),
        ])
    }

    /// Writes rows into runs, through one prepared statement.
    struct Writer {
        private let insert: SQLiteStatement

        init(_ conn: SQLiteConnection) throws {
            insert = try conn.cached(
                "INSERT INTO feature_history (view_id, run, entity_key, event_ns, created_ns, row) VALUES (?, ?, ?, ?, ?, ?)")
        }

        /// Writes one row (`key` the entity key's UTF-8 bytes, `row` the codec form) to `run`.
        func write(viewID: Int64, run: Int64, key: UnsafeRawBufferPointer, event: Int64, created: Int64, row: UnsafeRawBufferPointer) throws {
            insert.reset()
            insert.bind(1, .integer(viewID))
            insert.bind(2, .integer(run))
            insert.bindText(3, key)
            insert.bind(4, .integer(event))
            insert.bind(5, .integer(created))
            insert.bindBlob(6, row)
            try insert.step()
        }
    }
}
