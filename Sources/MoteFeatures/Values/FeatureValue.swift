public import MoteCore

/// One feature value as stored and served.
public enum FeatureValue: Sendable, Equatable {
    case null
    case double(Double)
    case int(Int64)
    case string(String)
    case bool(Bool)

    /// Writes the value as JSON (`null` for null).
    @inlinable
    public func write(into w: inout JSONWriter) {
        switch self {
        case .null: w.null()
        case .double(let d): w.double(d)
        case .int(let i): w.int(i)
        case .string(let s): w.string(s)
        case .bool(let b): w.bool(b)
        }
    }

    /// Appends the value as JSON text (`null` for null) to raw bytes.
    @inlinable
    public func append(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .double(let d): JSONWriter.appendFloat64(d, to: &out)
        case .int(let i): JSONWriter.appendInt(i, to: &out)
        case .string(let s): JSONWriter.appendString(s, to: &out)
        case .bool(let b): b ? out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) : out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// The binary form of a row's values in SQLite: per value a tag byte and its payload
/// (little-endian 8 bytes for numbers, length-prefixed UTF-8 for strings, one byte for bools).
public enum FeatureRowCodec {
    public static func encode(_ values: [FeatureValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 + values.count * 9)
        out.append(UInt8(truncatingIfNeeded: values.count))
        out.append(UInt8(truncatingIfNeeded: values.count >> 8))
        for value in values { append(value, to: &out) }
        return out
    }

    /// Appends the row header for `count` values (then call `append(_:to:)` per value).
    public static func appendHeader(count: Int, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: count))
        out.append(UInt8(truncatingIfNeeded: count >> 8))
    }

    /// Appends one value's tag and payload.
    public static func append(_ value: FeatureValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(0)
        case .double(let d):
            out.append(1)
            append(d.bitPattern, to: &out)
        case .int(let i):
            out.append(2)
            append(UInt64(bitPattern: i), to: &out)
        case .string(let s):
            out.append(3)
            append32(UInt32(s.utf8.count), to: &out)
            out.append(contentsOf: s.utf8)
        case .bool(let b):
            out.append(4)
            out.append(b ? 1 : 0)
        }
    }

    /// How many values an encoded row holds (its header); 0 for bytes too short to have one.
    public static func width(_ bytes: UnsafeRawBufferPointer) -> Int {
        bytes.count >= 2 ? Int(bytes[0]) | Int(bytes[1]) << 8 : 0
    }

    /// Decodes a row; `width` pads (with null) rows written before fields were added.
    public static func decode(_ bytes: UnsafeRawBufferPointer, width: Int) -> [FeatureValue] {
        var values: [FeatureValue] = []
        values.reserveCapacity(width)
        decode(bytes, width: width, into: &values)
        return values
    }

    /// Decodes a row into `values`, replacing what it held and keeping its storage (a loop over
    /// many rows allocates once).
    public static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, into values: inout [FeatureValue]) {
        values.removeAll(keepingCapacity: true)
        guard bytes.count >= 2 else {
            values.append(contentsOf: repeatElement(.null, count: width))
            return
        }
        let count = Int(bytes[0]) | Int(bytes[1]) << 8
        var i = 2
        for _ in 0..<count {
            guard i < bytes.count else { break }
            let tag = bytes[i]
            i += 1
            switch tag {
            case 1 where i + 8 <= bytes.count:
                values.append(.double(Double(bitPattern: read64(bytes, i))))
                i += 8
            case 2 where i + 8 <= bytes.count:
                values.append(.int(Int64(bitPattern: read64(bytes, i))))
                i += 8
            case 3 where i + 4 <= bytes.count:
                let n = Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
                i += 4
                let end = min(bytes.count, i + n)
                values.append(.string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)))
                i = end
            case 4 where i < bytes.count:
                values.append(.bool(bytes[i] != 0))
                i += 1
            default:
                values.append(.null)
            }
        }
        while values.count < width { values.append(.null) }
    }

    public static func decode(_ bytes: [UInt8], width: Int) -> [FeatureValue] {
        bytes.withUnsafeBytes { decode($0, width: width) }
    }

    private static func append(_ v: UInt64, to out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> UInt64(k * 8))) }
    }

    private static func append32(_ v: UInt32, to out: inout [UInt8]) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> UInt32(k * 8))) }
    }

    private static func read64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(b[i + k]) << UInt64(k * 8) }
        return v
    }
}
