public import MoteCore
import MoteFeatures
public import MoteImport
import MoteModels
public import MoteRegistry

extension ErrorCode {
    /// The file is none of the formats mote reads.
    public static let modelFormatUnknown: ErrorCode = "model_format_unknown"
    /// The model file is damaged, truncated or inconsistent.
    public static let modelFileInvalid: ErrorCode = "model_file_invalid"
    /// The model file uses an operator, opset, objective or attribute mote does not implement.
    public static let modelUnsupported: ErrorCode = "model_unsupported"
    /// `inputs` do not fit the model or the feature definitions.
    public static let inputsInvalid: ErrorCode = "inputs_invalid"
    /// The reference CSV does not fit the model's inputs.
    public static let referenceInvalid: ErrorCode = "reference_invalid"
    /// A mote export's artifact is not a model bundle this mote can serve.
    public static let artifactInvalid: ErrorCode = "artifact_invalid"
}

/// What an import asks for, besides the file.
public struct ModelImportRequest: Sendable {
    /// The registered model the file becomes the next version of.
    public var model: String
    /// The file's format; nil: detected from the content.
    public var format: ImportedModel.Format?
    /// Feature references (`view:field`) bound to the model's inputs, in order.
    public var inputs: [String]?
    /// A CSV with a header naming the model's inputs (bound references, their field names, or
    /// the file's own input names), one reference row per line; empty cells are missing.
    public var reference: [UInt8]?
    /// `challenger` (the default: promotion is gated) or `champion` (forced, audited).
    public var alias: String
    /// A single-output model's value is the probability of class "1" (ONNX models that end in
    /// a sigmoid); ignored for files that say what they predict.
    public var binary: Bool
    /// The file's name, kept as a tag.
    public var fileName: String?
    /// More tags for the version (where it came from: the fleet's central version).
    public var tags: [String: String]

    public init(
        model: String, format: ImportedModel.Format? = nil, inputs: [String]? = nil, reference: [UInt8]? = nil, alias: String = "challenger",
        binary: Bool = false, fileName: String? = nil, tags: [String: String] = [:]
    ) {
        self.tags = tags
        self.model = model
        self.format = format
        self.inputs = inputs
        self.reference = reference
        self.alias = alias
        self.binary = binary
        self.fileName = fileName
    }
}

/// Imports a model file another library wrote: reads and checks it (nothing is stored when it
/// cannot be served), binds its inputs to features, profiles a reference for monitoring, and
/// registers it as the next version of the model with its origin — an artifact by digest,
/// signature, tags (format, the file's SHA-256, its producer), an audit row and an outbox row —
/// under the `challenger` alias unless `champion` is forced.
public enum ModelImport {
    public static func run(
        _ file: [UInt8], _ request: ModelImportRequest, context: TrainingContext, actor: ChangeAuthor, now: Int64
    ) throws -> ModelVersion {
        guard request.alias == "challenger" || request.alias == "champion" else {
            throw DomainError.invalidParameter("alias must be 'challenger' or 'champion', not '\(request.alias)'")
        }
        try RegistryNames.checkModelName(request.model)
        let model: ImportedModel
        do {
            model = try ImportedModel.read(file, format: request.format, binaryOutput: request.binary)
        } catch {
            switch error.kind {
            case .unknownFormat: throw DomainError(.invalid, .modelFormatUnknown, error.message)
            case .invalid: throw DomainError(.invalid, .modelFileInvalid, error.message)
            case .unsupported: throw DomainError(.invalid, .modelUnsupported, error.message)
            }
        }
        let bound = try request.inputs.map { try bind($0, model: model, store: context.store) }
        let inputNames = bound?.map { "\($0.view.name):\($0.view.fields[$0.fieldIndex].name)" }
        var bundle = ModelBundle.imported(model, inputs: inputNames, importedAtNanos: now)

        // The monitoring reference: the CSV, else the bound features' recent history.
        var rows: [[ModelInput]]?
        if let csv = request.reference {
            rows = try referenceRows(csv, bundle: bundle, fileNames: model.inputNames)
        } else if let bound {
            let settings = context.settings.current
            let first = bound[0]
            let points = try context.store.history(
                view: first.view, field: first.fieldIndex, from: now - settings.importReferenceWindowNanos, to: now,
                limit: settings.importReferenceRows)
            if !points.isEmpty {
                let frame = EntityFrame(columns: [], keys: points.map(\.entityKey), times: points.map(\.eventNanos))
                let joined = try PointInTimeJoin.run(frame, features: bound, store: context.store)
                rows = (0..<frame.count).map { r in joined.values.map { ModelInput($0[r]) } }
            }
        }
        if let rows, !rows.isEmpty {
            var profile = ReferenceProfile.build(inputs: bundle.inputs, rows: rows)
            if bundle.task != .multiclass {
                let scores = bundle.scores(inputs: rows).filter(\.isFinite)
                profile.prediction = ReferenceProfile.numericFeature(name: "prediction", count: scores.count, nulls: 0, values: scores)
            }
            bundle.profile = profile
        }

        // Check that the bundle reads back before anything is stored.
        let bytes = bundle.encoded()
        do { _ = try ModelBundle.decode(bytes) } catch { throw DomainError.internalError("the imported model's bundle does not read back: \(error)") }
        let digest = try context.artifacts.put(bytes)
        let sourceDigest = SHA256.hex(of: file)
        var tags: [String: String] = [
            "mote.origin.format": model.format.rawValue, "mote.origin.sha256": sourceDigest, "mote.origin.producer": model.producer,
            "mote.origin.inputs": bound == nil ? "unbound" : "bound",
            "mote.reference": rows.map { "\($0.count) rows from \(request.reference != nil ? "the reference file" : "feature history")" } ?? "none",
        ]
        if let name = request.fileName { tags["mote.origin.file"] = String(name.suffix(200)) }
        tags.merge(request.tags) { _, extra in extra }
        let version = try context.registry.createVersion(
            model: request.model,
            RegistryStore.NewVersion(
                artifactDigest: digest, format: "\(ModelBundle.formatName)/\(ModelBundle.formatVersion)",
                signature: (try? JSONParser.parse(bundle.signature().bytes)) ?? .null,
                description: "imported \(model.format.rawValue) model (\(model.producer))\(request.fileName.map { " from \($0)" } ?? "")", tags: tags),
            artifacts: context.artifacts, actor: actor)
        _ = try context.registry.setAlias(model: request.model, alias: request.alias, version: version.version, actor: actor)
        return try context.registry.version(model: request.model, version.version)
    }

