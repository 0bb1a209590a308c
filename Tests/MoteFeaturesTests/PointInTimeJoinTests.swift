import Foundation
import MoteCore
import MoteFeatures
import Testing

@Suite("point-in-time join")
struct PointInTimeJoinTests {
    struct Row {
        var key: String
        var event: Int64
        var created: Int64
        var value: Double
    }

    /// The join written the slow, obvious way.
    func reference(_ rows: [Row], key: String, at t: Int64, ttl: Int64) -> Double? {
        rows.filter { $0.key == key && $0.event <= t && (ttl == 0 || $0.event >= t - ttl) }
            .max { ($0.event, $0.created) < ($1.event, $1.created) }?.value
    }

    @Test("matches a brute-force reference on random data with late arrivals, ties, TTL edges and missing entities",
          arguments: [(UInt64(1), Int64(0)), (2, 2), (3, 1), (4, 5)])
    func randomized(seed: UInt64, ttlHours: Int64) throws {
        var rng = SplitMix(seed: seed)
        let ttl = ttlHours * hour
        let definitions = sampleDefinitions.replacingOccurrences(of: "ttl = \"2h\"", with: "ttl = \"\(ttlHours)h\"")
        let store = try makeStore(definitions)
        let base: Int64 = 1_700_000_000_000_000_000
        var rows: [Row] = []
        var created = base
        // Pushes in random order of event time (late arrivals), with repeated event times (ties).
        for _ in 0..<40 {
            var keys: [String] = []
            var times: [Int64] = []
            var temps: [JSONValue] = []
            var createds: [Int64] = []
            for _ in 0..<Int(rng.next() % 20 + 1) {
                let key = "m\(rng.next() % 12)"
                let event = base + Int64(rng.next() % 48) * hour / 2  // half-hour grid: many ties and exact TTL edges
                let value = Double(rng.next() % 10_000) / 10
                created += 1_000
                keys.append(key)
                times.append(event)
                temps.append(.double(value))
                createds.append(created)
                rows.append(Row(key: key, event: event, created: created, value: value))
            }
            let batch = try PushBatch.parse(
                pushBody(keys, times, temps: temps, created: createds), definitions: store.definitions.set,
                limits: store.limits, now: base + 1000 * hour)
            try store.push(batch)
        }
        // Entity rows: known and unknown keys, times on and between the grid, before all data.
        var entityKeys: [String] = []
        var entityTimes: [Int64] = []
        for _ in 0..<500 {
            entityKeys.append("m\(rng.next() % 15)")
            entityTimes.append(base - hour + Int64(rng.next() % 60) * hour / 2 + (rng.next() % 2 == 0 ? 0 : 1))
        }
        let frame = EntityFrame(
            columns: [("machine_id", entityKeys.map { .string($0) }), ("event_timestamp", entityTimes.map { .integer($0 / 1_000_000_000) })],
            keys: entityKeys, times: entityTimes)
        let features = try FeatureReference.resolve(["sensor_stats:temp"], in: store.definitions.set, fullNames: false)
        let table = try PointInTimeJoin.run(frame, features: features, store: store)
        var matched = 0
        for row in 0..<frame.count {
            let expected = reference(rows, key: entityKeys[row], at: entityTimes[row], ttl: ttl)
            let got: Double?
            switch table.values[0][row] {
            case .double(let d): got = d
            default: got = nil
            }
            #expect(got == expected, "row \(row): \(entityKeys[row]) at \(entityTimes[row])")
            if expected != nil { matched += 1 }
        }
        #expect(matched > 50)  // the data is dense enough for the test to mean something
        #expect(table.fingerprint.rows == 500)
        #expect(table.fingerprint.definitionsVersion == 1)
        // The same join gives the same fingerprint.
        #expect(try PointInTimeJoin.run(frame, features: features, store: store).fingerprint == table.fingerprint)
        // The history read in key ranges, one or two at a time, gives the same table: ranges
        // of 2 or 5 entities (an odd count of ranges), each read alone or beside another.
        for (splitAt, rangeEntities) in [(2, 2), (2, 5), (1000, 3)] {
            let split = try PointInTimeJoin.run(frame, features: features, store: store, splitAt: splitAt, rangeEntities: rangeEntities)
            #expect(split.fingerprint == table.fingerprint, "split at \(splitAt), ranges of \(rangeEntities)")
            #expect(split.values == table.values)
        }
    }

    @Test("CSV output has the entity columns in order, then the features; a missing value is empty")
    func csvOutput() throws {
        let store = try makeStore()
        let t0: Int64 = 1_700_000_000_000_000_000
        try store.push(try PushBatch.parse(pushBody(["a,b"], [t0], temps: [.double(1.5)]), definitions: store.definitions.set, limits: store.limits, now: t0))
        let frame = EntityFrame(
            columns: [("machine_id", ["a,b", "zz"]), ("event_timestamp", [.string(RFC3339.format(nanos: t0)), .string(RFC3339.format(nanos: t0))]), ("label", [1, 0])],
            keys: ["a,b", "zz"], times: [t0, t0])
        let features = try FeatureReference.resolve(["sensor_stats:temp", "sensor_stats:mode"], in: store.definitions.set, fullNames: true)
        let csv = String(decoding: try PointInTimeJoin.run(frame, features: features, store: store).csv(), as: UTF8.self)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "machine_id,event_timestamp,label,sensor_stats__temp,sensor_stats__mode")
        #expect(lines[1] == "\"a,b\",2023-11-14T22:13:20Z,1,1.5,")
        #expect(lines[2] == "zz,2023-11-14T22:13:20Z,0,,")
    }
}

/// A small deterministic random generator for reproducible tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
