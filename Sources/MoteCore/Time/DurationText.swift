/// Durations written as text in config and definitions: `"250ms"`, `"90s"`, `"15m"`, `"2h"`,
/// `"30d"`, `"1w"`, or combinations like `"1h30m"`. `"0s"` is zero.
public enum DurationText {
    /// Parses to nanoseconds; nil when malformed or negative.
    public static func parseNanos(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard !b.isEmpty else { return nil }
        var k = 0
        var total: Int64 = 0
        while k < b.count {
            var value: Int64 = 0
            let start = k
            while k < b.count, b[k] >= 0x30, b[k] <= 0x39 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(b[k] - 0x30))
                guard !o1, !o2 else { return nil }
                value = a
                k += 1
            }
            guard k > start, k < b.count else { return nil }
            let unit: Int64
            if b[k] == UInt8(ascii: "m"), k + 1 < b.count, b[k + 1] == UInt8(ascii: "s") {
                unit = 1_000_000
                k += 2
            } else if b[k] == UInt8(ascii: "u"), k + 1 < b.count, b[k + 1] == UInt8(ascii: "s") {
                unit = 1_000
                k += 2
            } else {
                switch b[k] {
                case UInt8(ascii: "s"): unit = 1_000_000_000
                case UInt8(ascii: "m"): unit = 60_000_000_000
                case UInt8(ascii: "h"): unit = 3_600_000_000_000
                case UInt8(ascii: "d"): unit = 86_400_000_000_000
                case UInt8(ascii: "w"): unit = 604_800_000_000_000
                default: return nil
                }
                k += 1
            }
            let (part, o1) = value.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { return nil }
            total = sum
        }
        return total
    }

    /// Formats nanoseconds the short way (`"1h30m"`, `"250ms"`, `"0s"`).
    public static func format(nanos: Int64) -> String {
        if nanos == 0 { return "0s" }
        if nanos % 1_000_000_000 != 0 {
            return nanos % 1_000_000 == 0 ? "\(nanos / 1_000_000)ms" : "\(nanos / 1000)us"
        }
        var seconds = nanos / 1_000_000_000
        var text = ""
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= size {
            text += "\(seconds / size)\(unit)"
            seconds %= size
        }
        return text
    }
}
