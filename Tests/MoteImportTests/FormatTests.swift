@testable import MoteImport
import MoteCore
import Testing

/// The pieces under the readers: float comparisons restated for doubles, UBJSON, protobuf limits.
@Suite struct FormatTests {
    /// For every float threshold and every double input near it, `Float(v) <= t` and
    /// `Float(v) < t` decide exactly as `v <= bound`.
    @Test func floatBoundsDecideLikeFloatComparisons() {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
        var thresholds: [Float] = [0, -0.0, 1, -1, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0.1, -0.16627097]
        for _ in 0..<2000 { thresholds.append(Float(bitPattern: UInt32(truncatingIfNeeded: next() >> 17))) }
        for t in thresholds where t.isFinite {
            let le = FloatBounds.atMost(t)
            let lt = FloatBounds.below(t)
            // Inputs around the threshold: the float neighbours, the midpoints and doubles a step off.
            let neighbours = [t.nextDown, t, t.nextUp].filter(\.isFinite).map(Double.init)
            var inputs: [Double] = neighbours
            for (a, b) in zip(neighbours, neighbours.dropFirst()) {
                let mid = a + (b - a) / 2
                inputs += [mid, mid.nextDown, mid.nextUp]
            }
            inputs += [le, le.nextUp, lt, lt.nextUp]
            for v in inputs {
                #expect((Float(v) <= t) == (v <= le), "t=\(t) v=\(v)")
                #expect((Float(v) < t) == (v <= lt), "t=\(t) v=\(v)")
            }
        }
    }

    @Test func ubjsonReadsTypedArraysAndRefusesHostileCounts() throws {
        // {"a": [$d#i 2 <1.5f> <-2f>], "b": "xy"}
        var bytes: [UInt8] = [UInt8(ascii: "{"), UInt8(ascii: "i"), 1, UInt8(ascii: "a")]
        bytes += [UInt8(ascii: "["), UInt8(ascii: "$"), UInt8(ascii: "d"), UInt8(ascii: "#"), UInt8(ascii: "i"), 2]
        for f: Float in [1.5, -2] { let b = f.bitPattern; bytes += [UInt8(b >> 24), UInt8(b >> 16 & 0xFF), UInt8(b >> 8 & 0xFF), UInt8(b & 0xFF)] }
        bytes += [UInt8(ascii: "i"), 1, UInt8(ascii: "b"), UInt8(ascii: "S"), UInt8(ascii: "i"), 2, UInt8(ascii: "x"), UInt8(ascii: "y"), UInt8(ascii: "}")]
        let value = try UBJSON.parse(bytes)
        #expect(value["a"] == [1.5, -2.0])
        #expect(value["b"] == "xy")
        // A count of 2^40 elements in a 20-byte file.
        let hostile: [UInt8] = [UInt8(ascii: "["), UInt8(ascii: "$"), UInt8(ascii: "d"), UInt8(ascii: "#"), UInt8(ascii: "L"), 0, 0, 1, 0, 0, 0, 0, 0]
        #expect(throws: ImportError.self) { try UBJSON.parse(hostile) }
        // Nesting past the limit.
        #expect(throws: ImportError.self) { try UBJSON.parse([UInt8](repeating: UInt8(ascii: "["), count: 1000)) }
    }

    @Test func detectionNamesTheFormat() {
        #expect(ImportedModel.detect(Array("tree\nversion=v4\n".utf8)) == .lightgbm)
        #expect(ImportedModel.detect(Array("{\"learner\": {}}".utf8)) == .xgboost)
        #expect(ImportedModel.detect(Array("{\"mote_export\": 1}".utf8)) == nil)
        #expect(ImportedModel.detect([0x08, 0x07, 0x12, 0x08, 0x73, 0x6B, 0x6C, 0x32, 0x6F, 0x6E]) == .onnx)
    }
}
