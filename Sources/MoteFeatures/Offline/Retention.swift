import MoteCore
import MoteStorage

extension FeatureStore {
    /// What one retention pass removed from a view's history.
    public struct RetentionResult: Sendable, Equatable {
        public var view: String
        public var byAge: Int
        public var byRows: Int
    }

    /// One bounded pass of retention: per view, deletes at most `batch` history rows older than
    /// `max_age`, then at most `batch` of the oldest rows beyond `max_rows`. Each view is its
    /// own short write transaction, so pushes wait little and reads (WAL) never wait.
    /// Call again while it returns deletions to catch up. Rows pushed before the pass are
    /// merged into the history first, so the bounds count them. Runs whose times are all
    /// within the bounds are not read.
    public func enforceRetention(now: Int64, batch: Int = 10_000) throws -> [RetentionResult] {
        try mergePushed()
        var results: [RetentionResult] = []
        for view in definitions.set.views where view.retention.maxAgeNanos != nil || view.retention.maxRows != nil {
            var result = RetentionResult(view: view.name, byAge: 0, byRows: 0)
            let viewID = Int64(view.id)
            try storage.features.write { conn in
                var runs = try HistoryRuns.runs(conn, viewID: viewID)
                if let maxAge = view.retention.maxAgeNanos {
                    let cutoff = now - maxAge
                    for k in runs.indices where runs[k].minEvent < cutoff && result.byAge < batch {
                        let limit = batch - result.byAge
                        try conn.cached(
                            """
                            DELETE FROM feature_history WHERE (view_id, run, entity_key, event_ns, created_ns) IN (
                                SELECT view_id, run, entity_key, event_ns, created_ns FROM feature_history
                                WHERE view_id = ? AND run = ? AND event_ns < ? LIMIT ?)
                            """
                        ).run([.integer(viewID), .integer(runs[k].number), .integer(cutoff), .integer(Int64(limit))])
                        let deleted = conn.changes
                        result.byAge += deleted
                        runs[k].rows -= Int64(deleted)
                        // Fewer than asked: the run holds no row older than the cutoff now.
                        if deleted < limit { runs[k].minEvent = cutoff }
                        try HistoryRuns.save(conn, viewID: viewID, runs[k])
                    }
                    runs.removeAll { $0.rows <= 0 }
                }
                if let maxRows = view.retention.maxRows {
                    let excess = runs.reduce(0) { $0 + Int($1.rows) } - maxRows
                    if excess > 0 {
                        result.byRows = try Self.deleteOldest(conn, viewID: viewID, runs: runs, count: min(excess, batch))
                    }
                }
            }
            if result.byAge > 0 || result.byRows > 0 { results.append(result) }
        }
        return results
    }

    /// Deletes the `count` oldest rows (by event time, then creation time) of a view's runs;
    /// returns how many it deleted.
    private static func deleteOldest(_ conn: SQLiteConnection, viewID: Int64, runs: [HistoryRuns.Run], count: Int) throws -> Int {
        struct Candidate {
            var run: Int
            var key: String
            var event: Int64
            var created: Int64
        }
        // The oldest `count` of each run, then the oldest `count` of those.
        var candidates: [Candidate] = []
        let oldest = try conn.cached(
            """
            SELECT entity_key, event_ns, created_ns FROM feature_history
            WHERE view_id = ? AND run = ? ORDER BY event_ns, created_ns LIMIT ?
            """)
        for (k, run) in runs.enumerated() {
            oldest.reset()
            oldest.bind([.integer(viewID), .integer(run.number), .integer(Int64(count))])
            while try oldest.step() {
                candidates.append(Candidate(run: k, key: oldest.text(0) ?? "", event: oldest.int64(1), created: oldest.int64(2)))
            }
        }
        oldest.reset()
        candidates.sort { ($0.event, $0.created) < ($1.event, $1.created) }
        let delete = try conn.cached(
            "DELETE FROM feature_history WHERE view_id = ? AND run = ? AND entity_key = ? AND event_ns = ? AND created_ns = ?")
        var deleted = Array(repeating: Int64(0), count: runs.count)
        for candidate in candidates.prefix(count) {
            try delete.run([
                .integer(viewID), .integer(runs[candidate.run].number), .text(candidate.key), .integer(candidate.event),
                .integer(candidate.created),
            ])
            deleted[candidate.run] += Int64(conn.changes)
        }
        for (k, var run) in runs.enumerated() where deleted[k] > 0 {
            run.rows -= deleted[k]
            try HistoryRuns.save(conn, viewID: viewID, run)
        }
        return Int(deleted.reduce(0, +))
    }
}
