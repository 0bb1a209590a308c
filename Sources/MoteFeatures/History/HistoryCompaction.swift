import MoteStorage

/// Merges a view's history runs into fewer, larger ones, so readers merge few runs.
///
/// **Which runs.** Runs are merged only with their neighbours in age (a contiguous range of run
/// numbers), into the range's newest number, so "the newest run wins an exact duplicate" still
/// holds against every run outside the range. From the newest run back, older runs join while
/// each is no larger than those gathered so far (1 % slack); at least `minWidth` runs are
/// merged at once, so runs grow by about `minWidth` times per level and each row is rewritten
/// about log4(rows / chunk) times. A view with more than `maxRuns` runs merges its cheapest
/// `minWidth` neighbours even when no range qualifies.
///
/// **How.** One slice of entities at a time (`sliceRows` rows or `sliceBytes`, whole entities),
/// each its own short transaction: the slice's rows are read from the range's runs through
/// `HistoryReader` (duplicates resolved), deleted from them, and written to the output run in
/// key order. Between slices every row is in exactly
/// one place, so readers (each in its own snapshot) see the same history before, during and
/// after. The compaction under way is kept in `feature_history_compaction`, so a restart
/// resumes it.
enum HistoryCompaction {
    /// Runs merged at once, at least.
    static let minWidth = 4
    /// Above this many runs a view merges runs even while pushes keep the writer busy.
    static let maxRuns = 32
    /// Rows per slice (one transaction), rounded up to a whole entity.
    static let sliceRows = 50_000
    /// A slice also ends (at an entity's end) once its rows hold this many bytes.
    static let sliceBytes = 8 << 20

    /// A compaction: the runs `first...last` of a view, merged into `last`, done for entity
    /// keys up to `afterKey`.
    struct Plan: Equatable {
        var viewID: Int64
        var first: Int64
        var last: Int64
        var afterKey: [UInt8]?
    }

    /// The range of `runs` (oldest first) to merge, as indices; nil when none is due.
    static func pick(_ runs: [HistoryRuns.Run]) -> ClosedRange<Int>? {
        guard runs.count >= minWidth else { return nil }
        let newest = runs.count - 1
        var first = newest
        var gathered = runs[newest].rows
        while first > 0, runs[first - 1].rows * 100 <= gathered * 101 {
            first -= 1
            gathered += runs[first].rows
        }
        if newest - first + 1 >= minWidth { return first...newest }
        guard runs.count > maxRuns else { return nil }
        // Too many runs: the neighbours with the fewest rows.
        var best = 0
        var bestRows = Int64.max
        for start in 0...(runs.count - minWidth) {
            let rows = runs[start..<(start + minWidth)].reduce(0) { $0 + $1.rows }
            if rows < bestRows {
                best = start
                bestRows = rows
            }
        }
        return best...(best + minWidth - 1)
    }

    /// The compaction under way, if any.
    static func current(_ conn: SQLiteConnection) throws -> Plan? {
        let statement = try conn.cached("SELECT view_id, first_run, last_run, after_key FROM feature_history_compaction LIMIT 1")
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return Plan(
            viewID: statement.int64(0), first: statement.int64(1), last: statement.int64(2),
            afterKey: statement.isNull(3) ? nil : Array(statement.bytes(3)))
    }

    /// A new compaction for the first view that has runs to merge (only views with more than
    /// `maxRuns` runs when `onlyOverBound`).
    static func choose(_ conn: SQLiteConnection, onlyOverBound: Bool) throws -> Plan? {
        for viewID in try HistoryRuns.views(conn) {
            let runs = try HistoryRuns.runs(conn, viewID: viewID)
            if onlyOverBound, runs.count <= maxRuns { continue }
            if let range = pick(runs) {
                return Plan(viewID: viewID, first: runs[range.lowerBound].number, last: runs[range.upperBound].number)
            }
        }
        return nil
    }

