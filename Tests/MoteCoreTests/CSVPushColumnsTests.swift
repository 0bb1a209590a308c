import Testing

@testable import MoteCore

/// CSV records become a push body's typed columns: values as the view's types read them, bad
/// records refused whole with the reason, quoting and non-ASCII text kept.
@Suite("CSV push columns")
struct CSVPushColumnsTests {
    let header = ["machine_id", "event_timestamp", "temp", "n", "ok", "mode"]
    let kinds: [CSVPushColumns.Kind] = [.key, .time, .float64, .int64, .bool, .string]

    @Test("typed values, nulls, refusals, and the body the server reads")
    func body() throws {
        let csv = """
            machine_id,event_timestamp,temp,n,ok,mode
            m1,2026-01-01T00:00:00Z,20.5,3,TRUE,run
            "a,b",1700000000,1e3,-12,no,"x""y"
            m3,not-a-time,1,1,true,x
            m4,2026-01-01T00:00:00Z,1e400,1,true,x
            m5,2026-01-01T00:00:00.5Z,,,,
            m6,1700000000.25,0x10,+7,yes,é\r
            m7,2026-01-01T00:00:00Z,12345678901234567,99999999999999999999,true,x
            m8,2026-01-01T00:00:00Z,1,007,maybe,x
            ,2026-01-01T00:00:00Z,1,1,true,x
            m9,2026-01-01T00:00:00Z,1,1,true
            m10,2026-01-01T00:00:00Z,-0.000123,-0,1,"multi
            line"

            """
        var reader = CSVReader(bytes: Array(csv.utf8))
        var record = CSVRecord()
        let headerRead = reader.next(into: &record)
        #expect(headerRead && record.count == 6)
        var columns = CSVPushColumns(names: header, kinds: kinds)
        var refused: [(Int, String)] = []
        while reader.next(into: &record) {
            if let reason = columns.add(record) { refused.append((reader.line, reason)) }
        }
        #expect(columns.rows == 5)
        #expect(refused.map(\.0) == [4, 5, 8, 9, 10, 11])
        #expect(refused.map(\.1) == [
            "'event_timestamp': 'not-a-time' is not an RFC 3339 time or epoch seconds",
            "'temp': '1e400' is not float64",
            "'n': '99999999999999999999' is not int64",
            "'ok': 'maybe' is not bool",
            "'machine_id' is empty",
            "5 fields, the header has 6",
        ])
        let bytes = columns.body(view: "sensor_stats", to: "online_and_offline")
        let body = try JSONParser.parse(bytes)
        #expect(body["feature_view"] == "sensor_stats")
        #expect(body["to"] == "online_and_offline")
        let df = try #require(body["df"])
        #expect(df["machine_id"] == .array(["m1", "a,b", "m5", "m6", "m10"]))
        #expect(
            df["event_timestamp"]
                == .array([
                    "2026-01-01T00:00:00Z", .integer(1_700_000_000), "2026-01-01T00:00:00.5Z", .double(1_700_000_000.25),
                    "2026-01-01T00:00:00Z",
                ]))
        #expect(df["temp"] == .array([.double(20.5), .double(1000), .null, .integer(16), .double(-0.000123)]))  // the server reads 16 as 16.0
        #expect(df["n"] == .array([.integer(3), .integer(-12), .null, .integer(7), .integer(0)]))
        #expect(df["ok"] == .array([.bool(true), .bool(false), .null, .bool(true), .bool(true)]))
        #expect(df["mode"] == .array(["run", "x\"y", .null, "é", "multi\nline"]))
        // The columns start again empty.
        #expect(columns.rows == 0)
        let empty = columns.body(view: "v", to: "online")
        #expect(try JSONParser.parse(empty)["df"]?["temp"] == .array([]))
    }

    @Test("numbers copied as written only when every reader gets the same double from them")
    func numberForms() {
        func short(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { CSVPushColumns.isShortJSONNumber($0) } }
        #expect(short("0") && short("-1.5") && short("12.345e-12") && short("999999999999999.5") && short("1E+99"))
        #expect(!short("1e100") && !short("1234567890123456") && !short(".5") && !short("5.") && !short("01") && !short("+1"))
        #expect(!short("nan") && !short("1e") && !short("-") && !short(""))
        func integer(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { CSVPushColumns.isShortJSONInteger($0) } }
        #expect(integer("0") && integer("-123456789012345678") && integer("7"))
        #expect(!integer("-0") && !integer("007") && !integer("1234567890123456789") && !integer("1.0") && !integer("+1"))
    }
}
