@testable import MoteCore
import Testing

/// Numbers are written without making a String where that is safe; the text must be exactly
/// what `description` writes, or answers would change with the path a value took.
@Suite("JSON number text")
struct JSONNumberTextTests {
    func written(_ value: Double) -> String {
        var out: [UInt8] = []
        JSONWriter.appendDouble(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test("the short-decimal path writes what description writes, for sensor-like and arbitrary values")
    func matchesDescription() {
        var generator = SystemRandomNumberGenerator()
        var shortPath = 0
        var cases: [Double] = [0.1, 0.2, 0.3, 1.5, -1.5, 12.345, -0.0001, 0.0001, 0.00012, 99.999, 123456.789, 1e14 + 0.5, 0.1 + 0.2]
        for scale in [1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9] {
            for _ in 0..<20_000 {
                let raw = Double.random(in: -1e6...1e6, using: &generator)
                cases.append((raw * scale).rounded() / scale)
            }
        }
        for _ in 0..<50_000 { cases.append(Double.random(in: -1...1, using: &generator)) }
        for _ in 0..<20_000 { cases.append(Double.random(in: 0...0.001, using: &generator)) }
        for value in cases where value != value.rounded() {
            var out: [UInt8] = []
            if JSONWriter.appendShortDecimal(value, to: &out) { shortPath += 1 }
            #expect(written(value) == value.description, "\(value)")
            if written(value) != value.description { return }
        }
        #expect(shortPath > 150_000)  // the sensor-like values took the short path
    }
}
