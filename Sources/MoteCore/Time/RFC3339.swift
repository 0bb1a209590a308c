/// RFC 3339 timestamps in UTC, without Foundation.
public enum RFC3339 {
    /// Longest text `write(nanos:to:)` produces.
    public static let maxLength = 27

    /// Formats epoch nanoseconds as `2026-11-29T03:21:51.123456Z` (microsecond precision,
    /// fraction dropped when zero; years 0000-9999).
    public static func format(nanos: Int64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buffer in
            let count = write(nanos: nanos, to: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    /// Appends the same text as bytes (no String built).
    public static func append(nanos: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxLength) { buffer in
            let count = write(nanos: nanos, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Writes the same text at `out` (room for `maxLength` bytes); returns its length. The one
    /// formatter behind `format`, `append` and the online answer's timestamps.
    @inline(__always)
    public static func write(nanos: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let seconds = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        let micros = (nanos - seconds * 1_000_000_000) / 1000
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = civil(fromDays: days)
        var n = 0
        @inline(__always) func digits(_ value: Int64, _ width: Int) {
            var v = value < 0 ? -value : value
            for i in stride(from: width - 1, through: 0, by: -1) {
                out[n + i] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
            }
            n += width
        }
        @inline(__always) func put(_ byte: UInt8) {
            out[n] = byte
            n += 1
        }
        digits(y, 4); put(UInt8(ascii: "-"))
        digits(m, 2); put(UInt8(ascii: "-"))
        digits(d, 2); put(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2); put(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); put(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        if micros != 0 {
            put(UInt8(ascii: "."))
            digits(micros, 6)
        }
        put(UInt8(ascii: "Z"))
        return n
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (also a space instead of `T`, and a bare
    /// date as midnight UTC) to epoch nanoseconds; nil when malformed or outside what epoch
    /// nanoseconds hold (1677-09-21 to 2262-04-11).
    public static func parse(_ text: String) -> Int64? {
        parse(text, naiveAsUTC: false)
    }

    /// Like `parse(_:)`; with `naiveAsUTC`, a date-time without an offset
    /// (`2026-12-01T08:00:00.250`, as pandas' `isoformat()` writes naive times) means UTC, the
    /// rule of Feast's write routes.
    public static func parse(_ text: String, naiveAsUTC: Bool) -> Int64? {
        var text = text
        return text.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0), naiveAsUTC: naiveAsUTC) }
    }

    /// `parse(_:naiveAsUTC:)` of UTF-8 bytes (no String made).
    public static func parse(utf8 b: UnsafeRawBufferPointer, naiveAsUTC: Bool = false) -> Int64? {
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for k in from..<(from + count) {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let month = num(5, 2),
            b[7] == UInt8(ascii: "-"), let day = num(8, 2), (1...12).contains(month),
            (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let dayNumber = days(fromCivil: year, month, day)
        if b.count == 10 {
            // Epoch nanoseconds reach 1677-09-21..2262-04-11: a date beyond is refused.
            let (nanos, overflow) = (dayNumber * 86400).multipliedReportingOverflow(by: 1_000_000_000)
            return overflow ? nil : nanos
        }
        guard b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
            let hour = num(11, 2), b[13] == UInt8(ascii: ":"), let minute = num(14, 2),
            b[16] == UInt8(ascii: ":"), let second = num(17, 2), hour < 24, minute < 60, second <= 60
        else { return nil }
        var k = 19
        var fraction: Int64 = 0
        if k < b.count, b[k] == UInt8(ascii: ".") {
            k += 1
            var digits = 0
            while k < b.count, b[k] >= 0x30, b[k] <= 0x39 {
                if digits < 9 { fraction = fraction * 10 + Int64(b[k] - 0x30) }
                digits += 1
                k += 1
            }
            guard digits > 0 else { return nil }
            for _ in min(digits, 9)..<9 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if k == b.count {
            guard naiveAsUTC else { return nil }  // an offset is required
        } else if b[k] == UInt8(ascii: "Z") || b[k] == UInt8(ascii: "z") {
            k += 1
        } else if b[k] == UInt8(ascii: "+") || b[k] == UInt8(ascii: "-") {
            guard let oh = num(k + 1, 2), k + 3 < b.count, b[k + 3] == UInt8(ascii: ":"), let om = num(k + 4, 2),
                oh < 24, om < 60
            else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[k] == UInt8(ascii: "+") ? 1 : -1)
            k += 6
        } else {
            return nil
        }
        guard k == b.count else { return nil }
        let seconds = dayNumber * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (nanos, late) = product.addingReportingOverflow(fraction)
        guard !overflow, !late else { return nil }
        return nanos
    }

    /// Shape check for TOML date-times, local dates and local times.
    static func isPlausibleTOMLDateTime(_ text: String) -> Bool {
        if parse(text) != nil { return true }
        let b = Array(text.utf8)
        let digit = { (k: Int) in k < b.count && b[k] >= 0x30 && b[k] <= 0x39 }
        // Local time HH:MM:SS[.frac]
        if b.count >= 8, digit(0), digit(1), b[2] == UInt8(ascii: ":"), digit(3), digit(4), b[5] == UInt8(ascii: ":"),
            digit(6), digit(7)
        {
            return b.count == 8 || (b[8] == UInt8(ascii: ".") && b.count > 9 && (9..<b.count).allSatisfy(digit))
        }
        // Local date-time: a valid date plus a time without offset.
        if b.count >= 19, parse(text + "Z") != nil { return true }
        return false
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
    public static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
