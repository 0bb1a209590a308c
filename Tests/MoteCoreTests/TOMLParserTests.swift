import MoteCore
import Testing

@Suite("TOML parser")
struct TOMLParserTests {
    @Test("tables, arrays of tables, inline tables and dotted keys build the documented shape")
    func structure() throws {
        let doc = try TOMLParser.parse(
            """
            # definitions
            [[entity]]
            name = "machine"
            join_key = "machine_id"

            [[feature_view]]
            name = "sensor_stats"
            ttl = "2h"
            retention = { max_age = "30d", max_rows = 10_000_000 }
            fields = [
              { name = "temp", type = "float64" },
              { name = "mode", type = "string" },   # trailing comma allowed
            ]

            [training.params]
            num_trees = 100
            a.b.c = true
            """)
        guard case .array(let entities) = doc["entity"], case .table(let machine) = entities.first else {
            Issue.record("entity is not an array of tables")
            return
        }
        #expect(machine["join_key"] == .string("machine_id"))
        #expect(machine.line == 2)
        guard case .array(let views) = doc["feature_view"], case .table(let view) = views.first,
            case .table(let retention) = view["retention"], case .array(let fields) = view["fields"]
        else {
            Issue.record("feature_view shape")
            return
        }
        #expect(retention["max_rows"] == .integer(10_000_000))
        #expect(fields.count == 2)
        #expect(view.line(of: "ttl") == 8)
        guard case .table(let training) = doc["training"], case .table(let params) = training["params"],
            case .table(let a) = params["a"], case .table(let b) = a["b"]
        else {
            Issue.record("training.params")
            return
        }
        #expect(params["num_trees"] == .integer(100))
        #expect(b["c"] == .bool(true))
    }

    @Test("strings: escapes, literal, multi-line, unicode")
    func strings() throws {
        let doc = try TOMLParser.parse(
            #"""
            a = "tab\there \"q\" \u00e9 \U0001F600"
            b = 'C:\path\no-escape'
            c = """
            line one
            line two \
               joined"""
            d = '''
            raw \n text'''
            """#)
        #expect(doc["a"] == .string("tab\there \"q\" é 😀"))
        #expect(doc["b"] == .string(#"C:\path\no-escape"#))
        #expect(doc["c"] == .string("line one\nline two joined"))
        #expect(doc["d"] == .string(#"raw \n text"#))
    }

    @Test("numbers, booleans and date-times")
    func scalars() throws {
        let doc = try TOMLParser.parse(
            """
            i = -42
            h = 0xff
            o = 0o17
            b = 0b101
            f = 6.5e-3
            g = +inf
            t = true
            d = 2026-11-29T03:21:51Z
            ld = 2026-11-29
            """)
        #expect(doc["i"] == .integer(-42))
        #expect(doc["h"] == .integer(255))
        #expect(doc["o"] == .integer(15))
        #expect(doc["b"] == .integer(5))
        #expect(doc["f"] == .float(6.5e-3))
        #expect(doc["g"] == .float(.infinity))
        #expect(doc["t"] == .bool(true))
        #expect(doc["d"] == .datetime("2026-11-29T03:21:51Z"))
        #expect(doc["ld"] == .datetime("2026-11-29"))
    }

    @Test("errors name the line", arguments: [
        ("a = 1\nb = \n", 2),
        ("a = 1\na = 2\n", 2),
        ("[t]\nx = 1\n[t]\n", 3),
        ("x = \"unterminated\n", 1),
        ("x = 01\n", 1),
        ("\n\nx = [1, 2\n", 4),
        ("x = 1 y = 2\n", 1),
        ("x = nope\n", 1),
    ])
    func errors(text: String, line: Int) {
        do {
            _ = try TOMLParser.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
        }
    }

    /// Found by the TOML fuzz target in CI: 200 nested `[` overflowed the stack (a definitions
    /// file posted to /v1/apply could have stopped moted).
    @Test("nesting deeper than maxDepth is an error, not a stack overflow")
    func deepNesting() throws {
        let deep = "b = " + String(repeating: "[", count: 100_000)
        #expect(throws: TOMLParser.Failure.self) { try TOMLParser.parse(deep) }
        let inline = "b = " + String(repeating: "{ a = ", count: 10_000)
        #expect(throws: TOMLParser.Failure.self) { try TOMLParser.parse(inline) }
        let fine = "b = " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try TOMLParser.parse(fine) }
    }
}
