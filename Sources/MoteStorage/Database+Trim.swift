import MoteCore

extension Database {
    /// A table trimmed by age and row count, oldest first: how its rows are named and ordered.
    public struct TrimmedTable: Sendable {
        /// The table.
        public var name: StaticString
        /// The column that identifies a row (`id`, `rowid`).
        public var key: StaticString
        /// The column holding a row's time, epoch nanoseconds.
        public var time: StaticString
        /// The indexed column that orders rows oldest first (the key when it grows with time).
        public var order: StaticString

        public init(name: StaticString, key: StaticString, time: StaticString, order: StaticString) {
            self.name = name
            self.key = key
            self.time = time
            self.order = order
        }
    }

    /// Deletes rows of `table` older than `maxAgeNanos` (0: no age bound) and beyond the
    /// newest `maxRows`, oldest first, in short write transactions of at most `batch` rows (at
    /// most `maxPasses` of them), so writers wait little and readers (WAL) not at all.
    /// Returns how many rows went.
    public func trimOldest(
        _ table: TrimmedTable, now: Int64, maxAgeNanos: Int64, maxRows: Int, batch: Int = 5000, maxPasses: Int = 1000
    ) throws -> Int {
        let (name, key, time, order) = ("\(table.name)", "\(table.key)", "\(table.time)", "\(table.order)")
        var total = 0
        for _ in 0..<maxPasses {
            let deleted = try write { conn -> Int in
                var deleted = 0
                if maxAgeNanos > 0 {
                    try conn.cached("DELETE FROM \(name) WHERE \(key) IN (SELECT \(key) FROM \(name) WHERE \(time) < ? ORDER BY \(order) LIMIT ?)")
                        .run([.integer(now &- maxAgeNanos), .integer(Int64(batch))])
                    deleted += conn.changes
                }
                let count = Int(try conn.scalarInt("SELECT count(*) FROM \(name)") ?? 0)
                if count > maxRows, deleted < batch {
                    try conn.cached("DELETE FROM \(name) WHERE \(key) IN (SELECT \(key) FROM \(name) ORDER BY \(order) LIMIT ?)")
                        .run([.integer(Int64(min(count - maxRows, batch - deleted)))])
                    deleted += conn.changes
                }
                return deleted
            }
            total += deleted
            if deleted < batch { break }
        }
        return total
    }
}
