import MoteML

/// One node of a source library's tree, as its reader describes it.
enum SourceNode {
    case leaf(Double)
    case split(feature: Int, threshold: Double, defaultLeft: Bool, rule: SplitRule, left: Int, right: Int)
}

/// Builds a `GBDTModel` from trees in any library's layout: each tree is walked from its root
/// and laid out in preorder (children after their parent, as mote's tree walk needs). A node
/// reached twice in one tree (a cycle or a shared child), a node id out of range, a feature out
/// of range or a tree past the node limit is refused, so a hostile file cannot make a walk loop
/// or read outside the row.
struct TreeAssembler {
    static let nodeLimit = 50_000_000
    let featureCount: Int
    var feature: [Int32] = []
    var threshold: [Double] = []
    var defaultLeft: [Bool] = []
    var left: [Int32] = []
    var right: [Int32] = []
    var value: [Double] = []
    var rule: [SplitRule] = []
    var roots: [Int32] = []
    var treeOutput: [Int32] = []
    /// Per node, the training data that reached it; dropped when a tree comes without.
    var cover: [Double] = []
    var coverKnown = true

    init(featureCount: Int) {
        self.featureCount = featureCount
    }

    /// Adds one tree of `nodeCount` source nodes (ids `0..<nodeCount`) adding to `output`.
    /// `cover`, when the library records it, gives a source node's share of the training data
    /// (row count or hessian sum).
    mutating func addTree(
        root: Int, nodeCount: Int, output: Int, name: String, cover: ((Int) -> Double?)? = nil, node describe: (Int) throws(ImportError) -> SourceNode
    ) throws(ImportError) {
        guard nodeCount >= 1, root >= 0, root < nodeCount else { throw .invalid("\(name): root \(root) outside its \(nodeCount) nodes") }
        guard feature.count + nodeCount <= Self.nodeLimit else { throw .invalid("the model has more than \(Self.nodeLimit) tree nodes") }
        var seen = [Bool](repeating: false, count: nodeCount)
        roots.append(Int32(feature.count))
        treeOutput.append(Int32(output))
        // (source id, parent index or -1, whether this is the parent's left child)
        var stack: [(Int, Int, Bool)] = [(root, -1, false)]
        while let (id, parent, isLeft) = stack.popLast() {
            guard id >= 0, id < nodeCount else { throw .invalid("\(name): a child refers to node \(id) outside its \(nodeCount) nodes") }
            guard !seen[id] else { throw .invalid("\(name): node \(id) is reached twice (a cycle or a shared node)") }
            seen[id] = true
            let index = Int32(feature.count)
            if coverKnown {
                if let c = cover?(id), c.isFinite, c >= 0 { self.cover.append(c) } else { coverKnown = false }
            }
            if parent >= 0 {
                if isLeft { left[parent] = index } else { right[parent] = index }
            }
            switch try describe(id) {
            case .leaf(let v):
                guard v.isFinite else { throw .invalid("\(name): leaf \(id) has a non-finite value") }
                append(feature: -1, threshold: 0, defaultLeft: false, rule: .numeric, value: v)
            case .split(let f, let t, let d, let r, let l, let rt):
                guard f >= 0, f < featureCount else { throw .invalid("\(name): node \(id) tests feature \(f) of \(featureCount)") }
                guard !t.isNaN else { throw .invalid("\(name): node \(id) has a NaN threshold") }
                append(feature: Int32(f), threshold: t, defaultLeft: d, rule: r, value: 0)
                stack.append((rt, Int(index), false))
                stack.append((l, Int(index), true))
            }
        }
    }

    private mutating func append(feature f: Int32, threshold t: Double, defaultLeft d: Bool, rule r: SplitRule, value v: Double) {
        feature.append(f)
        threshold.append(t)
        defaultLeft.append(d)
        left.append(-1)
        right.append(-1)
        value.append(v)
        rule.append(r)
    }

    /// The model; `rule` is left empty when every node is numeric (the plain, fastest walk).
    func model(
        objective: GBDTObjective, classCount: Int, baseScores: [Double], output: GBDTOutput, categoryBits: [UInt32] = [],
        categoryBounds: [Int32] = []
    ) -> GBDTModel {
        GBDTModel(
            objective: objective, classCount: classCount, baseScores: baseScores, feature: feature, threshold: threshold,
            defaultLeft: defaultLeft, left: left, right: right, value: value, roots: roots, featureCount: featureCount,
            rule: rule.allSatisfy { $0 == .numeric } ? [] : rule, categoryBits: categoryBits, categoryBounds: categoryBounds,
            treeOutput: treeOutput, output: output, cover: coverKnown && cover.count == feature.count ? cover : [])
    }
}