    /// Registers a mote export (`GET .../export`) as the next version, after checking that its
    /// artifact is a model bundle this mote can serve (a file with a recomputed digest but a
    /// damaged or foreign artifact is refused, 422 `artifact_invalid`); `alias`, when given,
    /// then points at it.
    public static func runExport(
        _ document: JSONValue, model: String?, alias: String?, context: TrainingContext, actor: ChangeAuthor
    ) throws -> ModelVersion {
        // A damaged file (digest mismatch) is reported as such by the registry below.
        if let text = document["artifact"]?["base64"]?.stringValue, let bytes = Base64.decode(text),
            SHA256.hex(of: bytes) == document["artifact"]?["sha256"]?.stringValue
        {
            do {
                _ = try ModelBundle.decode(bytes)
            } catch {
                throw DomainError(.invalid, .artifactInvalid, "the export's artifact is not a model this mote can serve: \(error.message)")
            }
        }
        let version = try context.registry.importVersion(document, model: model, artifacts: context.artifacts, actor: actor)
        guard let alias else { return version }
        _ = try context.registry.setAlias(model: version.model, alias: alias, version: version.version, actor: actor)
        return try context.registry.version(model: version.model, version.version)
    }

    /// The references bound to the model's inputs: defined, numeric, one per input.
    static func bind(_ names: [String], model: ImportedModel, store: FeatureStore) throws -> [FeatureReference] {
        guard names.count == model.featureCount else {
            throw DomainError(
                .invalid, .inputsInvalid,
                "\(names.count) inputs bound; the model takes \(model.featureCount) (\(model.inputNames.prefix(20).joined(separator: ", ")))")
        }
        var out: [FeatureReference] = []
        for name in names {
            guard let r = try? FeatureReference.resolve([name], in: store.definitions.set, fullNames: false).first else {
                throw DomainError(.invalid, .inputsInvalid, "input '\(name)' is not a field of the current definitions (view:field)")
            }
            let type = r.view.fields[r.fieldIndex].type
            guard type != .string else {
                throw DomainError(.invalid, .inputsInvalid, "input '\(name)' is a string field; an imported model takes numbers")
            }
            out.append(r)
        }
        return out
    }

    /// The reference rows of a CSV, columns found by name.
    static func referenceRows(_ csv: [UInt8], bundle: ModelBundle, fileNames: [String]) throws -> [[ModelInput]] {
        var reader = CSVReader(bytes: csv)
        guard let header = reader.next() else { throw DomainError(.invalid, .referenceInvalid, "the reference CSV is empty") }
        var columns: [Int] = []
        for (k, input) in bundle.inputs.enumerated() {
            let candidates = [input.name, String(input.name.split(separator: ":").last ?? ""), fileNames[k]]
            guard let c = header.firstIndex(where: { candidates.contains($0) }) else {
                throw DomainError(
                    .invalid, .referenceInvalid, "the reference CSV has no column for input '\(input.name)' (header: \(header.prefix(20).joined(separator: ",")))")
            }
            columns.append(c)
        }
        var rows: [[ModelInput]] = []
        while let record = reader.next() {
            if record.count == 1 && record[0].isEmpty { continue }
            var row: [ModelInput] = []
            for c in columns {
                guard c < record.count else { throw DomainError(.invalid, .referenceInvalid, "reference CSV line \(reader.line) has \(record.count) fields") }
                let cell = record[c]
                if cell.isEmpty || cell == "NA" || cell == "nan" || cell == "NaN" {
                    row.append(.missing)
                } else if let v = Double(cell) {
                    row.append(.number(v))
                } else {
                    throw DomainError(.invalid, .referenceInvalid, "reference CSV line \(reader.line): '\(cell.prefix(40))' is not a number")
                }
            }
            rows.append(row)
            if rows.count > 10_000_000 { throw DomainError(.tooLarge, .referenceInvalid, "the reference CSV has more than 10 000 000 rows") }
        }
        guard !rows.isEmpty else { throw DomainError(.invalid, .referenceInvalid, "the reference CSV has a header but no rows") }
        return rows
    }
}
