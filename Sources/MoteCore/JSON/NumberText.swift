/// Numbers as JSON text written through a pointer, without making a String: the online read
/// renders cached values at read time with these, so they must cost little and write exactly
/// what `description` writes (an answer must not change with the path a value took).
public enum NumberText {
    /// Room any one number's text fits in.
    public static let maxBytes = 32

    /// The decimal digits of `value`; returns the bytes written (at most 20).
    @inline(__always)
    public static func writeInt(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = value.magnitude
        var digits = 1
        while digits < 20 && magnitude >= tenTo(digits) { digits += 1 }
        var n = 0
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            n = 1
        }
        writeDigits(magnitude, count: digits, to: out + n)
        return n + digits
    }

    /// 10^k as a double, exact for k in 0...22.
    @inline(__always)
    private static func tenToDouble(_ k: Int) -> Double { Double(tenTo(k)) }

    /// 10^k for k in 0...19.
    @inline(__always)
    private static func tenTo(_ k: Int) -> UInt64 {
        withUnsafeBytes(of: tensTable) { $0.load(fromByteOffset: k * 8, as: UInt64.self) }
    }

    private static let tensTable: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
        UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
        10_000_000_000_000_000_000
    )

    /// "00" ... "99".
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Exactly `count` decimal digits of `value` (zero-padded on the left), two at a time and
    /// in two independent halves, so the divisions do not wait on each other.
    @inline(__always)
    static func writeDigits(_ value: UInt64, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        if count > 8 {
            writeDigits(value / 100_000_000, count: count - 8, to: out)
            writeSmallDigits(UInt32(truncatingIfNeeded: value % 100_000_000), count: 8, to: out + count - 8)
        } else {
            writeSmallDigits(UInt32(truncatingIfNeeded: value), count: count, to: out)
        }
    }

    @inline(__always)
    private static func writeSmallDigits(_ value: UInt32, count: Int, to out: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var rest = value
        var i = count
        while i >= 2 {
            let pair = Int(rest % 100) * 2
            rest /= 100
            i -= 2
            out[i] = pairs[pair]
            out[i + 1] = pairs[pair + 1]
        }
        if i == 1 { out[0] = UInt8(truncatingIfNeeded: rest % 10) + 0x30 }
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
    /// writes it; 0 (nothing written) outside that range.
    @inline(__always)
    static func writeShortDecimal(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let k = shortestDecimals(value)
        return k == 0 ? 0 : writeDecimal(value, decimals: k, to: out)
    }

    /// The fewest decimals that read back as `value` exactly, for a non-integral value with
    /// `1e-4 <= |value| < 1e15` (what `description` writes there); 0 outside that range.
    ///
    /// With `value = M / 2^s` (M the 53-bit significand), `M * 10^k` fits 128 bits for every
    /// `k` needed here, so whether some k-decimal number lies within half a unit in the last
    /// place of `value` (the interval a reader rounds back to it) is decided with integers.
    /// Fitting is monotonic in k and 17 significant digits always fit, so the least k is
    /// found by bisection (at most 5 trials). Callers that write a value many times keep k
    /// (the online cache does) and write with `writeDecimal`.
    public static func shortestDecimals(_ value: Double) -> Int {
        guard let d = Decimalized(value) else { return 0 }
        // Up to 4 decimals (a sensor's reading) first, with doubles. Below 2^50, the rounded
        // product `value * 10^k` is within 1/4 of the exact one, and a k-decimal number that
        // reads back as `value` is within 1/8 of it, so `m` (the product rounded to an
        // integer) is that number's digits if there is one; `m / 10^k` is correctly rounded,
        // so it equals `value` exactly when m / 10^k reads back as it. A failed check thus
        // means no k-decimal number fits, and the search goes on from k + 1.
        var low = 1
        while low <= 4 {
            let scale = tenToDouble(low)
            let scaled = (d.magnitude * scale).rounded()
            guard scaled < 1_125_899_906_842_624 else { break }
            if scaled / scale == d.magnitude { return low }
            low += 1
        }
        // 17 significant digits: 17 minus the integer digits, or up to 3 leading zeros more.
        let whole = UInt64(d.magnitude)
        var integerDigits = 0
        while integerDigits < 15 && whole >= tenTo(integerDigits) { integerDigits += 1 }
        var high = max(low, integerDigits > 0 ? 17 - integerDigits : 20)
        while low < high {
            let middle = (low + high) / 2
            if d.trial(middle).fits { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// `value` with `decimals` decimals (from `shortestDecimals`, which must have given a
    /// non-zero count for it): the k-decimal number nearest `value` within its interval.
    /// Returns the bytes written (at most `maxBytes`).
    @inline(__always)
    public static func writeDecimal(_ value: Double, decimals k: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        // The caller's count comes from `shortestDecimals`, which checked the range; only a
        // count that cannot be one (a damaged row) takes the general writer.
        guard k >= 1, k <= 22, abs(value) >= 1e-4, abs(value) < 1e15 else { return writeDouble(value, to: out) }
        let d = Decimalized(unchecked: value)
        let t = d.trial(k)
        var digits = t.below
        let upDistance = d.unit &- t.remainder
        if t.up && (!t.down || upDistance < t.remainder || (upDistance == t.remainder && t.below & 1 == 1)) {
            digits &+= 1
        }
        // At most 17 significant digits: the integer fits 64 bits, and so does 10^k unless
        // the integer part is 0.
        let all = UInt64(truncatingIfNeeded: digits)
        let power = k <= 19 ? tenTo(k) : 0
        var n = 0
        if value < 0 {
            out[0] = 0x2D
            n = 1
        }
        // One division (the divisor varies, so it is the processor's slow one) for both parts.
        let whole = power == 0 ? 0 : all / power
        if whole < 10 {
            out[n] = 0x30 &+ UInt8(truncatingIfNeeded: whole)
            n += 1
        } else {
            n += writeInt(Int64(truncatingIfNeeded: whole), to: out + n)
        }
        out[n] = 0x2E
        n += 1
        // The k decimals, zero-padded on the left.
        writeDigits(all &- whole &* power, count: k, to: out + n)
        return n + k
    }

    /// 10^k for k in 0...22 (no table to initialise or bounds-check on the hot path).
    @inline(__always)
    private static func tenTo128(_ k: Int) -> UInt128 {
        k <= 19 ? UInt128(tenTo(k)) : UInt128(tenTo(19)) &* UInt128(tenTo(k - 19))
    }

    /// A non-integral double in `[1e-4, 1e15)` as `M / 2^shift`, and the trial of k decimals.
    private struct Decimalized {
        let magnitude: Double
        let significand: UInt64
        let shift: Int
        let unit: UInt128
        let inclusive: Bool
        let lowerFactor: UInt128

        @inline(__always)
        init?(_ value: Double) {
            guard abs(value) >= 1e-4, abs(value) < 1e15, abs(value) != abs(value).rounded(.towardZero) else { return nil }
            self.init(unchecked: value)
        }

        /// A value known to be in the range (`writeDecimal` checks it; whether it is integral
        /// is not checked again).
        @inline(__always)
        init(unchecked value: Double) {
            magnitude = abs(value)
            let fraction = magnitude.significandBitPattern
            significand = UInt64(1) << 52 | fraction
            shift = 1075 - Int(magnitude.exponentBitPattern)  // 3...66 in this range
            unit = UInt128(1) &<< shift
            // The interval's ends read back as `value` when M is even (ties round to even);
            // below a power of two the gap to the next lower double is half as wide.
            inclusive = significand & 1 == 0
            lowerFactor = fraction == 0 ? 4 : 2
        }

        /// The k-decimal number just below `value` (as an integer), its distance to `value`
        /// (in units of 2^-shift), and whether it or the next one reads back as `value`.
        @inline(__always)
        func trial(_ k: Int) -> (below: UInt128, remainder: UInt128, down: Bool, up: Bool, fits: Bool) {
            let power = NumberText.tenTo128(k)
            // One 64 x 64-bit multiplication while 10^k fits 64 bits (k <= 19).
            let scaled: UInt128
            if k <= 19 {
                let (high, low) = significand.multipliedFullWidth(by: UInt64(truncatingIfNeeded: power))
                scaled = UInt128(high) &<< 64 | UInt128(low)
            } else {
                scaled = UInt128(significand) &* power
            }
            let remainder = scaled & (unit &- 1)
            let downDistance = remainder &* lowerFactor
            let upDistance = (unit &- remainder) &* 2
            let down = inclusive ? downDistance <= power : downDistance < power
            let up = inclusive ? upDistance <= power : upDistance < power
            return (scaled &>> shift, remainder, down, up, down || up)
        }
    }
}
