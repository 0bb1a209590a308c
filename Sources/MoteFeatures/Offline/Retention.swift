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
    /// merged into the history first, so the bounds count them.
    public func enforceRetention(now: Int64, batch: Int = 10_000) throws -> [RetentionResult] {
        try mergePushed()
        var results: [RetentionResult] = []
        for view in definitions.set.views where view.retention.maxAgeNanos != nil || view.retention.maxRows != nil {
            var result = RetentionResult(view: view.name, byAge: 0, byRows: 0)
            try storage.features.write { conn in
                if let maxAge = view.retention.maxAgeNanos {
                    try conn.cached(
                        """
                        DELETE FROM feature_log WHERE (view_id, entity_key, event_ns, created_ns) IN (
                            SELECT view_id, entity_key, event_ns, created_ns FROM feature_log
                            WHERE view_id = ? AND event_ns < ? LIMIT ?)
                        """
                    ).run([.integer(Int64(view.id)), .integer(now - maxAge), .integer(Int64(batch))])
                    result.byAge = conn.changes
                }
                if let maxRows = view.retention.maxRows {
                    let counter = try conn.cached("SELECT count(*) FROM feature_log WHERE view_id = ?")
                    counter.bind(1, .integer(Int64(view.id)))
                    let count = try counter.step() ? Int(counter.int64(0)) : 0
                    let excess = count - maxRows
                    if excess > 0 {
                        try conn.cached(
                            """
                            DELETE FROM feature_log WHERE (view_id, entity_key, event_ns, created_ns) IN (
                                SELECT view_id, entity_key, event_ns, created_ns FROM feature_log
                                WHERE view_id = ? ORDER BY event_ns LIMIT ?)
                            """
                        ).run([.integer(Int64(view.id)), .integer(Int64(min(excess, batch)))])
                        result.byRows = conn.changes
                    }
                }
            }
            if result.byAge > 0 || result.byRows > 0 { results.append(result) }
        }
        return results
    }
}
