import MoteCore

/// Renders the answer of `POST /v1/get-online-features` straight into bytes: the fixed
/// start comes pre-rendered with the read plan, each entity's event time is formatted once
/// per view (not once per feature), and the fixed fragments are appended as bytes.
enum OnlineAnswer {
    private static let valuesOpen = Array(#"{"values":["#.utf8)
    private static let statusesOpen = Array(#"],"statuses":["#.utf8)
    private static let timestampsOpen = Array(#"],"event_timestamps":["#.utf8)
    private static let close = Array("]}".utf8)
    private static let end = Array("]}".utf8)
    private static let null = Array("null".utf8)
    private static let epochZero = Array(#""1970-01-01T00:00:00Z""#.utf8)
    private static let statusTexts: [[UInt8]] = [
        Array(#""PRESENT""#.utf8), Array(#""NOT_FOUND""#.utf8), Array(#""NULL_VALUE""#.utf8), Array(#""OUTSIDE_MAX_AGE""#.utf8),
    ]

    /// The response body for `found[group][row]` entries of the plan's views.
    static func render(plan: ResolvedRead, keyColumns: [[JSONValue]], found: [[OnlineFeatureCache.Entry?]], now: Int64) -> JSONWriter {
        let rowCount = keyColumns.first?.count ?? 0
        var out: [UInt8] = []
        out.reserveCapacity(plan.responsePrefix.count + 64 + (rowCount + 1) * (plan.features.count + keyColumns.count) * 56)
        out.append(contentsOf: plan.responsePrefix)

        for (c, column) in keyColumns.enumerated() {
            if c > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: valuesOpen)
            for (row, value) in column.enumerated() {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                appendKey(value, to: &out)
            }
            out.append(contentsOf: statusesOpen)
            for row in 0..<rowCount {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: statusTexts[0])
            }
            out.append(contentsOf: timestampsOpen)
            for row in 0..<rowCount {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: epochZero)
            }
            out.append(contentsOf: close)
        }

        // Each entity's event time, rendered once per view: quoted text in one arena.
        var times: [UInt8] = []
        var timeEnds = [[Int]](repeating: [], count: found.count)
        var groupStarts = [Int](repeating: 0, count: found.count)
        times.reserveCapacity(found.count * rowCount * 30)
        for (g, entries) in found.enumerated() {
            groupStarts[g] = times.count
            timeEnds[g].reserveCapacity(rowCount)
            for entry in entries {
                if let entry {
                    times.append(UInt8(ascii: "\""))
                    RFC3339.append(nanos: entry.eventNanos, to: &times)
                    times.append(UInt8(ascii: "\""))
                } else {
                    times.append(contentsOf: epochZero)
                }
                timeEnds[g].append(times.count)
            }
        }

        for k in 0..<plan.slots.count {
            let (field, ttl, g) = plan.slots[k]
            let entries = found[g]
            if k > 0 || !keyColumns.isEmpty { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: valuesOpen)
            for (row, entry) in entries.enumerated() {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                if let entry, ttl == 0 || now - entry.eventNanos <= ttl {
                    entry.appendJSON(field, to: &out)
                } else {
                    out.append(contentsOf: null)
                }
            }
            out.append(contentsOf: statusesOpen)
            for (row, entry) in entries.enumerated() {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: statusTexts[OnlineRead.status(entry, field: field, ttl: ttl, now: now).index])
            }
            out.append(contentsOf: timestampsOpen)
            var start = groupStarts[g]
            for row in 0..<entries.count {
                if row > 0 { out.append(UInt8(ascii: ",")) }
                let stop = timeEnds[g][row]
                times.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<stop])) }
                start = stop
            }
            out.append(contentsOf: close)
        }
        out.append(contentsOf: end)
        var writer = JSONWriter(capacity: 0)
        writer.bytes = out
        return writer
    }

    /// An entity key value as the caller sent it (keys are strings or integers once validated).
    private static func appendKey(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .string(let s): JSONWriter.appendString(s, to: &out)
        case .integer(let i): JSONWriter.appendInt(i, to: &out)
        case .double(let d): JSONWriter.appendDouble(d, to: &out)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        default: out.append(contentsOf: null)
        }
    }
}

extension FeatureStatus {
    /// Position in `OnlineAnswer.statusTexts`.
    var index: Int {
        switch self {
        case .present: 0
        case .notFound: 1
        case .nullValue: 2
        case .outsideMaxAge: 3
        }
    }
}
