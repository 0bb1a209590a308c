import MoteCore

extension JoinedTable {
    /// Column names: the entity frame's columns in order, then the features.
    public var columnNames: [String] { frame.columns.map(\.name) + features.map(\.outputName) }

    /// CSV (RFC 4180): a header, then one line per entity row; a missing value is empty.
    public func csv() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + frame.count * (frame.columns.count + features.count) * 12)
        appendCSVHeader(to: &out)
        appendCSV(rows: 0..<frame.count, to: &out)
        return out
    }

    /// The CSV header line.
    public func appendCSVHeader(to out: inout [UInt8]) {
        for (k, name) in columnNames.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            CSV.appendField(name, to: &out)
        }
        out.append(0x0A)
    }

    /// CSV lines of `rows`.
    public func appendCSV(rows: Range<Int>, to out: inout [UInt8]) {
        for row in rows {
            for (k, column) in frame.columns.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                CSV.appendJSON(column.values[row], to: &out)
            }
            for f in 0..<features.count {
                out.append(UInt8(ascii: ","))
                CSV.appendValue(values[f][row], to: &out)
            }
            out.append(0x0A)
        }
    }

    /// JSON lines of `rows`.
    public func appendJSONLines(rows: Range<Int>, to out: inout [UInt8]) {
        let keys = columnNames.map { name -> [UInt8] in
            var key: [UInt8] = []
            JSONWriter.appendString(name, to: &key)
            key.append(UInt8(ascii: ":"))
            return key
        }
        for row in rows {
            out.append(UInt8(ascii: "{"))
            for (k, column) in frame.columns.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: keys[k])
                var w = JSONWriter(capacity: 16)
                w.value(column.values[row])
                out.append(contentsOf: w.bytes)
            }
            for f in 0..<features.count {
                if f > 0 || !frame.columns.isEmpty { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: keys[frame.columns.count + f])
                values[f][row].append(to: &out)
            }
            out.append(UInt8(ascii: "}"))
            out.append(0x0A)
        }
    }
}

/// CSV field writing.
public enum CSV {
    /// Appends text, quoted when it holds a comma, quote, CR or LF.
    public static func appendField(_ text: String, to out: inout [UInt8]) {
        let needsQuotes = text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        if !needsQuotes {
            out.append(contentsOf: text.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for b in text.utf8 {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends a value as a CSV field (null: empty).
    public static func appendValue(_ value: FeatureValue, to out: inout [UInt8]) {
        switch value {
        case .null: break
        case .double(let d): JSONWriter.appendDouble(d, to: &out)
        case .int(let i): JSONWriter.appendInt(i, to: &out)
        case .string(let s): appendField(s, to: &out)
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        }
    }

    static func appendJSON(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: break
        case .string(let s): appendField(s, to: &out)
        case .integer(let i): JSONWriter.appendInt(i, to: &out)
        case .double(let d): JSONWriter.appendDouble(d, to: &out)
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .array, .object:
            var w = JSONWriter()
            w.value(value)
            appendField(String(decoding: w.bytes, as: UTF8.self), to: &out)
        }
    }
}
