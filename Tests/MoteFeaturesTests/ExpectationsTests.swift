import MoteCore
@testable import MoteFeatures
import Testing

/// Expectations on incoming data: declared per field and view, kept through a restart of the
/// definitions, and checked on push (a rejecting view refuses the batch naming rows and rules,
/// stores nothing; a flagging one stores it).
@Suite("expectations on pushed data")
struct ExpectationsTests {
    static func definitions(onInvalid: String) -> String {
        """
        [[entity]]
        name = "machine"
        join_key = "machine_id"

        [[feature_view]]
        name = "sensors"
        entity = "machine"
        on_invalid = "\(onInvalid)"
        max_null_share = 0.2
        expect_every = "10m"
        fields = [
          { name = "temp", type = "float64", min = -40, max = 150, not_null = true },
          { name = "mode", type = "string", allowed = ["run", "idle"] },
        ]
        """
    }

    func body(_ temps: [String], _ modes: [String]) -> JSONValue {
        let keys = temps.indices.map { "\"m\($0)\"" }.joined(separator: ",")
        let times = temps.indices.map { _ in "1750000000" }.joined(separator: ",")
        let text = #"{"feature_view":"sensors","df":{"machine_id":[\#(keys)],"event_timestamp":[\#(times)],"temp":[\#(temps.joined(separator: ","))],"mode":[\#(modes.joined(separator: ","))]}}"#
        return try! JSONParser.parse(text)
    }

    @Test("declared rules are read, kept as JSON and read back; bad declarations name the key")
    func declarations() throws {
        let set = try DefinitionSet.parse(toml: Self.definitions(onInvalid: "flag"))
        let view = try #require(set.view("sensors"))
        #expect(view.expectations == ViewExpectations(onInvalid: .flag, maxNullShare: 0.2, expectEveryNanos: 600_000_000_000))
        #expect(view.fields[0].expectations == FieldExpectations(min: -40, max: 150, notNull: true))
        #expect(view.fields[1].expectations == FieldExpectations(allowed: ["run", "idle"]))
        var w = JSONWriter()
        set.write(into: &w)
        let back = try DefinitionSet.parse(json: w.bytes)
        #expect(back.view("sensors") == view)
        for (bad, key) in [
            ("{ name = \"mode\", type = \"string\", min = 1 }", "min"), ("{ name = \"t\", type = \"float64\", min = 5, max = 1 }", "max"),
            ("{ name = \"t\", type = \"float64\", allowed = [\"a\"] }", "allowed"),
        ] {
            let text = Self.definitions(onInvalid: "reject").replacing("{ name = \"mode\", type = \"string\", allowed = [\"run\", \"idle\"] }", with: bad)
            #expect(throws: ConfigFailure.self, "\(key)") { try DefinitionSet.parse(toml: text) }
        }
    }

    @Test("an int64 field's allowed values are integers in TOML; a value not among them breaks 'allowed'")
    func allowedIntegers() throws {
        func parse(_ allowed: String) throws -> FieldExpectations {
            let text = Self.definitions(onInvalid: "flag").replacing(
                "{ name = \"mode\", type = \"string\", allowed = [\"run\", \"idle\"] }", with: "{ name = \"mode\", type = \"int64\", allowed = \(allowed) }")
            return try #require(DefinitionSet.parse(toml: text).view("sensors")).fields[1].expectations
        }
        let e = try parse("[1, 2, \"3\"]")
        #expect(e.allowed == ["1", "2", "3"])
        #expect(e.broken(by: .int(2)) == nil && e.broken(by: .int(4)) == "allowed")
        for bad in ["[1.5]", "[\"x\"]", "[]", "[true]", "3"] {
            #expect(throws: ConfigFailure.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test("a rejecting view refuses a batch that breaks a rule, naming rows and rules, and stores nothing; a flagging one stores it")
    func onPush() throws {
        for policy in ["reject", "flag"] {
            let store = try makeStore(Self.definitions(onInvalid: policy))
            let batch = try PushBatch.parse(
                body(["20.5", "200", "null"], ["\"run\"", "\"idle\"", "\"broken\""]), definitions: store.definitions.set, limits: store.limits,
                now: 1_750_000_100_000_000_000)
            #expect(batch.violations() == [
                ExpectationViolation(row: 1, field: "temp", rule: "max"), ExpectationViolation(row: 2, field: "mode", rule: "allowed"),
                ExpectationViolation(row: 2, field: "temp", rule: "not_null"),
            ])
            if policy == "reject" {
                do {
                    try store.push(batch)
                    Issue.record("the batch was stored")
                } catch let error as DomainError {
                    #expect(error.code == .expectationFailed && error.message.contains("row 1 temp breaks max"), "\(error)")
                }
                #expect(try store.historyRowCount(viewID: store.definitions.set.view("sensors")!.id) == 0)
            } else {
                try store.push(batch)
                #expect(try store.historyRowCount(viewID: store.definitions.set.view("sensors")!.id) == 3)
                // Counted per field and rule over the window.
                let report = store.quality.report(view: "sensors", now: SystemClock.nowNanos())
                #expect(report["temp"]?.rows == 3 && report["temp"]?.nulls == 1 && report["temp"]?.broken == ["max": 1, "not_null": 1], "\(report)")
                #expect(report["mode"]?.broken == ["allowed": 1], "\(report)")
            }
        }
    }
}
