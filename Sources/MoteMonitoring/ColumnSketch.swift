public import MoteML

/// One column's live values over a span of time, in a form that merges: exact counts and
/// moments, exact counts of text values and of few-valued numbers (bounded), and a uniform
/// sample of the numbers. A window is the merge of its buckets' sketches, so judging a new
/// window never rescans logged rows.
public struct ColumnSketch: Sendable, Equatable {
    /// Values seen, missing included.
    public var rows = 0
    public var missing = 0
    /// Numeric values seen.
    public var numbers = 0
    public var sum = 0.0
    public var min = Double.infinity
    public var max = -Double.infinity
    /// A uniform sample of the numeric values (reservoir), at most the sketch's capacity.
    public var sample: [Double] = []
    /// Text values and their counts, at most `categoryLimit` distinct.
    public var texts: [String: Int] = [:]
    /// Numeric values and their counts while there are at most `categoryLimit` distinct.
    public var numberCounts: [Double: Int] = [:]
    /// More distinct values arrived than `categoryLimit` (texts beyond it are counted in
    /// `otherTexts`; number counts are then not exact and `numberCounts` is emptied).
    public var numbersOverflow = false
    public var otherTexts = 0

    public static let categoryLimit = 256

    public init() {}

    public var mean: Double? { numbers > 0 ? sum / Double(numbers) : nil }

    /// Adds a number (NaN is missing), keeping at most `capacity` sampled values.
    @inline(__always)
    public mutating func add(_ v: Double, capacity: Int, random: inout SplitMix64) {
        rows += 1
        guard v.isFinite else {
            missing += 1
            return
        }
        numbers += 1
        sum += v
        if v < min { min = v }
        if v > max { max = v }
        if sample.count < capacity {
            sample.append(v)
        } else {
            let j = Int(random.next() % UInt64(numbers))
            if j < capacity { sample[j] = v }
        }
        if !numbersOverflow {
            numberCounts[v, default: 0] += 1
            if numberCounts.count > Self.categoryLimit {
                numbersOverflow = true
                numberCounts = [:]
            }
        }
    }

    public mutating func add(text: String) {
        rows += 1
        if texts[text] != nil || texts.count < Self.categoryLimit {
            texts[text, default: 0] += 1
        } else {
            otherTexts += 1
        }
    }

    public mutating func addMissing() {
        rows += 1
        missing += 1
    }

    /// The sketches merged, with a sample of at most `sampleSize` numbers drawn from each part
    /// in proportion to how many numbers it saw (so a busy minute weighs as it should).
    public static func merge(_ parts: [ColumnSketch], sampleSize: Int) -> ColumnSketch {
        var out = ColumnSketch()
        var numbersOverflow = false
        for p in parts {
            out.rows += p.rows
            out.missing += p.missing
            out.numbers += p.numbers
            out.sum += p.sum
            out.min = Swift.min(out.min, p.min)
            out.max = Swift.max(out.max, p.max)
            out.otherTexts += p.otherTexts
            for (k, c) in p.texts { out.texts[k, default: 0] += c }
            numbersOverflow = numbersOverflow || p.numbersOverflow
            if !numbersOverflow {
                for (k, c) in p.numberCounts { out.numberCounts[k, default: 0] += c }
                if out.numberCounts.count > categoryLimit { numbersOverflow = true }
            }
        }
        out.numbersOverflow = numbersOverflow
        if numbersOverflow { out.numberCounts = [:] }
        let target = Swift.min(sampleSize, out.numbers)
        if target > 0 {
            out.sample.reserveCapacity(target)
            // Cumulative rounding: the shares add up to `target` exactly.
            var seen = 0
            var given = 0
            for p in parts where p.numbers > 0 {
                seen += p.numbers
                let upTo = Int((Double(target) * Double(seen) / Double(out.numbers)).rounded())
                let share = upTo - given
                given = upTo
                let take = Swift.min(p.sample.count, share)
                guard take > 0 else { continue }
                // Evenly spaced picks: a reservoir that is not full holds values in arrival order.
                for k in 0..<take { out.sample.append(p.sample[k * p.sample.count / take]) }
            }
        }
        return out
    }
}
