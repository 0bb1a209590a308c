/// Thresholds for comparisons made in 32-bit floats, restated for 64-bit inputs. XGBoost and
/// the ONNX tree operators round an input to `Float` and compare it with a `Float` threshold;
/// mote's tree walk compares the `Double` input with a `Double` threshold. For each float
/// comparison there is one double threshold that decides every input the same way, so the
/// walk stays one `<=` per node and gives the source library's path for every value.
enum FloatBounds {
    /// The largest `Double` `d` with `Float(d) <= t`: `Float(v) <= t` exactly when `v <= bound`.
    static func atMost(_ t: Float) -> Double {
        if t.isInfinite {
            // Below -(largest float + half an ulp) values round to -infinity (a tie rounds away,
            // the largest float's significand being odd).
            return t > 0 ? .infinity : -(Double(Float.greatestFiniteMagnitude) + Double(Float.greatestFiniteMagnitude.ulp) / 2)
        }
        let next = t.nextUp
        let low = Double(t)
        // Past the largest float, values round to infinity from halfway to the next power of two.
        let high = next.isInfinite ? low + (low - Double(t.nextDown)) : Double(next)
        let mid = low + (high - low) / 2
        // A value exactly halfway rounds to the neighbour with an even significand.
        let tEven = t.significandBitPattern & 1 == 0
        return tEven ? mid : mid.nextDown
    }

    /// The largest `Double` `d` with `Float(d) < t`: `Float(v) < t` exactly when `v <= bound`.
    static func below(_ t: Float) -> Double {
        t == -.infinity ? -.infinity : atMost(t.nextDown)
    }
}
