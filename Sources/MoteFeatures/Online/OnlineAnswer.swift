import MoteCore

/// Renders the answer of `POST /v1/get-online-features` straight into bytes: the fixed
/// start comes pre-rendered with the read plan, each entity's event time is formatted once
/// per view (not once per feature), values are written from their cached binary form, and
/// everything is written through one pointer into storage sized beforehand.
enum OnlineAnswer {
    private static let null = Array("null".utf8)
    private static let epochZero: StaticString = #""1970-01-01T00:00:00Z""#
    private static let present: StaticString = #""PRESENT""#
    private static let outsideMaxAge: StaticString = #""OUTSIDE_MAX_AGE""#

    /// The response body for `found[group][row]` entries of the plan's views, with the key
    /// columns as parsed values (the general path).
    static func render(
        plan: ResolvedRead, keyColumns: [[JSONValue]], found: FoundRows, now: Int64, withVersions: Bool = false
    ) -> JSONWriter {
        var keyText: [UInt8] = []
        var ranges: [Range<Int>] = []
        for column in keyColumns {
            let start = keyText.count
            for (row, value) in column.enumerated() {
                if row > 0 { keyText.append(UInt8(ascii: ",")) }
                appendKey(value, to: &keyText)
            }
            ranges.append(start..<keyText.count)
        }
        return keyText.withUnsafeBufferPointer { text in
            render(
                plan: plan, rowCount: keyColumns.first?.count ?? 0, keyText: text, keyColumns: ranges, found: found, now: now,
                withVersions: withVersions)
        }
    }

    /// The response body. `keyColumns[c]` is the range of `keyText` holding key column `c`'s
    /// values as they go into the answer, comma-separated.
    ///
    /// Everything is written through a pointer into storage sized beforehand (exactly but for
    /// numbers, which take at most `NumberText.maxBytes`): appending fragments to an array
    /// one by one cost more than the rest of the read.
    static func render(
        plan: ResolvedRead, rowCount: Int, keyText: UnsafeBufferPointer<UInt8>, keyColumns: [Range<Int>],
        found: FoundRows, now: Int64, withVersions: Bool = false
    ) -> JSONWriter {
        found.withRows { rows in
            render(plan: plan, rowCount: rowCount, keyText: keyText, keyColumns: keyColumns, rows: rows, now: now, withVersions: withVersions)
        }
    }

