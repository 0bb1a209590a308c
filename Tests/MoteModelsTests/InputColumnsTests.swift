import MoteML
import MoteModels
import Testing

/// Training keeps its rows by column; everything it learns from them must be what the row
/// form gives (the serving path encodes rows).
@Suite("inputs by column")
struct InputColumnsTests {
    /// `rows` as columns, plus a second categorical input with more categories than are kept.
    static func sample() -> (inputs: [InputField], rows: [[ModelInput]], columns: InputColumns, y: [Double]) {
        var (inputs, rows, y) = sampleRows(700)
        inputs.append(InputField(name: "s:part", type: .string))
        for r in rows.indices { rows[r].append(r % 11 == 0 ? .missing : .text("p\((r * 7919) % 90)")) }
        var columns: [InputColumns.Column] = []
        for (i, field) in inputs.enumerated() {
            if field.type.isCategorical {
                var builder = CategoryColumnBuilder(capacity: rows.count)
                for row in rows {
                    if case .text(let s) = row[i] { builder.append(s) } else { builder.append(nil) }
                }
                columns.append(builder.build())
            } else {
                columns.append(.numbers(rows.map { row in
                    if case .number(let v) = row[i] { return v }
                    return .nan
                }))
            }
        }
        return (inputs, rows, InputColumns(columns: columns, rows: rows.count), y)
    }

    static func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    @Test("a column reads back as the row's input")
    func readBack() {
        let (_, rows, columns, _) = Self.sample()
        #expect(columns.modelInputs(0..<rows.count) == rows)
    }

    @Test("preprocessing learnt and applied from columns equals the rows' (codes, one-hot, means, kept categories)")
    func preprocessing() {
        let (inputs, rows, columns, _) = Self.sample()
        let range = 40..<620
        for oneHot in [false, true] {
            let fromRows = Preprocessor.fit(inputs: inputs, rows: Array(rows[range]), oneHot: oneHot)
            let fromColumns = Preprocessor.fit(inputs: inputs, columns: columns, rows: range, oneHot: oneHot)
            #expect(fromColumns == fromRows)
            #expect(Self.same(fromRows.encode(columns, rows: 600..<700), fromRows.encode(Array(rows[600..<700]))))
            if !oneHot, let byColumn = fromRows.encodedColumns(columns) {
                let rowMajor = fromRows.encode(rows)
                for c in 0..<fromRows.width {
                    #expect(Self.same(byColumn[c], (0..<rows.count).map { rowMajor[$0 * fromRows.width + c] }))
                }
            } else {
                #expect(oneHot, "trees' preprocessing gives one column per input")
            }
        }
    }

    @Test("the reference profile from columns equals the rows'")
    func profile() {
        let (inputs, rows, columns, _) = Self.sample()
        #expect(ReferenceProfile.build(inputs: inputs, columns: columns, rows: 100..<650) == ReferenceProfile.build(inputs: inputs, rows: Array(rows[100..<650])))
    }

    @Test("GBDT fitted on the columns where they are equals GBDT fitted on the row-major matrix")
    func gbdt() throws {
        let (inputs, rows, columns, y) = Self.sample()
        let pre = Preprocessor.fit(inputs: inputs, rows: Array(rows[0..<560]), oneHot: false)
        var p = GBDTParameters()
        p.trees = 15
        p.numLeaves = 7
        p.minDataInLeaf = 5
        let x = pre.encode(Array(rows[0..<560]))
        let hx = pre.encode(Array(rows[560...]))
        let fromMatrix = GBDTTrainer(p).fit(x: x, y: Array(y[0..<560]), rows: 560, columns: pre.width, valid: (hx, Array(y[560...]), 140))
        let byColumn = pre.encodedColumns(columns)!
        let fromColumns = FeatureMatrix.with(columns: byColumn, start: 0, rows: 560) { train in
            FeatureMatrix.with(columns: byColumn, start: 560, rows: 140) { holdout in
                GBDTTrainer(p).fit(train, y: Array(y[0..<560]), valid: (holdout, Array(y[560...])))
            }
        }
        #expect(fromColumns == fromMatrix)
        #expect(fromMatrix.predict(hx, rows: 140) == fromColumns.predict(hx, rows: 140))
        // The training rows' outputs as training left them are the model's predictions of them.
        let scored = FeatureMatrix.with(columns: byColumn, start: 0, rows: 560) { GBDTTrainer(p).fitScored($0, y: Array(y[0..<560]), valid: nil) }
        let predicted = scored.model.predict(x, rows: 560)
        let outputs = try #require(scored.trainOutputs)
        #expect(outputs.count == 560)
        #expect(zip(outputs, predicted).allSatisfy { abs($0 - $1) < 1e-12 }, "\(zip(outputs, predicted).map { abs($0 - $1) }.max() ?? 0)")
        // Early stopping that drops trees leaves no outputs (they would not be the model's).
        var early = p
        early.earlyStoppingRounds = 1
        early.trees = 200
        let stopped = FeatureMatrix.with(columns: byColumn, start: 0, rows: 560) { train in
            FeatureMatrix.with(columns: byColumn, start: 560, rows: 140) { holdout in
                GBDTTrainer(early).fitScored(train, y: Array(y[0..<560]), valid: (holdout, Array(y[560...])))
            }
        }
        #expect(stopped.model.roots.count < 200 && stopped.trainOutputs == nil)
    }
}
