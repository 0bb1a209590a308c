import MoteCore
import MoteFeatures
import MoteServer

/// A joined table written out piece by piece (about 64 KiB each) as CSV or JSON lines.
final class JoinedTableStream: BodyStream {
    private let table: JoinedTable
    private let csv: Bool
    /// The next row to write; -1 before the CSV header.
    private let cursor: LockedValue<Int>
    static let pieceBytes = 64 * 1024

    init(_ table: JoinedTable, csv: Bool) {
        self.table = table
        self.csv = csv
        cursor = LockedValue(csv ? -1 : 0)
    }

    func next() throws -> [UInt8]? {
        cursor.withLock { row -> [UInt8]? in
            guard row < table.frame.count else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(Self.pieceBytes + 4096)
            if row < 0 {
                table.appendCSVHeader(to: &out)
                row = 0
            }
            while row < table.frame.count, out.count < Self.pieceBytes {
                let stop = min(table.frame.count, row + 256)
                if csv { table.appendCSV(rows: row..<stop, to: &out) } else { table.appendJSONLines(rows: row..<stop, to: &out) }
                row = stop
            }
            return out
        }
    }
}
