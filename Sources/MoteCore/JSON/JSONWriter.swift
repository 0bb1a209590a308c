/// Appends JSON text to a byte array without Foundation. Used for every response body.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public var bytes: [UInt8]
    private var needsComma: [Bool] = [false]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    /// Opens an object (as a value or array element).
    public mutating func beginObject() {
        valuePrefix()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// Closes the innermost object.
    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    /// Opens an array.
    public mutating func beginArray() {
        valuePrefix()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    /// Closes the innermost array.
    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes an object key; the next write is its value.
    public mutating func key(_ name: String) {
        separate()
        JSONWriter.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
        pendingKey = true
    }

    private var pendingKey = false

    private mutating func valuePrefix() {
        if pendingKey {
            pendingKey = false
            needsComma[needsComma.count - 1] = true
        } else {
            separate()
        }
    }

    public mutating func string(_ value: String) {
        valuePrefix()
        JSONWriter.appendString(value, to: &bytes)
    }

    /// Writes an RFC 3339 UTC timestamp string for epoch nanoseconds.
    public mutating func timestamp(nanos: Int64) {
        valuePrefix()
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(nanos: nanos, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int64) {
        valuePrefix()
        JSONWriter.appendInt(value, to: &bytes)
    }

    public mutating func int(_ value: Int) { int(Int64(value)) }

    /// Writes a double; NaN and infinities become `null` (JSON has no such numbers).
    public mutating func double(_ value: Double) {
        valuePrefix()
        JSONWriter.appendDouble(value, to: &bytes)
    }

    public mutating func bool(_ value: Bool) {
        valuePrefix()
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    public mutating func null() {
        valuePrefix()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    /// Writes any parsed JSON value.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .integer(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object {
                key(member.key)
                self.value(member.value)
            }
            endObject()
        }
    }

    // MARK: - Primitive appenders, usable on any byte array (hot paths use these directly).

    /// Appends `value` as a quoted JSON string with the required escapes.
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { appendString(utf8: UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends valid UTF-8 text as a quoted JSON string with the required escapes.
    public static func appendString(utf8: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxStringBytes(utf8.count)) { buffer in
            let n = writeString(utf8, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Room the quoted, escaped text of a string of `count` UTF-8 bytes can take.
    @inline(__always)
    public static func maxStringBytes(_ count: Int) -> Int { 2 + 6 * count }

    /// Writes UTF-8 text as a quoted JSON string with the required escapes through a pointer
    /// to at least `maxStringBytes(utf8.count)` bytes; returns the bytes written.
    public static func writeString(_ utf8: UnsafeRawBufferPointer, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        @inline(__always) func put(_ byte: UInt8) {
            out[n] = byte
            n += 1
        }
        put(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            if b >= 0x20 && b != 0x22 && b != 0x5C { continue }
            if runStart < i {
                (out + n).update(from: utf8.baseAddress!.assumingMemoryBound(to: UInt8.self) + runStart, count: i - runStart)
                n += i - runStart
            }
            runStart = i + 1
            put(0x5C)
            switch b {
            case 0x22: put(0x22)
            case 0x5C: put(0x5C)
            case 0x0A: put(UInt8(ascii: "n"))
            case 0x0D: put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "t"))
            default:
                let hex: StaticString = "0123456789abcdef"
                put(UInt8(ascii: "u"))
                put(0x30)
                put(0x30)
                put(hex.utf8Start[Int(b >> 4)])
                put(hex.utf8Start[Int(b & 0xF)])
            }
        }
        if runStart < utf8.count {
            (out + n).update(from: utf8.baseAddress!.assumingMemoryBound(to: UInt8.self) + runStart, count: utf8.count - runStart)
            n += utf8.count - runStart
        }
        put(UInt8(ascii: "\""))
        return n
    }

    /// Appends the decimal digits of `value`.
    public static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        appendNumber(to: &out) { NumberText.writeInt(value, to: $0) }
    }

    /// Appends a value of a float64 column (`NumberText.writeFloat64`): integral values keep a
    /// fraction (`55.0`) so that a reader that infers types from JSON text sees a float.
    public static func appendFloat64(_ value: Double, to out: inout [UInt8]) {
        appendNumber(to: &out) { NumberText.writeFloat64(value, to: $0) }
    }

    /// Appends the shortest text that reads back as `value`; NaN and infinities as `null`.
    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        appendNumber(to: &out) { NumberText.writeDouble(value, to: $0) }
    }

    /// Appends a non-integral `value` with at most 9 decimals (`NumberText.writeShortDecimal`);
    /// false (nothing appended) outside that range.
    static func appendShortDecimal(_ value: Double, to out: inout [UInt8]) -> Bool {
        var written = 0
        appendNumber(to: &out) {
            written = NumberText.writeShortDecimal(value, to: $0)
            return written
        }
        return written > 0
    }

    @inline(__always)
    private static func appendNumber(to out: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: NumberText.maxBytes) { buffer in
            let n = write(buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
