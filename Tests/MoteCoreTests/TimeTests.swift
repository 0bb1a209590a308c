import MoteCore
import Testing

@Suite("time text")
struct TimeTests {
    @Test("RFC 3339 parses offsets and fractions, and formats back", arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-29T03:21:51Z", Int64(1_795_922_511) * 1_000_000_000),
        ("2026-11-29T04:21:51+01:00", Int64(1_795_922_511) * 1_000_000_000),
        ("2026-11-29T03:21:51.25Z", Int64(1_795_922_511) * 1_000_000_000 + 250_000_000),
        ("2000-02-29 00:00:00z", Int64(951_782_400) * 1_000_000_000),
        ("1969-12-31T23:59:59Z", Int64(-1_000_000_000)),
    ])
    func rfc3339(text: String, nanos: Int64) {
        #expect(RFC3339.parse(text) == nanos)
        #expect(RFC3339.parse(RFC3339.format(nanos: nanos)) == nanos)
        var bytes: [UInt8] = []
        RFC3339.append(nanos: nanos, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == RFC3339.format(nanos: nanos))
    }

    @Test("RFC 3339 refuses malformed text", arguments: [
        "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-29T25:00:00Z", "2026-11-29T03:21:51", "yesterday",
        "2026-11-29T03:21:51+1:00",
    ])
    func rfc3339Refuses(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("durations", arguments: [
        ("90s", Int64(90_000_000_000)), ("15m", 900_000_000_000), ("2h", 7_200_000_000_000),
        ("30d", 2_592_000_000_000_000), ("0s", 0), ("250ms", 250_000_000), ("1h30m", 5_400_000_000_000),
    ])
    func durations(text: String, nanos: Int64) {
        #expect(DurationText.parseNanos(text) == nanos)
        #expect(DurationText.parseNanos(DurationText.format(nanos: nanos)) == nanos)
    }

    @Test("bad durations are refused", arguments: ["", "10", "s", "-5s", "5y", "1.5h", "99999999999999999999d"])
    func badDurations(text: String) {
        #expect(DurationText.parseNanos(text) == nil)
    }

    /// Found by the RFC 3339 and TOML fuzz targets: a bare date past 2262 overflowed the
    /// nanosecond count and stopped the process (a push with such a timestamp would have too).
    @Test("a time beyond what epoch nanoseconds hold is refused, not a crash", arguments: [
        "4048-02-21", "1000-01-01", "2262-04-12T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1677-09-21T00:12:43Z",
    ])
    func outOfRange(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test("the edges of the nanosecond range still parse")
    func edges() {
        #expect(RFC3339.parse("2262-04-11T23:47:16.854775807Z") == Int64.max)
        #expect(RFC3339.parse("2262-04-11") != nil)
        #expect(RFC3339.parse("1677-09-22") != nil)
    }
}
