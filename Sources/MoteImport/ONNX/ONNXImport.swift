/// Reads an ONNX model into an `ONNXGraph`: checks the opsets, finds the answer (the
/// probabilities of a classifier, the predictions of a regressor), keeps the nodes that answer
/// needs, binds each to mote's implementation of its operator, and runs the graph once on a
/// trial row so a model that cannot run is refused at import, never at serving time. A
/// single tree ensemble fed straight from the input becomes a plain tree model (the fast walk).
enum ONNXImport {
    /// The newest opsets whose operators mote implements with their semantics.
    static let maxDefaultOpset: Int64 = 23
    static let maxMLOpset: Int64 = 5

    static func matches(_ bytes: [UInt8]) -> Bool {
        // ModelProto starts with ir_version (field 1, varint: 0x08) in every converter's output.
        bytes.count > 8 && bytes[0] == 0x08 && bytes[1] < 0x80
    }

    static func read(_ bytes: [UInt8], binaryOutput: Bool) throws(ImportError) -> ImportedModel {
        let proto = try ONNXProto.decode(bytes)
        let g = proto.graph
        for (domain, version) in proto.opsets {
            switch domain {
            case "": guard version >= 1, version <= maxDefaultOpset else { throw .unsupported("ONNX opset \(version) is not supported (1 to \(maxDefaultOpset) are)") }
            case "ai.onnx.ml": guard version >= 1, version <= maxMLOpset else { throw .unsupported("ONNX ai.onnx.ml opset \(version) is not supported (1 to \(maxMLOpset) are)") }
            default: break
            }
        }
        let producer = [proto.producerName, proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")

        // Slots for every name.
        var slots: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slots.count
            return slots.count - 1
        }
        // Inputs: the graph inputs that are not initializers, numeric matrices of known width.
        var inputs: [ONNXGraph.Input] = []
        var names: [String] = []
        for info in g.inputs where g.initializers[info.name] == nil {
            guard info.kind == "tensor", let type = info.elementType else { throw .unsupported("ONNX input '\(info.name)' is a \(info.kind), not a tensor") }
            guard type == ONNXType.float.rawValue || type == ONNXType.double.rawValue else {
                throw .unsupported("ONNX input '\(info.name)' has element type \(type); mote feeds float or double inputs")
            }
            let width: Int
            switch info.dims.count {
            case 1: width = 1
            case 2:
                guard let w = info.dims[1], w >= 1, w <= 1_000_000 else { throw .unsupported("ONNX input '\(info.name)' has no fixed number of columns") }
                width = w
            default: throw .unsupported("ONNX input '\(info.name)' has \(info.dims.count) dimensions; mote feeds [rows, columns] inputs")
            }
            inputs.append(ONNXGraph.Input(slot: slot(info.name), width: width, double: type == ONNXType.double.rawValue))
            names += width == 1 ? [info.name] : (0..<width).map { "\(info.name)_\($0)" }
        }
        guard !inputs.isEmpty else { throw .invalid("ONNX model has no inputs") }

        // The answer.
        guard !g.outputs.isEmpty else { throw .invalid("ONNX model has no outputs") }
        let classifierOutputs = g.outputs.count >= 2
        let answerName = classifierOutputs ? g.outputs[1].name : g.outputs[0].name
        var producerOf: [String: ONNXProto.Node] = [:]
        for node in g.nodes { for o in node.outputs where !o.isEmpty { producerOf[o] = node } }

        // Keep the nodes the answer needs.
        var needed = Set<String>()
        var pending = [answerName]
        while let name = pending.popLast() {
            guard !needed.contains(name) else { continue }
            needed.insert(name)
            if let node = producerOf[name] { pending += node.inputs.filter { !$0.isEmpty } }
        }
        let kept = g.nodes.filter { node in node.outputs.contains { needed.contains($0) } }

        // Class labels, from the classifier (or ZipMap) the answer comes from.
        var labels: [String]?
        for node in kept where labels == nil {
            if ["TreeEnsembleClassifier", "LinearClassifier", "ZipMap"].contains(node.opType) {
                labels = ONNXMLOperators.labels(Attributes(node))
            }
        }

        // Bind operators, in order; every input must exist before its use.
        var available = Set(g.initializers.keys).union(g.inputs.map(\.name))
        var steps: [ONNXGraph.Step] = []
        for node in kept {
            for input in node.inputs where !input.isEmpty && !available.contains(input) {
                throw .invalid("ONNX node '\(node.name)' (\(node.opType)) reads '\(input)' before anything makes it")
            }
            let opset = proto.opsets[node.domain] ?? 0
            let run: ONNXOperators.Run?
            switch node.domain {
            case "":
                run = try ONNXOperators.make(node, opset: opset)
            case "ai.onnx.ml":
                if node.opType == "TreeEnsembleClassifier" || node.opType == "TreeEnsembleRegressor" || node.opType == "TreeEnsemble" {
                    let ensemble = node.opType == "TreeEnsemble" ? try ONNXTreeEnsemble(opset5: node) : try ONNXTreeEnsemble(node)
                    run = { args throws(ImportError) in try ensemble.run(try ONNXOperators.arg(args, 0, node.opType)) }
                } else {
                    run = try ONNXMLOperators.make(node, opset: opset)
                }
            default:
                throw .unsupported("ONNX operator domain '\(node.domain)' (\(node.opType)) is not supported")
            }
            guard let run else {
                throw .unsupported("ONNX operator \(node.domain.isEmpty ? "" : node.domain + ".")\(node.opType) is not supported")
            }
            steps.append(
                ONNXGraph.Step(
                    op: node.opType, inputs: node.inputs.map { $0.isEmpty ? -1 : slot($0) }, outputs: node.outputs.map { $0.isEmpty ? -1 : slot($0) },
                    run: run))
            for o in node.outputs where !o.isEmpty { available.insert(o) }
        }
        guard available.contains(answerName) else { throw .invalid("ONNX output '\(answerName)' is made by no node") }
        let constants = g.initializers.map { (slot: slot($0.key), value: $0.value) }
        let answer = slot(answerName)

        // A trial run on one row of zeros gives the answer's width.
        var trial = ONNXGraph(
            slotCount: slots.count, constants: constants, inputs: inputs, steps: steps, answer: answer, secondColumn: false, width: 0)
        let columns = trial.featureCount
        let zeros = [Double](repeating: 0, count: columns)
        let width: Int
        do {
            width = try zeros.withUnsafeBufferPointer { x throws(ImportError) in try trial.runWidth(x) }
        }
        let outcome: ImportedModel.Outcome
        var secondColumn = false
        switch (classifierOutputs || labels != nil, width) {
        case (_, 0): throw .invalid("ONNX model answers nothing")
        case (false, 1): outcome = binaryOutput ? .binary(["0", "1"]) : .regression
        case (false, let w): outcome = .multiclass(labels ?? (0..<w).map(String.init))
        case (true, 1): outcome = .binary(labels ?? ["0", "1"])
        case (true, 2):
            outcome = .binary(labels ?? ["0", "1"])
            secondColumn = true
        case (true, let w):
            let l = labels ?? (0..<w).map(String.init)
            guard l.count == w else { throw .invalid("ONNX classifier has \(l.count) labels but \(w) probabilities") }
            outcome = .multiclass(l)
        }
        if case .binary(let l) = outcome, l.count != 2 { throw .invalid("ONNX binary classifier with \(l.count) labels") }
        let scoreWidth: Int
        if case .multiclass(let l) = outcome { scoreWidth = l.count } else { scoreWidth = 1 }
        trial = ONNXGraph(
            slotCount: slots.count, constants: constants, inputs: inputs, steps: steps, answer: answer, secondColumn: secondColumn,
            width: scoreWidth)
        _ = try zeros.withUnsafeBufferPointer { x throws(ImportError) in try trial.run(x, rows: 1) }
        return ImportedModel(format: .onnx, producer: producer, inputNames: names, outcome: outcome, predictor: .graph(trial), source: bytes)
    }
}

extension ONNXGraph {
    /// The answer's values per row for one row (before the outcome is known).
    func runWidth(_ x: UnsafeBufferPointer<Double>) throws(ImportError) -> Int {
        try runRaw(x, rows: 1).count
    }

    /// The answer as doubles, unchecked.
    func runRaw(_ x: UnsafeBufferPointer<Double>, rows: Int) throws(ImportError) -> [Double] {
        var values = [Tensor?](repeating: nil, count: slotCount)
        try evaluate(x, rows: rows, into: &values)
        guard let v = values[answer] else { throw .invalid("the graph's output has no value") }
        return try v.doubles("output")
    }
}
