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

    @Test("any finite double is written as description writes it, without a String (exact short decimals, description for exponents)")
    func anyDouble() {
        var generator = SystemRandomNumberGenerator()
        var cases: [Double] = [1e15, -1e15, 1e300, .leastNonzeroMagnitude, -2.2250738585072014e-308, .greatestFiniteMagnitude, 1.25 + 1 / 7, 1e-5, 123456789012.5]
        for _ in 0..<100_000 {
            let value = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            if value.isFinite { cases.append(value) }
        }
        // Every decade the decimal path covers, at full precision, and neighbours of short decimals.
        for exponent in -5...16 {
            for _ in 0..<20_000 {
                cases.append(Double.random(in: 1...10, using: &generator) * pow10(exponent))
            }
        }
        // Short decimals whose digits lie around 2^50, where the double-arithmetic shortcut
        // gives way to integers.
        for k in 1...4 {
            for _ in 0..<5_000 {
                cases.append(Double(Int64.random(in: (1 << 48)...(1 << 53), using: &generator)) / pow10(k))
            }
        }
        for _ in 0..<50_000 {
            let short = (Double.random(in: -1e4...1e4, using: &generator) * 1000).rounded() / 1000
            cases.append(short.nextUp)
            cases.append(short.nextDown)
        }
        for exponent in -14...(-1) {
            let power = Double(sign: .plus, exponent: exponent, significand: 1)
            cases += [power, power.nextUp, power.nextDown, -power.nextUp]  // the narrower gap below a power of two
        }
        for exponent in -14...49 { cases.append(Double(sign: .plus, exponent: exponent, significand: 1) + 0.25 * Double(sign: .plus, exponent: exponent, significand: 1)) }
        for value in cases {
            let expected = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description
            #expect(written(value) == expected, "\(value)")
            if written(value) != expected { return }
        }
        #expect(written(.nan) == "null")
        #expect(written(-.infinity) == "null")
        var float: [UInt8] = []
        JSONWriter.appendFloat64(55, to: &float)
        JSONWriter.appendFloat64(-0.5, to: &float)
        #expect(String(decoding: float, as: UTF8.self) == "55.0-0.5")
    }

    @Test("integers are written as their description, at every digit count and both ends")
    func integers() {
        var cases: [Int64] = [0, 1, -1, 9, 10, 99, 100, Int64.max, Int64.min, Int64.min + 1]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            cases += [power - 1, power, power + 1, -power, -(power - 1)]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 { cases.append(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0..<63, using: &generator)) }
        for value in cases {
            let text = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: NumberText.maxBytes) { buffer in
                String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<NumberText.writeInt(value, to: buffer.baseAddress!)]), as: UTF8.self)
            }
            #expect(text == String(value))
        }
    }

    func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<abs(exponent) { value *= 10 }
        return exponent < 0 ? 1 / value : value
    }
}
