/// What a boosted ensemble predicts.
public enum GBDTObjective: String, Sendable, Equatable, CaseIterable {
    /// Squared error; predicts the value.
    case regression
    /// Log loss on 0/1 labels; predicts the probability of 1.
    case binary
}

/// A trained gradient-boosted tree ensemble in a flat layout: all nodes of all trees in
/// parallel arrays, so prediction walks small contiguous arrays without pointers.
public struct GBDTModel: Sendable, Equatable {
    public var objective: GBDTObjective
    /// Added to every raw score (the mean label, or its log odds).
    public var baseScore: Double
    /// Per node: the feature tested, or -1 for a leaf.
    public var feature: [Int32]
    /// Per node: values `<= threshold` go left.
    public var threshold: [Double]
    /// Per node: where a missing value (NaN) goes.
    public var defaultLeft: [Bool]
    /// Per node: child indices (global node indices).
    public var left: [Int32]
    public var right: [Int32]
    /// Per node: the leaf's contribution (learning rate applied); 0 for inner nodes.
    public var value: [Double]
    /// The root node of each tree.
    public var roots: [Int32]
    /// Number of input features.
    public var featureCount: Int

    public var treeCount: Int { roots.count }

    /// The raw score (before the link function) of one row.
    @inline(__always)
    public func rawScore(_ row: UnsafeBufferPointer<Double>) -> Double {
        var score = baseScore
        feature.withUnsafeBufferPointer { feature in
            threshold.withUnsafeBufferPointer { threshold in
                left.withUnsafeBufferPointer { left in
                    right.withUnsafeBufferPointer { right in
                        defaultLeft.withUnsafeBufferPointer { defaultLeft in
                            value.withUnsafeBufferPointer { value in
                                for root in roots {
                                    var node = Int(root)
                                    while feature[node] >= 0 {
                                        let v = row[Int(feature[node])]
                                        let goLeft = v.isNaN ? defaultLeft[node] : v <= threshold[node]
                                        node = Int(goLeft ? left[node] : right[node])
                                    }
                                    score += value[node]
                                }
                            }
                        }
                    }
                }
            }
        }
        return score
    }

    /// Predictions for the rows of a row-major matrix: values for regression, probabilities
    /// of the positive class for binary.
    public func predict(_ x: [Double], rows: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { all in
            for r in 0..<rows {
                let raw = rawScore(UnsafeBufferPointer(rebasing: all[(r * featureCount)..<((r + 1) * featureCount)]))
                out[r] = objective == .binary ? sigmoid(raw) : raw
            }
        }
        return out
    }
}

@inline(__always)
func sigmoid(_ x: Double) -> Double { 1 / (1 + (-x).exp) }

extension Double {
    /// e^self, without Foundation.
    @inline(__always) var exp: Double { _exp(self) }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
@inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
#endif
