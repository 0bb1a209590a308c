import MoteCore

/// The cached rows one online read needs, copied out of the cache (one lock per view, held
/// only for the copy), so that the answer is rendered without holding any lock.
struct FoundRows {
    /// One entity's row in one view, or a miss.
    struct Found {
        var eventNanos: Int64
        var createdNanos: Int64
        /// The row's bytes in `bytes`; a negative start for an entity not cached.
        var start: Int
        var count: Int
        var isFound: Bool { start >= 0 }
    }

    /// Every found row's bytes back to back.
    private(set) var bytes: [UInt8] = []
    /// `rows[group * rowCount + row]`.
    private(set) var rows: [Found] = []
    let rowCount: Int

    /// Looks every key up in each of the plan's views.
    init(plan: ResolvedRead, keys: [String]) {
        rowCount = keys.count
        rows.reserveCapacity(plan.groups.count * keys.count)
        bytes.reserveCapacity(plan.groups.count * keys.count * (2 + 9 * 16))
        for group in plan.groups {
            group.table.rows.withLock { table in
                for key in keys {
                    guard let (event, created, row) = table.find(key) else {
                        rows.append(Found(eventNanos: 0, createdNanos: 0, start: -1, count: 0))
                        continue
                    }
                    rows.append(Found(eventNanos: event, createdNanos: created, start: bytes.count, count: row.count))
                    bytes.append(contentsOf: row)
                }
            }
        }
    }

    /// Entity `row`'s entry in view group `group`.
    @inline(__always)
    func found(_ group: Int, _ row: Int) -> Found { rows[group * rowCount + row] }

    /// Runs `body` with readers over the found rows' bytes.
    func withRows<T>(_ body: (Rows) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { all in
            // One reader per entity and view, made once: a read uses each for every feature.
            let readers = rows.map { f -> (found: Found, row: OnlineRow.Reader)? in
                f.isFound ? (f, OnlineRow.Reader(UnsafeRawBufferPointer(rebasing: all[f.start..<f.start + f.count]))) : nil
            }
            return try body(Rows(readers: readers, rowCount: rowCount))
        }
    }

    /// Readers of the found rows, valid inside `withRows`.
    struct Rows {
        let readers: [(found: Found, row: OnlineRow.Reader)?]
        let rowCount: Int

        /// Entity `row`'s entry in group `group`, nil when not cached.
        @inline(__always)
        func reader(_ group: Int, _ row: Int) -> (found: Found, row: OnlineRow.Reader)? { readers[group * rowCount + row] }

        /// Entity `row`'s entry in group `group`, found or not.
        @inline(__always)
        func found(_ group: Int, _ row: Int) -> Found? { readers[group * rowCount + row]?.found }
    }
}
