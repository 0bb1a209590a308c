import MoteCore
import MoteStorage

/// Moves rows stored by earlier versions into the binary form the cache now holds
/// (`OnlineRow`), once, in one transaction, at the first start after the upgrade: `online`
/// rows that kept each value's JSON text (migration `0006_online_binary_rows` set them aside
/// as `online_text_rows`; values are read back by their field's type, rows of views no longer
/// defined are dropped: they were never served), and inbox rows in the history's codec form
/// (`0007_inbox_online_rows` set them aside as `feature_inbox_codec_rows`; kept in order).
enum OnlineRowUpgrade {
    static func run(_ database: Database, views: [FeatureViewDefinition]) throws {
        try convertTextRows(database, views: views)
        try convertInboxRows(database)
    }

    private static func convertInboxRows(_ database: Database) throws {
        let pending = try database.read { conn in
            try conn.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'feature_inbox_codec_rows'") ?? 0
        }
        guard pending > 0 else { return }
        try database.write { conn in
            let rows = try conn.prepare(
                "SELECT seq, view_id, entity_key, event_ns, created_ns, target, row FROM feature_inbox_codec_rows ORDER BY seq")
            let insert = try conn.prepare(
                "INSERT INTO feature_inbox (seq, view_id, entity_key, event_ns, created_ns, target, row) VALUES (?, ?, ?, ?, ?, ?, ?)")
            while try rows.step() {
                insert.reset()
                for column in 0..<6 where column != 2 { insert.bind(Int32(column + 1), .integer(rows.int64(Int32(column)))) }
                insert.bind(3, .text(rows.text(2) ?? ""))
                let row = rows.withBlob(6) { OnlineRow.make(fromCodec: $0) }
                row.withUnsafeBytes { insert.bindBlob(7, $0) }
                try insert.step()
            }
            try conn.execute("DROP TABLE feature_inbox_codec_rows")
        }
    }

    private static func convertTextRows(_ database: Database, views: [FeatureViewDefinition]) throws {
        let pending = try database.read { conn in
            try conn.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'online_text_rows'") ?? 0
        }
        guard pending > 0 else { return }
        let byID = Dictionary(views.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        try database.write { conn in
            let rows = try conn.prepare("SELECT view_id, entity_key, event_ns, created_ns, row FROM online_text_rows")
            let insert = try conn.prepare(
                "INSERT OR REPLACE INTO online (view_id, entity_key, event_ns, created_ns, row) VALUES (?, ?, ?, ?, ?)")
            while try rows.step() {
                guard let view = byID[Int(rows.int64(0))] else { continue }
                let values = rows.withBlob(4) { textRow(Array($0), types: view.fields.map(\.type)) }
                guard let values else { continue }
                let row = OnlineRow.make(values)
                insert.reset()
                insert.bind(1, .integer(rows.int64(0)))
                insert.bind(2, .text(rows.text(1) ?? ""))
                insert.bind(3, .integer(rows.int64(2)))
                insert.bind(4, .integer(rows.int64(3)))
                row.withUnsafeBytes { insert.bindBlob(5, $0) }
                try insert.step()
            }
            try conn.execute("DROP TABLE online_text_rows")
        }
    }

    /// The values of a row in the earlier form: a little-endian UInt16 width, that many UInt32
    /// end offsets, then each value's JSON text back to back; nil when malformed.
    static func textRow(_ packed: [UInt8], types: [FeatureType]) -> [FeatureValue]? {
        guard packed.count >= 2 else { return nil }
        let width = Int(packed[0]) | Int(packed[1]) << 8
        let base = 2 + width * 4
        guard packed.count >= base else { return nil }
        var values: [FeatureValue] = []
        var start = 0
        for k in 0..<width {
            let i = 2 + k * 4
            let end = Int(packed[i]) | Int(packed[i + 1]) << 8 | Int(packed[i + 2]) << 16 | Int(packed[i + 3]) << 24
            guard end >= start, base + end <= packed.count else { return nil }
            let text = Array(packed[(base + start)..<(base + end)])
            start = end
            guard k < types.count, let parsed = try? JSONParser.parse(text) else {
                values.append(.null)
                continue
            }
            values.append(FeatureValues.convert(parsed, to: types[k]) ?? .null)
        }
        return values
    }
}
