import MoteCore

/// Fuzz targets of the text parsers.
enum TextFuzz {
    static func json(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        var writer = JSONWriter()
        writer.value(value)
        guard let again = try? JSONParser.parse(writer.bytes) else {
            require(false, "JSON written from a parsed document does not parse: \(String(decoding: writer.bytes, as: UTF8.self))")
            return
        }
        require(same(value, again), "JSON does not read back as written: \(String(decoding: writer.bytes, as: UTF8.self))")
    }

    /// Equal as JSON values: numbers by their value (`1.0` may be written `1`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.object(let x), .object(let y)):
            return x.members.count == y.members.count && zip(x.members, y.members).allSatisfy { $0.key == $1.key && same($0.value, $1.value) }
        case (.integer, _), (.double, _):
            guard let p = a.doubleValue, let q = b.doubleValue else { return false }
            return p == q
        default:
            return a == b
        }
    }

    static func toml(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        _ = try? TOMLParser.parse(text)
    }

    static func csv(_ bytes: UnsafeRawBufferPointer) {
        var reader = CSVReader(bytes: Array(bytes))
        var rows = 0
        while let row = reader.next() {
            rows += 1
            require(rows <= bytes.count + 1, "more CSV rows than bytes")
            require(row.count <= bytes.count + 1, "more CSV fields than bytes")
        }
    }

    static func rfc3339(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= 256, let text = String(validating: bytes, as: UTF8.self), let nanos = RFC3339.parse(text) else { return }
        // Written with microsecond precision: the instant floored to the microsecond comes back.
        let written = RFC3339.format(nanos: nanos)
        let floored = nanos - ((nanos % 1000) + 1000) % 1000
        require(RFC3339.parse(written) == floored, "'\(text)' -> \(nanos) -> '\(written)' reads back as \(String(describing: RFC3339.parse(written)))")
    }
}
