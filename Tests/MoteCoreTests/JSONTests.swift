#if canImport(Glibc)
import Glibc
#endif
import MoteCore
import Testing

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("parses objects in key order, exact integers, doubles, escapes")
    func parse() throws {
        let value = try JSONParser.parse(#" {"b": 1, "a": [true, null, -0.5, 9007199254740993, "x\n\u00e9\ud83d\ude00"]} "#)
        #expect(value.objectValue?.keys == ["b", "a"])
        #expect(value["b"] == .integer(1))
        #expect(value["a"]?.arrayValue?[3] == .integer(9_007_199_254_740_993))
        #expect(value["a"]?.arrayValue?[2] == .double(-0.5))
        #expect(value["a"]?.arrayValue?[4] == .string("x\né😀"))
    }

    @Test("refuses malformed documents with an offset", arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"abc", "tru", "[1] 2", "{\"a\":1,}", "\"\u{01}\"",
        "\"\\ud800\"", String(repeating: "[", count: 500),
    ])
    func refuses(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }

    @Test("writer output parses back to the same value")
    func roundTrip() throws {
        let value: JSONValue = [
            "name": "quote \" backslash \\ newline \n control \u{1}", "n": 42, "neg": -7, "x": 0.1, "big": 1e300,
            "list": [true, false, nil, [:], []], "nested": ["k": ["deep": 1.5]],
        ]
        var writer = JSONWriter()
        writer.value(value)
        #expect(try JSONParser.parse(writer.bytes) == value)
    }

    @Test("non-finite doubles are written as null")
    func nonFinite() {
        var writer = JSONWriter()
        writer.beginArray()
        writer.double(.nan)
        writer.double(.infinity)
        writer.double(2.5)
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "[null,null,2.5]")
    }
}

@Suite("JSON number fast path")
struct JSONNumberTests {
    @Test("decimals parse to exactly what strtod gives, on the fast path and off it")
    func sameAsStrtod() {
        var state: UInt64 = 99
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        var texts = ["0", "-0", "0.1", "1e22", "1e23", "9007199254740993", "123456789012345678901234", "1.7976931348623157e308",
                     "5e-324", "0.30000000000000004", "-2.5E-3", "1E+2", "3.14159265358979"]
        for _ in 0..<20000 {
            let v = Double(bitPattern: next() >> 1) // any finite positive double, mostly
            if v.isFinite { texts.append(v.description) }
            let m = next() % 100_000_000
            let e = Int(next() % 40) - 20
            texts.append("\(m)e\(e)")
            texts.append("\(next() % 1000).\(next() % 1_000_000)")
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer { JSONCursor.parseDouble($0) }
            let reference = text.withCString { strtod($0, nil) }
            #expect(parsed.bitPattern == reference.bitPattern, "\(text)")
        }
    }

    @Test("the plain scanner reads numbers exactly as the parser does")
    func scannerNumbers() {
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        var texts = ["0", "-0", "12", "-3e2", "1E+2", "0.5e-3", "9007199254740993", "1e23", "123456789012345678901", "2.2250738585072014e-308"]
        for _ in 0..<20000 {
            texts.append(Double(bitPattern: next() >> 1).description)
            texts.append("-\(next() % 100_000).\(next() % 10_000)e\(Int(next() % 30) - 15)")
        }
        for text in texts where !text.contains("nan") && !text.contains("inf") {
            let bytes = Array(text.utf8)
            let viaScanner = bytes.withUnsafeBufferPointer { raw -> Double? in
                var scan = PlainJSONScanner(raw)
                return scan.number()
            }
            let viaParser = bytes.withUnsafeBufferPointer { JSONCursor.parseDouble($0) }
            #expect(viaScanner?.bitPattern == viaParser.bitPattern, "\(text)")
        }
    }

    /// Found by the JSON fuzz target's first seed: a value after a container, in a container
    /// opened right after a key, lost its comma (`{"a":[{},[]""]}`).
    @Test("a value after a nested container in a keyed container keeps its comma")
    func nestedContainersAfterKey() throws {
        let text = #"{"a":[{},[],"",0,[1],{"b":[[],2]},true],"c":{"d":{},"e":null}}"#
        let value = try JSONParser.parse(text)
        var w = JSONWriter()
        w.value(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == text)
    }

    /// Found by the JSON fuzz target: `1.8e308` was read as infinity and written back as null.
    @Test("a number past the largest double is refused, not read as infinity", arguments: ["1.8e308", "-1e999", "[1, 2e400]"])
    func outOfRange(text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
    }
}
