import MoteCore
@testable import MoteFeatures
import Testing

/// The push bytes path must give exactly the batch the JSON path gives, and take nothing the
/// JSON path would refuse (it answers nil and the JSON path gives the error).
@Suite("push fast path")
struct PushFastPathTests {
    static let definitions = sampleDefinitions + """

        [[entity]]
        name = "cell"
        join_keys = ["plant", "cell_no"]
        type = "int64"

        [[feature_view]]
        name = "cells"
        entity = "cell"
        fields = [{ name = "load", type = "float64" }, { name = "state", type = "string" }]
        """

    static let now: Int64 = 1_800_000_000_000_000_000

    @Test(arguments: [
        // Plain: taken by the fast path.
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1","m2"],"event_timestamp":[1799999000,"2027-01-15T08:00:00Z"],"temp":[1.5,2],"mode":["a",null],"count":[3,4.0],"ok":[true,false]}}"#, true),
        (#"{ "push_source_name" : "sensor_stats" , "df" : { "machine_id" : [ "m1" ] , "event_timestamp" : [ 1799999000.25 ] , "temp" : [ -0 ] } , "to" : "online" }"#, true),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"created_timestamp":[null],"temp":[1e2]},"allow_registry_cache":true}"#, true),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1","m1"],"event_timestamp":["2027-01-15 08:00:00",1799999000],"created_timestamp":[1799999001,null],"temp":[123456789012345678901234567890,0.1]}}"#, true),
        (#"{"feature_view":"cells","df":{"plant":[1,2],"cell_no":[10,-3],"event_timestamp":[1799999000,1799999000],"load":[0.5,null],"state":["on","off"]}}"#, true),
        (#"{"feature_view":"forever","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"level":[9223372036854775807]}}"#, true),
        // Refused by the JSON path: the fast path must not take them.
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"temp":["hot"]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"count":[1.5]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"nope":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1","m2"],"event_timestamp":[1799999000],"temp":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[2799999000],"temp":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":[1],"event_timestamp":[1799999000],"temp":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"event_timestamp":[1799999000],"temp":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"temp":[1]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":[],"event_timestamp":[]}}"#, false),
        (#"{"feature_view":"nope","df":{"machine_id":["m1"],"event_timestamp":[1799999000]}}"#, false),
        (#"{"feature_view":"sensor_stats","to":"disk","df":{"machine_id":["m1"],"event_timestamp":[1799999000]}}"#, false),
        (#"{"feature_view":"sensor_stats","extra":1,"df":{"machine_id":["m1"],"event_timestamp":[1799999000]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"temp":[1e999]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":["yesterday"]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"created_timestamp":[true]}}"#, false),
        (#"{"feature_view":"cells","df":{"plant":[1],"cell_no":["x"],"event_timestamp":[1799999000]}}"#, false),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000]},"allow_registry_cache":"yes"}"#, false),
        // Valid, plain or not (nil: the JSON path takes them).
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m\u0031"],"event_timestamp":[1799999000],"temp":[1]}}"#, nil),
        (#"{"feature_view":"sensor_stats","feature_view":"sensor_stats","df":{"machine_id":["m1"],"event_timestamp":[1799999000]}}"#, nil),
        (#"{"feature_view":"sensor_stats","df":{"machine_id":["m1"],"machine_id":["m2"],"event_timestamp":[1799999000]}}"#, nil),
        (#"{"feature_view":"forever","df":{"machine_id":["m1"],"event_timestamp":[1799999000],"level":[1e3]}}"#, true),
        (#"{"feature_view":"cells","df":{"plant":["1"],"cell_no":[2],"event_timestamp":[1799999000]}}"#, true),
    ] as [(String, Bool?)])
    func sameAsJSONPath(body: String, plain: Bool?) throws {
        let store = try makeStore(Self.definitions)
        let (definitions, limits) = (store.definitions.set, store.limits)
        let bytes = Array(body.utf8)
        let fast = bytes.withUnsafeBufferPointer {
            PushBatch.parsePlain(body: $0, route: .push, definitions: definitions, limits: limits, now: Self.now)
        }
        let general = Result { try PushBatch.parse(try JSONParser.parse(bytes), route: .push, definitions: definitions, limits: limits, now: Self.now) }
        switch (plain, fast, general) {
        case (false, nil, .failure): break
        case (_, let fast?, .success(let batch)):
            #expect(plain == true)
            #expect(fast.view.name == batch.view.name && fast.target == batch.target)
            #expect(fast.keys == batch.keys)
            #expect(fast.eventNanos == batch.eventNanos && fast.createdNanos == batch.createdNanos)
            #expect(fast.columns == batch.columns)
            #expect(fast.columns.joined().map { "\($0)" } == batch.columns.joined().map { "\($0)" })  // -0.0 stays -0.0
        case (nil, nil, .success): break
        default:
            Issue.record("plain \(String(describing: plain)): fast \(fast == nil ? "nil" : "batch"), general \(general)")
        }
    }
}
