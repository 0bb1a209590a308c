import MoteCore

/// The binary form of an entity's newest row as the online cache holds it and the `online`
/// table stores it (a restart copies these bytes): values are kept as numbers, 8 bytes each,
/// and written as JSON text only when read.
///
/// Layout: a little-endian UInt16 width `w`; `w` tag bytes (the low 3 bits `FeatureRowCodec`'s
/// type: 0 null, 1 float64, 2 int64, 3 string, 4 bool; for a float64 the high 5 bits its
/// shortest count of decimals, `NumberText.shortestDecimals`, found once when the row is
/// stored so that a read writes the text without searching for it; 0 where that does not
/// apply); `w` 8-byte slots (the number's bits, a bool as 0/1, a string's offset and length
/// as two UInt32 into the text that follows); then the strings' UTF-8 bytes. Any field is
/// found without walking the others.
enum OnlineRow {
    /// Appends the form of a row of `width` values, value `k` being `value(k)` (a push's row,
    /// read from its columns).
    @inline(__always)
    static func append(width: Int, to out: inout [UInt8], value: (Int) -> FeatureValue) {
        var text = 0
        for k in 0..<width { if case .string(let s) = value(k) { text += s.utf8.count } }
        let size = 2 + width * 9 + text
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: size))
        out.withUnsafeMutableBytes { buffer in
            let base = buffer.baseAddress! + start
            base.storeBytes(of: UInt16(truncatingIfNeeded: width).littleEndian, as: UInt16.self)
            let tags = base + 2
            let slots = tags + width
            var offset = 2 + width * 9
            for k in 0..<width {
                var tag: UInt8 = 0
                var slot: UInt64 = 0
                switch value(k) {
                case .null: break
                case .double(let d):
                    tag = 1 | UInt8(truncatingIfNeeded: NumberText.shortestDecimals(d) << 3)
                    slot = d.bitPattern
                case .int(let i):
                    tag = 2
                    slot = UInt64(bitPattern: i)
                case .string(var s):
                    tag = 3
                    let n = s.withUTF8 { utf8 in
                        if utf8.count > 0 { (base + offset).copyMemory(from: utf8.baseAddress!, byteCount: utf8.count) }
                        return utf8.count
                    }
                    slot = UInt64(UInt32(offset)) | UInt64(UInt32(n)) << 32
                    offset += n
                case .bool(let b):
                    tag = 4
                    slot = b ? 1 : 0
                }
                tags.storeBytes(of: tag, toByteOffset: k, as: UInt8.self)
                slots.storeBytes(of: slot.littleEndian, toByteOffset: k * 8, as: UInt64.self)
            }
        }
    }

    /// Appends a row's values in the history's binary form (`FeatureRowCodec`).
    static func appendCodec(_ row: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let reader = Reader(row)
        FeatureRowCodec.appendHeader(count: reader.width, to: &out)
        for k in 0..<reader.width { FeatureRowCodec.append(reader.value(k), to: &out) }
    }

    /// The form of a row in `FeatureRowCodec` bytes (rows stored by an earlier version),
    /// decoded by the codec itself.
    static func make(fromCodec codec: UnsafeRawBufferPointer) -> [UInt8] {
        make(FeatureRowCodec.decode(codec, width: FeatureRowCodec.width(codec)))
    }

    /// The form of a row of values.
    static func make(_ values: [FeatureValue]) -> [UInt8] {
        var out: [UInt8] = []
        append(width: values.count, to: &out) { values[$0] }
        return out
    }

    /// Whether `bytes` are a well-formed row (what a restart checks before caching them).
    static func isWellFormed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 2 else { return false }
        let row = Reader(bytes)
        guard bytes.count >= 2 + row.width * 9 else { return false }
        for k in 0..<row.width {
            switch row.type(k) {
            case 0, 2, 4: guard row.tag(k) >> 3 == 0 else { return false }
            case 1: guard row.tag(k) >> 3 <= 20 else { return false }
            case 3:
                let (offset, count) = row.stringSpan(k)
                guard offset >= 2 + row.width * 9, offset + count <= bytes.count else { return false }
            default: return false
            }
        }
        return true
    }

    /// Reads a row in place.
    struct Reader {
        let bytes: UnsafeRawBufferPointer

        @inline(__always)
        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// How many values the row has (rows pushed before a field was added have fewer).
        @inline(__always)
        var width: Int { Int(bytes.loadUnaligned(as: UInt16.self).littleEndian) }

        /// Value `field`'s tag; 0 (null) past the row's width.
        @inline(__always)
        func tag(_ field: Int) -> UInt8 { field < width ? bytes[2 + field] : 0 }

        /// Value `field`'s type (its tag's low bits).
        @inline(__always)
        func type(_ field: Int) -> UInt8 { tag(field) & 7 }

        @inline(__always)
        func slot(_ field: Int) -> UInt64 {
            bytes.loadUnaligned(fromByteOffset: 2 + width + field * 8, as: UInt64.self).littleEndian
        }

        @inline(__always)
        func stringSpan(_ field: Int) -> (offset: Int, count: Int) {
            let slot = slot(field)
            return (Int(UInt32(truncatingIfNeeded: slot)), Int(slot >> 32))
        }

        /// Whether value `field` is null (or past the row's width).
        @inline(__always)
        func isNull(_ field: Int) -> Bool { type(field) == 0 }

        /// Value `field` (null past the row's width).
        func value(_ field: Int) -> FeatureValue {
            switch type(field) {
            case 1: return .double(Double(bitPattern: slot(field)))
            case 2: return .int(Int64(bitPattern: slot(field)))
            case 3:
                let (offset, count) = stringSpan(field)
                return .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]), as: UTF8.self))
            case 4: return .bool(slot(field) != 0)
            default: return .null
            }
        }

        /// Room value `field`'s JSON text can take.
        @inline(__always)
        func maxJSONBytes(_ field: Int) -> Int {
            switch type(field) {
            case 1, 2: return NumberText.maxBytes
            case 3: return JSONWriter.maxStringBytes(stringSpan(field).count)
            default: return 5
            }
        }

        /// Writes value `field` as JSON (`null` past the row's width) as it was pushed: a float64
        /// keeps a fraction (`55.0`). Returns the bytes written (at most `maxJSONBytes`).
        @inline(__always)
        func writeJSON(_ field: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
            let tag = tag(field)
            switch tag & 7 {
            case 1:
                let decimals = Int(tag >> 3)
                let value = Double(bitPattern: slot(field))
                return decimals > 0
                    ? NumberText.writeDecimal(value, decimals: decimals, to: out) : NumberText.writeFloat64(value, to: out)
            case 2: return NumberText.writeInt(Int64(bitPattern: slot(field)), to: out)
            case 3:
                let (offset, count) = stringSpan(field)
                return JSONWriter.writeString(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]), to: out)
            case 4:
                let text: StaticString = slot(field) != 0 ? "true" : "false"
                out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
                return text.utf8CodeUnitCount
            default:
                let text: StaticString = "null"
                out.update(from: text.utf8Start, count: 4)
                return 4
            }
        }
    }
}
