/// A scanner for the plain subset of JSON the hot paths take (online reads, infer): it never
/// reports errors, it says "not plain" (nil or false) and the caller falls back to the full
/// parser, which then reports them.
public struct PlainJSONScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var index: Int
    public let end: Int

    public init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.index = start
        self.end = end ?? bytes.count
    }

    @inline(__always)
    public mutating func skipWhitespace() {
        while index < end {
            let b = bytes[index]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            index += 1
        }
    }

    public var atEnd: Bool {
        mutating get {
            skipWhitespace()
            return index == end
        }
    }

    /// Skips whitespace and `byte` if it comes next.
    @inline(__always)
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < end, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string of printable ASCII without escapes: the range of its content.
    public mutating func string() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        guard let base = bytes.baseAddress else { return nil }
        var i = index
        let stop = end
        while i < stop {
            let b = base[i]
            if b == UInt8(ascii: "\"") {
                index = i + 1
                return start..<i
            }
            // Printable ASCII other than a backslash; anything else is left to the parser.
            guard b &- 0x20 < 0x5F, b != UInt8(ascii: "\\") else { return nil }
            i += 1
        }
        return nil
    }

    /// The next value of a key column (after its comma unless `first`) as key text.
    @inline(__always)
    public mutating func keyPart(first: Bool, string: Bool) -> String? {
        if !first { guard consume(UInt8(ascii: ",")) else { return nil } }
        if string {
            guard let range = self.string() else { return nil }
            return text(range)
        }
        return integer().map { String($0) }
    }

    /// An integer literal that fits Int64 (no fraction, no exponent, no leading zeros).
    public mutating func integer() -> Int64? {
        skipWhitespace()
        let start = index
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digits = index
        while index < end, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        guard index > digits, index - digits == 1 || bytes[digits] != 0x30 else { return nil }
        if index < end, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") { return nil }
        return JSONCursor.parseInt64(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    }

    /// A number: an integer or a decimal (exact, via `JSONCursor.parseDouble`); nil when the
    /// next value is not a JSON number, or is one past the largest double (the full parser
    /// then refuses it).
    public mutating func number() -> Double? {
        skipWhitespace()
        let start = index
        guard let exact = scanNumber() else { return nil }
        if let exact { return exact }
        let value = JSONCursor.parseDouble(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        return value.isFinite ? value : nil
    }

    /// Reads a JSON number's grammar in one pass: nil when it is not one; otherwise its value
    /// when Clinger's exact fast path applies (digits fit 2^53, power of ten within 22: one
    /// exact multiplication or division, correctly rounded), `.some(nil)` when `strtod` must.
    public mutating func scanNumber() -> Double?? {
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        let integerStart = index
        while index < end, bytes[index] &- 0x30 < 10 {
            if digits > 0 || bytes[index] != 0x30 { digits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
            index += 1
        }
        guard index > integerStart, index - integerStart == 1 || bytes[integerStart] != 0x30 else { return nil }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fraction = index
            while index < end, bytes[index] &- 0x30 < 10 {
                if digits > 0 || bytes[index] != 0x30 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- 0x30)
                exponent -= 1
                index += 1
            }
            guard index > fraction else { return nil }
        }
        if index < end, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var sign = 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                if bytes[index] == UInt8(ascii: "-") { sign = -1 }
                index += 1
            }
            let exponentStart = index
            var e = 0
            while index < end, bytes[index] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(bytes[index] &- 0x30) }
                index += 1
            }
            guard index > exponentStart else { return nil }
            exponent += sign * e
        }
        guard digits <= 19, mantissa <= (1 << 53), exponent >= -22, exponent <= 22 else { return .some(nil) }
        var value = Double(mantissa)
        if exponent < 0 { value /= JSONCursor.powersOfTen[-exponent] } else { value *= JSONCursor.powersOfTen[exponent] }
        return negative ? -value : value
    }

    /// `null` when it comes next.
    public mutating func null() -> Bool {
        skipWhitespace()
        return literal("null")
    }

    public mutating func bool() -> Bool? {
        skipWhitespace()
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end - index >= n else { return false }
        for i in 0..<n where bytes[index + i] != word.utf8Start[i] { return false }
        index += n
        return true
    }

    /// An array of plain strings: the text of the whole array (brackets included) and its length.
    public mutating func stringArray() -> (text: Range<Int>, count: Int)? {
        guard consume(UInt8(ascii: "[")) else { return nil }
        let start = index - 1
        var count = 0
        if consume(UInt8(ascii: "]")) { return (start..<index, 0) }
        repeat {
            guard string() != nil else { return nil }
            count += 1
        } while consume(UInt8(ascii: ","))
        guard consume(UInt8(ascii: "]")) else { return nil }
        return (start..<index, count)
    }

    /// Whether the bytes of `range` are exactly `word`.
    public func range(_ range: Range<Int>, is word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        for i in 0..<range.count where bytes[range.lowerBound + i] != word.utf8Start[i] { return false }
        return true
    }

    /// The text of a range of the buffer (ASCII, as the scanner checked).
    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
