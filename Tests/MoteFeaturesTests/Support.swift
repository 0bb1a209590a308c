import MoteCore
@testable import MoteFeatures
import MoteStorage

#if canImport(Glibc)
import Glibc
#endif

/// A feature store on a fresh state directory.
func makeStore(
    _ definitions: String = sampleDefinitions, limits: FeatureSettings = FeatureSettings(),
    mergeIdleNanos: UInt64 = FeatureStore.mergeIdleNanos
) throws -> FeatureStore {
    var template = Array("/tmp/mote-features-XXXXXX".utf8CString)
    let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    let storage = try Storage(directory: StateDirectory(root: dir), options: .init(), schema: FeatureStore.schema)
    let store = try FeatureStore(storage: storage, settings: .fixed(limits), mergeIdleNanos: mergeIdleNanos)
    if !definitions.isEmpty { _ = try store.apply(toml: definitions, dryRun: false, uid: 0) }
    return store
}

/// Reopens a store on the same state directory (as a restart would: the old one is closed
/// first, since one process holds a state directory at a time).
func reopen(_ store: FeatureStore, mergeIdleNanos: UInt64 = FeatureStore.mergeIdleNanos) throws -> FeatureStore {
    let root = store.stateRoot
    store.stop(timeoutNanos: 5_000_000_000)
    store.storage.close()
    let storage = try Storage(directory: StateDirectory(root: root), options: .init(), schema: FeatureStore.schema)
    return try FeatureStore(storage: storage, settings: .fixed(store.limits), mergeIdleNanos: mergeIdleNanos)
}

let sampleDefinitions = """
    [[entity]]
    name = "machine"
    join_key = "machine_id"

    [[feature_view]]
    name = "sensor_stats"
    entity = "machine"
    ttl = "2h"
    fields = [
      { name = "temp", type = "float64" },
      { name = "mode", type = "string" },
      { name = "count", type = "int64" },
      { name = "ok", type = "bool" },
    ]

    [[feature_view]]
    name = "forever"
    entity = "machine"
    fields = [{ name = "level", type = "int64" }]
    """

/// A push body for `sensor_stats`.
func pushBody(_ keys: [String], _ times: [Int64], temps: [JSONValue], view: String = "sensor_stats", created: [Int64]? = nil) -> JSONValue {
    var df = JSONObject()
    df["machine_id"] = .array(keys.map { .string($0) })
    df["event_timestamp"] = .array(times.map { .string(RFC3339.format(nanos: $0)) })
    if let created { df["created_timestamp"] = .array(created.map { .string(RFC3339.format(nanos: $0)) }) }
    df[view == "forever" ? "level" : "temp"] = .array(temps)
    return .object(JSONObject([("feature_view", .string(view)), ("df", .object(df))]))
}

let hour: Int64 = 3_600_000_000_000

/// Two views with retention: `aged` keeps 10 hours, `counted` 30 rows.
let retentionDefinitions = """
    [[entity]]
    name = "machine"
    join_key = "machine_id"
    [[feature_view]]
    name = "aged"
    entity = "machine"
    retention = { max_age = "10h" }
    fields = [{ name = "level", type = "int64" }]
    [[feature_view]]
    name = "counted"
    entity = "machine"
    retention = { max_rows = 30 }
    fields = [{ name = "level", type = "int64" }]
    """

/// Pushes `level = i` for each i in `indices` to `view`, at `now - i` quarter-hours, for the
/// machine `key(i)`.
func pushLevels(_ store: FeatureStore, view: String, _ indices: Range<Int>, now: Int64, key: (Int) -> String) throws {
    var df = JSONObject()
    df["machine_id"] = .array(indices.map { .string(key($0)) })
    df["event_timestamp"] = .array(indices.map { .string(RFC3339.format(nanos: now - Int64($0) * hour / 4)) })
    df["level"] = .array(indices.map { .integer(Int64($0)) })
    let body: JSONValue = .object(JSONObject([("feature_view", .string(view)), ("df", .object(df))]))
    try store.push(try PushBatch.parse(body, definitions: store.definitions.set, limits: store.limits, now: now))
}
