/// Reads the protocol-buffers wire format (what an ONNX file is): varints, fixed 32/64-bit
/// values and length-delimited fields, each length checked against the bytes left, so a
/// truncated file or a huge declared size is an error, never a read past the end.
struct ProtobufReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at: Int
    let end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from: Int = 0, to: Int? = nil) {
        self.bytes = bytes
        self.at = from
        self.end = to ?? bytes.count
    }

    var atEnd: Bool { at >= end }

    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    mutating func varint() throws(ImportError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < end else { throw .invalid("ONNX file is truncated (inside a number)") }
            let b = bytes[at]
            at += 1
            guard shift < 64 else { throw .invalid("ONNX file holds a number longer than 64 bits") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    /// The next field's number and wire type, or nil at the end.
    mutating func field() throws(ImportError) -> (number: Int, type: WireType)? {
        guard !atEnd else { return nil }
        let key = try varint()
        guard let type = WireType(rawValue: UInt8(key & 7)) else { throw .invalid("ONNX file has an unknown wire type \(key & 7)") }
        guard key >> 3 >= 1, key >> 3 < 1 << 29 else { throw .invalid("ONNX file has a bad field number") }
        return (Int(key >> 3), type)
    }

    /// The range of a length-delimited field's bytes (and moves past them).
    mutating func lengthDelimited() throws(ImportError) -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(end - at) else { throw .invalid("ONNX file declares \(n) bytes where \(end - at) remain") }
        let r = at..<(at + Int(n))
        at += Int(n)
        return r
    }

    mutating func fixed32() throws(ImportError) -> UInt32 {
        guard end - at >= 4 else { throw .invalid("ONNX file is truncated") }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[at + k]) << (8 * k) }
        at += 4
        return v
    }

    mutating func fixed64() throws(ImportError) -> UInt64 {
        guard end - at >= 8 else { throw .invalid("ONNX file is truncated") }
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * k) }
        at += 8
        return v
    }

    mutating func skip(_ type: WireType) throws(ImportError) {
        switch type {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        }
    }

    mutating func string() throws(ImportError) -> String {
        let r = try lengthDelimited()
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    mutating func message(_ type: WireType) throws(ImportError) -> ProtobufReader {
        guard type == .lengthDelimited else { throw .invalid("ONNX file: a message field has the wrong wire type") }
        let r = try lengthDelimited()
        return ProtobufReader(bytes, from: r.lowerBound, to: r.upperBound)
    }

    /// A repeated varint field, packed or not, appended to `out`.
    mutating func varints(_ type: WireType, into out: inout [Int64]) throws(ImportError) {
        if type == .varint {
            out.append(Int64(bitPattern: try varint()))
            return
        }
        var inner = try message(type)
        while !inner.atEnd { out.append(Int64(bitPattern: try inner.varint())) }
    }

    /// A repeated float field, packed or not.
    mutating func floats(_ type: WireType, into out: inout [Float]) throws(ImportError) {
        if type == .fixed32 {
            out.append(Float(bitPattern: try fixed32()))
            return
        }
        var inner = try message(type)
        guard (inner.end - inner.at) % 4 == 0 else { throw .invalid("ONNX file: packed floats of a length not a multiple of 4") }
        out.reserveCapacity(out.count + (inner.end - inner.at) / 4)
        while !inner.atEnd { out.append(Float(bitPattern: try inner.fixed32())) }
    }

    /// A repeated double field, packed or not.
    mutating func doubles(_ type: WireType, into out: inout [Double]) throws(ImportError) {
        if type == .fixed64 {
            out.append(Double(bitPattern: try fixed64()))
            return
        }
        var inner = try message(type)
        guard (inner.end - inner.at) % 8 == 0 else { throw .invalid("ONNX file: packed doubles of a length not a multiple of 8") }
        while !inner.atEnd { out.append(Double(bitPattern: try inner.fixed64())) }
    }
}
