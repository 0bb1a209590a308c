/// The values a tree learner reads, without copying them into one matrix: either a row-major
/// matrix (`x[r * columns + c]`) or one array per column, each from row `start` on. Pointers
/// are valid only inside `FeatureMatrix.with` (the arrays are kept alive and unmoved there).
public struct FeatureMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    private let rowMajor: UnsafePointer<Double>?
    private let columnStarts: [UnsafePointer<Double>]

    /// Value of row `r`, column `c`.
    @inline(__always)
    public func value(_ r: Int, _ c: Int) -> Double {
        if let rowMajor { return rowMajor[r * columns + c] }
        return columnStarts[c][r]
    }

    /// Calls `body` with a row-major matrix of `rows` x `columns`.
    public static func with<R>(rowMajor x: [Double], rows: Int, columns: Int, _ body: (FeatureMatrix) -> R) -> R {
        precondition(x.count >= rows * columns, "the matrix holds rows x columns values")
        return x.withUnsafeBufferPointer { p in
            body(FeatureMatrix(rows: rows, columns: columns, rowMajor: p.baseAddress ?? FeatureMatrix.empty, columnStarts: []))
        }
    }

    /// Calls `body` with rows `start..<start + rows` of column arrays (`arrays[c][r]`).
    public static func with<R>(columns arrays: [[Double]], start: Int, rows: Int, _ body: (FeatureMatrix) -> R) -> R {
        precondition(arrays.allSatisfy { $0.count >= start + rows }, "every column holds the rows")
        var starts: [UnsafePointer<Double>] = []
        starts.reserveCapacity(arrays.count)
        func pin(_ i: Int) -> R {
            if i == arrays.count {
                return body(FeatureMatrix(rows: rows, columns: arrays.count, rowMajor: nil, columnStarts: starts))
            }
            return arrays[i].withUnsafeBufferPointer { p in
                starts.append((p.baseAddress ?? FeatureMatrix.empty) + (p.baseAddress == nil ? 0 : start))
                return pin(i + 1)
            }
        }
        return pin(0)
    }

    /// Stands in for the storage of an empty array (never read: such a matrix has no rows).
    nonisolated(unsafe) private static let emptyStorage: UnsafeMutablePointer<Double> = {
        let p = UnsafeMutablePointer<Double>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    private static var empty: UnsafePointer<Double> { UnsafePointer(emptyStorage) }
}
