import MoteCore
import MoteImport
import MoteRegistry
import MoteServer
import MoteTraining
import NIOCore
import NIOHTTP1

/// Getting models onto the box and judging them: `POST /v1/models/import` (a model file from
/// LightGBM, XGBoost or ONNX, or a mote export) and `POST
/// /v1/models/{model}/versions/{version}/evaluate`. Both need `admin`.
enum ModelImportRoutes {
    static func routes(_ context: TrainingContext) -> [Route] {
        @Sendable func author(_ request: Request) -> ChangeAuthor { ChangeAuthor(uid: request.peer.uid, pid: request.peer.pid) }
        return [
            Route(.POST, "/v1/models/import", role: .admin, .blocking { request in
                let contentType = request.headers.first(name: "content-type") ?? ""
                let body = Array(request.body.readableBytesView)
                let alias = request.queryValue("alias")
                // A mote export (JSON) keeps its own path: it already is a bundle.
                if !UploadedFiles.isUpload(contentType: contentType) {
                    let version = try ModelImport.runExport(
                        try request.json(), model: request.queryValue("model"), alias: alias, context: context, actor: author(request))
                    return .json(RegistryRoutes.wrap("version", version.json()), status: .created)
                }
                let files = try UploadedFiles.read(contentType: contentType, body: body, primary: "model")
                for name in files.names where name != "model" && name != "reference" {
                    throw DomainError(.invalid, .unknownKey, "form part '\(name)' is not known (model, reference)")
                }
                guard let file = files["model"], !file.isEmpty else {
                    throw DomainError.invalidShape("the upload has no model file (a body, or a form part named 'model')")
                }
                guard let model = request.queryValue("model"), !model.isEmpty else {
                    throw DomainError.invalidParameter("name the model: ?model=NAME")
                }
                var format: ImportedModel.Format?
                if let f = request.queryValue("format"), f != "auto" {
                    guard let known = ImportedModel.Format(rawValue: f) else {
                        throw DomainError.invalidParameter("format '\(f)' is not known (lightgbm, xgboost, onnx, or mote with a JSON body)")
                    }
                    format = known
                }
                var inputs: [String]?
                if let text = request.queryValue("inputs") {
                    inputs = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    guard inputs!.allSatisfy({ !$0.isEmpty }) else { throw DomainError.invalidParameter("inputs holds an empty name") }
                }
                var binary = false
                if let task = request.queryValue("task") {
                    guard task == "binary" || task == "auto" else { throw DomainError.invalidParameter("task is 'binary' or 'auto', not '\(task)'") }
                    binary = task == "binary"
                }
                let version = try ModelImport.run(
                    file,
                    ModelImportRequest(
                        model: model, format: format, inputs: inputs, reference: files["reference"], alias: alias ?? "challenger",
                        binary: binary, fileName: request.queryValue("file")),
                    context: context, actor: author(request), now: SystemClock.nowNanos())
                return .json(RegistryRoutes.wrap("version", version.json()), status: .created)
            }).takingFiles(),
            Route(.POST, "/v1/models/{model}/versions/{version}/evaluate", role: .admin, .blocking { request in
                let body = try request.body.readableBytes == 0 ? nil : request.fields()
                let against = try body?.text("against") ?? "champion"
                let spec = try body?.text("spec")
                let promote = try body?.flag("promote") ?? true
                try body?.finish()
                let result = try ModelEvaluation.run(
                    model: request.parameter("model") ?? "", version: request.parameter("version") ?? "", against: against, specName: spec,
                    promote: promote, context: context, actor: author(request), now: SystemClock.nowNanos())
                return .json(RegistryRoutes.wrap("evaluation", result.json()))
            }),
        ]
    }
}
