import MoteCore

/// Reads Universal Binary JSON (what XGBoost writes for `.ubj` files) into a `JSONValue`:
/// big-endian numbers, length-prefixed strings and keys, and typed, counted arrays
/// (`[$d#L<n>` followed by n raw float32 values). Declared counts and lengths are checked
/// against the bytes left, and nesting is bounded, so a hostile file fails fast.
enum UBJSON {
    static let maxDepth = 64

    static func parse(_ bytes: [UInt8]) throws(ImportError) -> JSONValue {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func byte() throws(ImportError) -> UInt8 {
            guard at < bytes.count else { throw .invalid("UBJSON: the file ends early") }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func bigEndian(_ count: Int) throws(ImportError) -> UInt64 {
            guard count <= bytes.count - at else { throw .invalid("UBJSON: the file ends early") }
            var v: UInt64 = 0
            for k in 0..<count { v = v << 8 | UInt64(bytes[at + k]) }
            at += count
            return v
        }

        mutating func integer(_ marker: UInt8) throws(ImportError) -> Int64 {
            switch marker {
            case UInt8(ascii: "i"): return Int64(Int8(truncatingIfNeeded: try bigEndian(1)))
            case UInt8(ascii: "U"): return Int64(try bigEndian(1))
            case UInt8(ascii: "I"): return Int64(Int16(truncatingIfNeeded: try bigEndian(2)))
            case UInt8(ascii: "l"): return Int64(Int32(truncatingIfNeeded: try bigEndian(4)))
            case UInt8(ascii: "L"): return Int64(bitPattern: try bigEndian(8))
            default: throw .invalid("UBJSON: expected an integer, found marker \(marker)")
            }
        }

        mutating func length() throws(ImportError) -> Int {
            let n = try integer(try byte())
            guard n >= 0, n <= Int64(bytes.count - at) else { throw .invalid("UBJSON: a length of \(n) runs past the end of the file") }
            return Int(n)
        }

        mutating func string() throws(ImportError) -> String {
            let n = try length()
            defer { at += n }
            return String(decoding: bytes[at..<at + n], as: UTF8.self)
        }

        mutating func value(depth: Int) throws(ImportError) -> JSONValue {
            try value(marker: try byte(), depth: depth)
        }

        mutating func value(marker: UInt8, depth: Int) throws(ImportError) -> JSONValue {
            switch marker {
            case UInt8(ascii: "Z"): return .null
            case UInt8(ascii: "T"): return .bool(true)
            case UInt8(ascii: "F"): return .bool(false)
            case UInt8(ascii: "i"), UInt8(ascii: "U"), UInt8(ascii: "I"), UInt8(ascii: "l"), UInt8(ascii: "L"):
                return .integer(try integer(marker))
            case UInt8(ascii: "d"): return .double(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
            case UInt8(ascii: "D"): return .double(Double(bitPattern: try bigEndian(8)))
            case UInt8(ascii: "C"): return .string(String(UnicodeScalar(try byte())))
            case UInt8(ascii: "S"), UInt8(ascii: "H"): return .string(try string())
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                guard depth < UBJSON.maxDepth else { throw .invalid("UBJSON: nesting deeper than \(UBJSON.maxDepth)") }
                return try container(object: marker == UInt8(ascii: "{"), depth: depth + 1)
            default:
                throw .invalid("UBJSON: unknown marker \(marker) at byte \(at - 1)")
            }
        }

        /// An array or object, optimized (`$type#count`, `#count`) or ended by `]`/`}`.
        mutating func container(object: Bool, depth: Int) throws(ImportError) -> JSONValue {
            var type: UInt8?
            var count: Int?
            if at < bytes.count, bytes[at] == UInt8(ascii: "$") {
                at += 1
                type = try byte()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "#") else { throw .invalid("UBJSON: a typed container without a count") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "#") {
                at += 1
                count = try length()
            }
            var items: [JSONValue] = []
            var members: [(key: String, value: JSONValue)] = []
            if let count {
                // Each element takes at least one byte (or none for null/bool types, refused as pointless).
                if let type, [UInt8(ascii: "Z"), UInt8(ascii: "T"), UInt8(ascii: "F"), UInt8(ascii: "N")].contains(type), count > 1_000_000 {
                    throw .invalid("UBJSON: a container of \(count) empty elements")
                }
                if object { members.reserveCapacity(count) } else { items.reserveCapacity(count) }
                for _ in 0..<count {
                    let key = object ? try string() : ""
                    let v: JSONValue
                    if let type { v = try value(marker: type, depth: depth) } else { v = try value(depth: depth) }
                    if object { members.append((key, v)) } else { items.append(v) }
                }
            } else {
                while true {
                    guard at < bytes.count else { throw .invalid("UBJSON: the file ends inside a container") }
                    if bytes[at] == UInt8(ascii: object ? "}" : "]") {
                        at += 1
                        break
                    }
                    if bytes[at] == UInt8(ascii: "N") {
                        at += 1
                        continue
                    }
                    let key = object ? try string() : ""
                    let v = try value(depth: depth)
                    if object { members.append((key, v)) } else { items.append(v) }
                }
            }
            return object ? .object(JSONObject(members)) : .array(items)
        }
    }
}
