/// Numbers as JSON text written through a pointer, without making a String: the online read
/// renders cached values at read time with these, so they must cost little and write exactly
/// what `description` writes (an answer must not change with the path a value took).
public enum NumberText {
    /// Room any one number's text fits in.
    public static let maxBytes = 32

    /// The decimal digits of `value`; returns the bytes written (at most 20).
    @inline(__always)
    public static func writeInt(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value == 0 {
            out[0] = 0x30
            return 1
        }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        while probe > 0 {
            digits += 1
            probe /= 10
        }
        var n = 0
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            n = 1
        }
        var i = n + digits - 1
        while magnitude > 0 {
            out[i] = UInt8(magnitude % 10) + 0x30
            magnitude /= 10
            i -= 1
        }
        return n + digits
    }

    /// The shortest text that reads back as `value` (integral values without a fraction);
    /// NaN and infinities as `null`. At most `maxBytes`.
    @inline(__always)
    public static func writeDouble(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite else { return writeNull(to: out) }
        if value == value.rounded(), abs(value) < 1e15 { return writeInt(Int64(value), to: out) }
        let short = writeShortDecimal(value, to: out)
        if short > 0 { return short }
        // Exponent forms (below 1e-4, 1e15 and up): rare in features, left to `description`.
        var text = value.description
        return text.withUTF8 { utf8 in
            out.update(from: utf8.baseAddress!, count: utf8.count)
            return utf8.count
        }
    }

    /// A value of a float64 column: as `writeDouble`, but integral values keep a fraction
    /// (`55.0`) so that a reader that infers types from JSON text (Feast's SDK, pandas) sees
    /// a float.
    @inline(__always)
    public static func writeFloat64(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite, value == value.rounded(), abs(value) < 1e15 else { return writeDouble(value, to: out) }
        let n = writeInt(Int64(value), to: out)
        out[n] = 0x2E
        out[n + 1] = 0x30
        return n + 2
    }

    @inline(__always)
    static func writeNull(to out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = 0x6E
        out[1] = 0x75
        out[2] = 0x6C
        out[3] = 0x6C
        return 4
    }

    /// A non-integral value with `1e-4 <= |value| < 1e15` written the way `description`
    /// writes it: the fewest decimals that read back as `value`, exactly. With `value = M / 2^s`
    /// (M the 53-bit significand), `M * 10^k` fits 128 bits for every `k` needed here, so
    /// whether some k-decimal number lies within half a unit in the last place of `value`
    /// (the interval a reader rounds back to it; its ends included when M is even, the lower
    /// half-gap halved when M is a power of two) is decided with integers; of the two
    /// candidates the nearer is taken. 0 (nothing written) outside that range.
    @inline(__always)
    static func writeShortDecimal(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = abs(value)
        guard magnitude >= 1e-4, magnitude < 1e15, magnitude != magnitude.rounded() else { return 0 }
        let fraction = magnitude.significandBitPattern
        let significand = UInt64(1) << 52 | fraction
        let shift = 1075 - Int(magnitude.exponentBitPattern)  // 3...66 in this range
        let unit = UInt128(1) << shift
        let mask = unit - 1
        let inclusive = significand & 1 == 0
        let lowerFactor: UInt128 = fraction == 0 ? 4 : 2
        var power: UInt128 = 1
        for k in 1...22 {
            power *= 10
            let scaled = UInt128(significand) * power
            let below = scaled >> shift
            let remainder = scaled & mask
            let downDistance = remainder * lowerFactor
            let upDistance = (unit - remainder) * 2
            let downFits = inclusive ? downDistance <= power : downDistance < power
            let upFits = inclusive ? upDistance <= power : upDistance < power
            guard downFits || upFits else { continue }
            var digits = below
            if upFits && (!downFits || unit - remainder < remainder || (unit - remainder == remainder && below & 1 == 1)) {
                digits += 1
            }
            var n = 0
            if value < 0 {
                out[0] = 0x2D
                n = 1
            }
            n += writeInt(Int64(truncatingIfNeeded: digits / power), to: out + n)
            out[n] = 0x2E
            n += 1
            // The k decimals, zero-padded on the left.
            var decimals = UInt64(truncatingIfNeeded: digits % power)
            var i = n + k - 1
            for _ in 0..<k {
                out[i] = 0x30 + UInt8(decimals % 10)
                decimals /= 10
                i -= 1
            }
            return n + k
        }
        return 0
    }
}