    /// Does one slice of compaction (inside the caller's write transaction): of the one under
    /// way, or of a new one if a view needs it. Returns false when there was nothing to do.
    static func step(_ conn: SQLiteConnection, onlyOverBound: Bool = false, sliceRows: Int = sliceRows) throws -> Bool {
        var plan: Plan
        if let under = try current(conn) {
            plan = under
        } else if let new = try choose(conn, onlyOverBound: onlyOverBound) {
            plan = new
            try conn.cached("INSERT INTO feature_history_compaction (view_id, first_run, last_run, after_key) VALUES (?, ?, ?, NULL)")
                .run([.integer(plan.viewID), .integer(plan.first), .integer(plan.last)])
        } else {
            return false
        }
        var inputs = try HistoryRuns.runs(conn, viewID: plan.viewID).filter { $0.number >= plan.first && $0.number <= plan.last }
        // The output covers the times of every input.
        var output = inputs.last(where: { $0.number == plan.last })
            ?? .empty(plan.last)
        for run in inputs {
            output.minEvent = min(output.minEvent, run.minEvent)
            output.maxEvent = max(output.maxEvent, run.maxEvent)
            output.maxCreated = max(output.maxCreated, run.maxCreated)
        }

        // The slice: whole entities, from after the last one done.
        var keys: [UInt8] = []
        var keyEnds: [Int] = []
        var events: [Int64] = []
        var created: [Int64] = []
        var bytes: [UInt8] = []
        var rowEnds: [Int] = []
        var lastKey: [UInt8] = []
        var finished = true
        let filter = HistoryReader.Filter(afterKey: plan.afterKey)
        try HistoryReader.scan(conn, viewID: plan.viewID, runs: inputs, filter: filter) { row in
            let newEntity = events.isEmpty || !row.key.elementsEqual(lastKey)
            if newEntity, events.count >= sliceRows || bytes.count >= sliceBytes {
                finished = false
                return false
            }
            if newEntity {
                lastKey.removeAll(keepingCapacity: true)
                lastKey.append(contentsOf: row.key)
            }
            keys.append(contentsOf: row.key)
            keyEnds.append(keys.count)
            events.append(row.event)
            created.append(row.created)
            bytes.append(contentsOf: row.bytes)
            rowEnds.append(bytes.count)
            return true
        }

        if !events.isEmpty {
            // Out of the inputs (the output's own rows too: they are written back merged)...
            let bounded = plan.afterKey != nil
            let delete = try conn.cached(
                bounded
                    ? "DELETE FROM feature_history WHERE view_id = ? AND run = ? AND entity_key > ? AND entity_key <= ?"
                    : "DELETE FROM feature_history WHERE view_id = ? AND run = ? AND entity_key <= ?")
            for k in inputs.indices {
                delete.reset()
                delete.bind(1, .integer(plan.viewID))
                delete.bind(2, .integer(inputs[k].number))
                var next: Int32 = 3
                if let after = plan.afterKey {
                    after.withUnsafeBytes { delete.bindText(next, $0) }
                    next += 1
                }
                lastKey.withUnsafeBytes { delete.bindText(next, $0) }
                try delete.step()
                inputs[k].rows -= Int64(conn.changes)
                if inputs[k].number == output.number { output.rows = inputs[k].rows }
            }
            // ...and into the output, in key order.
            let history = try HistoryRuns.Writer(conn)
            try keys.withUnsafeBytes { keyBytes in
                try bytes.withUnsafeBytes { rowBytes in
                    for i in events.indices {
                        try history.write(
                            viewID: plan.viewID, run: output.number,
                            key: UnsafeRawBufferPointer(rebasing: keyBytes[(i == 0 ? 0 : keyEnds[i - 1])..<keyEnds[i]]),
                            event: events[i], created: created[i],
                            row: UnsafeRawBufferPointer(rebasing: rowBytes[(i == 0 ? 0 : rowEnds[i - 1])..<rowEnds[i]]))
                    }
                }
            }
            output.rows += Int64(events.count)
            for run in inputs where run.number != output.number { try HistoryRuns.save(conn, viewID: plan.viewID, run) }
            try HistoryRuns.save(conn, viewID: plan.viewID, output)
        }

        if finished {
            try conn.cached("DELETE FROM feature_history_compaction WHERE view_id = ?").run([.integer(plan.viewID)])
        } else {
            let update = try conn.cached("UPDATE feature_history_compaction SET after_key = ? WHERE view_id = ?")
            update.reset()
            lastKey.withUnsafeBytes { update.bindText(1, $0) }
            update.bind(2, .integer(plan.viewID))
            try update.step()
        }
        return true
    }
}