    private static func render(
        plan: ResolvedRead, rowCount: Int, keyText: UnsafeBufferPointer<UInt8>, keyColumns: [Range<Int>],
        rows: FoundRows.Rows, now: Int64, withVersions: Bool
    ) -> JSONWriter {
        let groups = plan.groups.count
        let prefix = plan.prefix(withVersions: withVersions)
        let timeSlots = groups * rowCount
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, timeSlots * (timeWidth + 1))) { scratch in
            // Each entity's event time, rendered once per view: quoted text, at most 29 bytes,
            // its length in the last byte of its slot.
            let arena = scratch.baseAddress!
            for g in 0..<groups {
                for row in 0..<rowCount {
                    let slot = arena + (g * rowCount + row) * (timeWidth + 1)
                    var cursor = ByteCursor(slot)
                    if let entry = rows.found(g, row) {
                        cursor.put(UInt8(ascii: "\""))
                        cursor.putTime(nanos: entry.eventNanos)
                        cursor.put(UInt8(ascii: "\""))
                    } else {
                        cursor.put(epochZero)
                    }
                    slot[timeWidth] = UInt8(truncatingIfNeeded: cursor.written(since: slot))
                }
            }
            @inline(__always) func time(_ g: Int, _ row: Int) -> UnsafeBufferPointer<UInt8> {
                let slot = arena + (g * rowCount + row) * (timeWidth + 1)
                return UnsafeBufferPointer(start: slot, count: Int(slot[timeWidth]))
            }

            // The size (numbers at their most).
            let fixed = 1 + featureOpen.utf8CodeUnitCount + featureStatuses.utf8CodeUnitCount + featureTimes.utf8CodeUnitCount + 2
            var size = prefix.count + 2
            for range in keyColumns {
                size += fixed + range.count + rowCount * (1 + present.utf8CodeUnitCount + 1 + epochZero.utf8CodeUnitCount)
            }
            for slot in plan.slots {
                size += fixed
                for row in 0..<rowCount {
                    size += 2 + outsideMaxAge.utf8CodeUnitCount + time(slot.group, row).count
                    size += rows.reader(slot.group, row)?.row.maxJSONBytes(slot.field) ?? 4
                }
            }

            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                let start = buffer.baseAddress!
                var cursor = ByteCursor(start)
                prefix.withUnsafeBufferPointer { cursor.put($0) }
                for (c, range) in keyColumns.enumerated() {
                    if c > 0 { cursor.put(UInt8(ascii: ",")) }
                    cursor.put(featureOpen)
                    cursor.put(UnsafeBufferPointer(rebasing: keyText[range]))
                    cursor.put(featureStatuses)
                    for row in 0..<rowCount {
                        if row > 0 { cursor.put(UInt8(ascii: ",")) }
                        cursor.put(present)
                    }
                    cursor.put(featureTimes)
                    for row in 0..<rowCount {
                        if row > 0 { cursor.put(UInt8(ascii: ",")) }
                        cursor.put(epochZero)
                    }
                    cursor.put("]}")
                }
                for (k, slot) in plan.slots.enumerated() {
                    if k > 0 || !keyColumns.isEmpty { cursor.put(UInt8(ascii: ",")) }
                    cursor.put(featureOpen)
                    for row in 0..<rowCount {
                        if row > 0 { cursor.put(UInt8(ascii: ",")) }
                        if let (entry, values) = rows.reader(slot.group, row), slot.ttlNanos == 0 || now - entry.eventNanos <= slot.ttlNanos {
                            cursor.putValue(values, slot.field)
                        } else {
                            cursor.put("null")
                        }
                    }
                    cursor.put(featureStatuses)
                    for row in 0..<rowCount {
                        if row > 0 { cursor.put(UInt8(ascii: ",")) }
                        switch OnlineRead.status(rows.reader(slot.group, row), field: slot.field, ttl: slot.ttlNanos, now: now) {
                        case .present: cursor.put(present)
                        case .notFound: cursor.put(#""NOT_FOUND""#)
                        case .nullValue: cursor.put(#""NULL_VALUE""#)
                        case .outsideMaxAge: cursor.put(outsideMaxAge)
                        }
                    }
                    cursor.put(featureTimes)
                    for row in 0..<rowCount {
                        if row > 0 { cursor.put(UInt8(ascii: ",")) }
                        cursor.put(time(slot.group, row))
                    }
                    cursor.put("]}")
                }
                cursor.put("]}")
                count = cursor.written(since: start)
                precondition(count <= size, "online answer overran its computed size")
            }
            var writer = JSONWriter(capacity: 0)
            writer.bytes = bytes
            return writer
        }
    }

    private static let featureOpen: StaticString = #"{"values":["#
    private static let featureStatuses: StaticString = #"],"statuses":["#
    private static let featureTimes: StaticString = #"],"event_timestamps":["#

    /// Room for one quoted event time: `"YYYY-MM-DDTHH:MM:SS.ffffffZ"`.
    private static let timeWidth = 29

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

/// Writes bytes through a pointer into storage the caller sized beforehand.
struct ByteCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ start: UnsafeMutablePointer<UInt8>) { position = start }

    @inline(__always)
    mutating func put(_ byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    @inline(__always)
    mutating func put(_ text: StaticString) {
        let count = text.utf8CodeUnitCount
        position.update(from: text.utf8Start, count: count)
        position += count
    }

    @inline(__always)
    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        position.update(from: base, count: bytes.count)
        position += bytes.count
    }

    /// Value `field` of a cached row as JSON.
    @inline(__always)
    mutating func putValue(_ row: OnlineRow.Reader, _ field: Int) {
        position += row.writeJSON(field, to: position)
    }

    /// Bytes written since `start`.
    func written(since start: UnsafeMutablePointer<UInt8>) -> Int { position - start }

    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (`RFC3339.write`), at most 27 bytes.
    @inline(__always)
    mutating func putTime(nanos: Int64) {
        position += RFC3339.write(nanos: nanos, to: position)
    }
}
