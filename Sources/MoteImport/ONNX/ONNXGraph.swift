/// An ONNX graph made ready to run: every value named by a slot number, the constants loaded,
/// and the nodes the answer needs (in the file's topological order) each bound to its
/// operator. Immutable and shared by every request; a run keeps its values in its own array.
struct ONNXGraph: Sendable {
    /// One operator application.
    struct Step: Sendable {
        let op: String
        /// Input slots; -1 for an optional input left out.
        let inputs: [Int]
        let outputs: [Int]
        let run: @Sendable ([Tensor?]) throws(ImportError) -> [Tensor]
    }

    /// A graph input: its slot, the columns it takes from a row, and its element type.
    struct Input: Sendable {
        let slot: Int
        let width: Int
        let double: Bool
    }

    let slotCount: Int
    let constants: [(slot: Int, value: Tensor)]
    let inputs: [Input]
    let steps: [Step]
    /// The slot holding the answer: the probabilities (rows x classes) or the predictions.
    let answer: Int
    /// For a binary model whose answer has two columns: take the second.
    let secondColumn: Bool
    /// Scores per row the caller expects.
    let width: Int

    var featureCount: Int { inputs.reduce(0) { $0 + $1.width } }

    /// Runs the graph on `rows` rows; the answer as doubles, `width` per row.
    func run(_ x: UnsafeBufferPointer<Double>, rows: Int) throws(ImportError) -> [Double] {
        var values = [Tensor?](repeating: nil, count: slotCount)
        try evaluate(x, rows: rows, into: &values)
        guard let answer = values[answer] else { throw .invalid("the graph's output has no value") }
        let flat = try answer.doubles("output")
        let perRow = rows == 0 ? 0 : flat.count / rows
        guard perRow * rows == flat.count, perRow == (secondColumn ? 2 : width) else {
            throw .invalid("the graph's output has \(flat.count) values for \(rows) rows, expected \(secondColumn ? 2 : width) per row")
        }
        if secondColumn { return (0..<rows).map { flat[$0 * 2 + 1] } }
        return flat
    }

    /// Sets the inputs from a row-major matrix and runs every step.
    func evaluate(_ x: UnsafeBufferPointer<Double>, rows: Int, into values: inout [Tensor?]) throws(ImportError) {
        for c in constants { values[c.slot] = c.value }
        let columns = featureCount
        var offset = 0
        for input in inputs {
            if input.double {
                var a = [Double](repeating: 0, count: rows * input.width)
                for r in 0..<rows { for c in 0..<input.width { a[r * input.width + c] = x[r * columns + offset + c] } }
                values[input.slot] = Tensor(shape: [rows, input.width], elements: .double(a))
            } else {
                var a = [Float](repeating: 0, count: rows * input.width)
                for r in 0..<rows { for c in 0..<input.width { a[r * input.width + c] = Float(x[r * columns + offset + c]) } }
                values[input.slot] = Tensor(shape: [rows, input.width], elements: .float(a))
            }
            offset += input.width
        }
        for step in steps {
            var args: [Tensor?] = []
            args.reserveCapacity(step.inputs.count)
            for slot in step.inputs {
                if slot < 0 {
                    args.append(nil)
                } else {
                    guard let v = values[slot] else { throw .invalid("\(step.op): an input has no value") }
                    args.append(v)
                }
            }
            let results = try step.run(args)
            for (slot, value) in zip(step.outputs, results) where slot >= 0 { values[slot] = value }
        }
    }

    /// `run`, for serving: a failure (which the import's trial run rules out for well-formed
    /// rows) gives NaN scores rather than a wrong number.
    func scores(_ x: UnsafeBufferPointer<Double>, rows: Int) -> [Double] {
        (try? run(x, rows: rows)) ?? [Double](repeating: .nan, count: rows * width)
    }
}
