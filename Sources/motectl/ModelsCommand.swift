import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl models ...`: the model registry.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Registered models, versions and aliases.",
        subcommands: [
            List.self, Show.self, Versions.self, Alias.self, Rollback.self, Shadow.self, Canary.self, Promote.self, Rollout.self, Export.self, Import.self,
            Evaluate.self, Delete.self,
        ])

    static func versionRows(_ versions: [JSONValue]) -> [[String]] {
        var rows = [["VERSION", "ALIASES", "FORMAT", "RUN", "ARTIFACT", "CREATED"]]
        for v in versions {
            rows.append([
                String(v["version"]?.int64Value ?? 0), (v["aliases"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","),
                v["format"]?.stringValue ?? "", String((v["run_id"]?.stringValue ?? "-").prefix(12)),
                String((v["artifact_digest"]?.stringValue ?? "").prefix(12)), v["created"]?.stringValue ?? "",
            ])
        }
        return rows
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Registered models with their aliases and latest version.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/models").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["MODEL", "LATEST", "ALIASES", "UPDATED"]]
            for m in result["models"]?.arrayValue ?? [] {
                let aliases = (m["aliases"]?.objectValue ?? JSONObject()).map { "\($0.key)=v\($0.value.int64Value ?? 0)" }.joined(separator: " ")
                rows.append([m["name"]?.stringValue ?? "", m["latest_version"]?.int64Value.map { "v\($0)" } ?? "-", aliases, m["updated"]?.stringValue ?? ""])
            }
            print(CLIOutput.table(rows))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A model: description, tags, aliases, versions.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String

        func run() throws {
            let client = global.client()
            let model = try CLIOutput.call(client, "GET", "/v1/models/\(CLIOutput.pathEscape(name))").json()["model"] ?? .null
            let versions = try CLIOutput.call(client, "GET", "/v1/models/\(CLIOutput.pathEscape(name))/versions").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(.object(JSONObject([("model", model), ("versions", versions["versions"] ?? .null)]))))
                return
            }
            var rows = [["model", model["name"]?.stringValue ?? ""], ["description", model["description"]?.stringValue ?? ""]]
            for member in model["tags"]?.objectValue ?? JSONObject() { rows.append(["tag", "\(member.key) = \(CLIOutput.cell(member.value))"]) }
            for member in model["aliases"]?.objectValue ?? JSONObject() { rows.append(["alias", "\(member.key) -> v\(member.value.int64Value ?? 0)"]) }
            // What serves now, and how fast (when a version can be served).
            if let serving = try? client.get("/v1/models/\(CLIOutput.pathEscape(name))/serving"), serving.status == 200,
                let s = try? serving.json()
            {
                let latency = s["latency_us"]
                rows.append(["serving", "v\(s["version"]?.int64Value ?? 0) (\(s["algorithm"]?.stringValue ?? "")), loaded \(s["loaded_at"]?.stringValue ?? "")"])
                rows.append([
                    "traffic",
                    "\(s["requests"]?.int64Value ?? 0) requests, \(s["rows"]?.int64Value ?? 0) rows since start; p50 \(CLIOutput.cell(latency?["p50"] ?? 0)) us, p99 \(CLIOutput.cell(latency?["p99"] ?? 0)) us (last 1024)",
                ])
            }
            print(CLIOutput.table(rows))
            print("")
            print(CLIOutput.table(ModelsCommand.versionRows(versions["versions"]?.arrayValue ?? [])))
        }
    }

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Versions of a model, newest first.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/models/\(CLIOutput.pathEscape(name))/versions").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            print(CLIOutput.table(ModelsCommand.versionRows(result["versions"]?.arrayValue ?? [])))
        }
    }

    struct Alias: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Point an alias at a version, or remove it.", subcommands: [Set.self, Remove.self])

        struct Set: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set", abstract: "Move ALIAS of NAME to VERSION (atomic).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias (champion, challenger, ...).") var alias: String
            @Argument(help: "Version number.") var version: Int

            func run() throws {
                let body = Array("{\"version\":\(version)}".utf8)
                let result = try CLIOutput.call(
                    global.client(), "PUT", "/v1/models/\(CLIOutput.pathEscape(name))/aliases/\(CLIOutput.pathEscape(alias))", body: body
                ).json()
                if global.output == .json {
                    print(CLIOutput.prettyJSON(result))
                    return
                }
                let before = result["previous_version"]?.int64Value.map { "v\($0)" } ?? "nothing"
                print("\(name)@\(alias): \(before) -> v\(version)")
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove ALIAS of NAME.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Model name.") var name: String
            @Argument(help: "Alias.") var alias: String

            func run() throws {
                _ = try CLIOutput.call(global.client(), "DELETE", "/v1/models/\(CLIOutput.pathEscape(name))/aliases/\(CLIOutput.pathEscape(alias))")
                print("\(name)@\(alias): removed")
            }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move 'champion' back to the version it pointed at before.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String

        func run() throws {
            let result = try CLIOutput.call(global.client(), "POST", "/v1/models/\(CLIOutput.pathEscape(name))/rollback", body: Array("{}".utf8)).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            print("\(name)@champion: v\(result["previous_version"]?.int64Value ?? 0) -> v\(result["version"]?.int64Value ?? 0)")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a version and its artifact to one file (digest-checked on import).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number, alias or 'latest'.") var version: String
        @Option(name: [.short, .long], help: "Output file (default NAME-vVERSION.mote.json).") var file: String?

        func run() throws {
            let response = try CLIOutput.call(
                global.client(), "GET", "/v1/models/\(CLIOutput.pathEscape(name))/versions/\(CLIOutput.pathEscape(version))/export")
            let path = file ?? "\(name)-v\(version).mote.json"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0, FileSystem.writeAll(fd: fd, response.body), fsync(fd) == 0 else {
                CLIOutput.error("cannot write \(path): \(errnoText())")
                throw ExitCode(ExitStatus.apiError)
            }
            close(fd)
            print("exported \(name) \(version) to \(path) (\(CLIOutput.bytes(Int64(response.body.count))))")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a model file as the next version of a model: a LightGBM, XGBoost or ONNX file, or a mote export.",
            discussion: """
                The format is detected from the content unless --format names it. A model from another library
                becomes the 'challenger' (promote it with 'motectl models evaluate', or force --alias champion).
                --inputs binds the model's inputs, in order, to features so predictions by entity key work;
                --reference profiles its inputs for drift monitoring (else the bound features' recent history).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The model file (LightGBM .txt/.lgb, XGBoost .json/.ubj, ONNX .onnx, or a .mote.json export).") var file: String
        @Option(name: .long, help: "The model to register it under (a mote export keeps its own name without it).") var name: String?
        @Option(name: .long, help: "mote, lightgbm, xgboost or onnx (default: detected).") var format: String?
        @Option(name: .long, help: "Feature references bound to the model's inputs, in order: view:field,view:field,...") var inputs: String?
        @Option(name: .long, help: "A CSV whose header names the model's inputs: the reference for drift monitoring.") var reference: String?
        @Option(name: .long, help: "challenger (default) or champion (forced, audited).") var alias: String?
        @Flag(name: .long, help: "The model's single output is the probability of class 1 (an ONNX model ending in a sigmoid).")
        var binary = false

        func run() throws {
            let bytes = try read(file)
            let isExport = format == "mote" || (format == nil && bytes.first == UInt8(ascii: "{") && String(decoding: bytes.prefix(64), as: UTF8.self).contains("mote_export"))
            var query: [String] = []
            if let name { query.append("model=\(CLIOutput.pathEscape(name))") }
            if let alias { query.append("alias=\(CLIOutput.pathEscape(alias))") }
            let body: [UInt8]
            let contentType: String
            if isExport {
                guard inputs == nil, reference == nil, !binary else {
                    throw CLIOutput.usageError("--inputs, --reference and --binary apply to model files from other libraries, not mote exports", command: "models import")
                }
                (body, contentType) = (bytes, "application/json")
            } else {
                guard name != nil else { throw CLIOutput.usageError("name the model to register the file under: --name NAME", command: "models import") }
                if let format { query.append("format=\(CLIOutput.pathEscape(format))") }
                if let inputs { query.append("inputs=\(CLIOutput.pathEscape(inputs))") }
                if binary { query.append("task=binary") }
                query.append("file=\(CLIOutput.pathEscape(String(file.split(separator: "/").last ?? "")))")
                if let reference {
                    let boundary = "mote-\(UInt64.random(in: 1..<UInt64.max))"
                    var form: [UInt8] = []
                    for (part, content) in [("model", bytes), ("reference", try read(reference))] {
                        form += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part)\"; filename=\"\(part)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
                        form += content
                        form += Array("\r\n".utf8)
                    }
                    form += Array("--\(boundary)--\r\n".utf8)
                    (body, contentType) = (form, "multipart/form-data; boundary=\(boundary)")
                } else {
                    (body, contentType) = (bytes, "application/octet-stream")
                }
            }
            let path = "/v1/models/import" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            let result = try CLIOutput.call(global.client(), "POST", path, body: body, contentType: contentType).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            let v = result["version"] ?? .null
            let tags = v["tags"] ?? .null
            var line = "imported as \(v["model"]?.stringValue ?? "") v\(v["version"]?.int64Value ?? 0)"
            if let aliases = v["aliases"]?.arrayValue, !aliases.isEmpty { line += " (\(aliases.compactMap(\.stringValue).joined(separator: ", ")))" }
            print(line)
            if let f = tags["mote.origin.format"]?.stringValue {
                print("  format     \(f), \(tags["mote.origin.producer"]?.stringValue ?? "")")
                print("  sha256     \(tags["mote.origin.sha256"]?.stringValue ?? "")")
                print("  inputs     \(tags["mote.origin.inputs"]?.stringValue ?? "")")
                print("  reference  \(tags["mote.reference"]?.stringValue ?? "")")
            }
            print("  artifact   \(String((v["artifact_digest"]?.stringValue ?? "").prefix(12)))")
        }

        private func read(_ path: String) throws -> [UInt8] {
            do {
                return try FileSystem.readBytes(path)
            } catch {
                CLIOutput.error("cannot read \(path): \(error)")
                throw ExitCode(ExitStatus.apiError)
            }
        }
    }

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Score a version and the champion on this box's labelled recent data; promote by the training spec's policy.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number or alias (e.g. challenger).") var version: String
        @Option(name: .long, help: "The version to compare with (an alias or number; default champion).") var against: String?
        @Option(name: .long, help: "The training spec whose label, window and holdout are used (default: the spec that trains NAME).")
        var spec: String?
        @Flag(name: .long, help: "Report the decision without moving any alias.") var dryRun = false

        func run() throws {
            var body = JSONWriter()
            body.beginObject()
            if let against { body.key("against"); body.string(against) }
            if let spec { body.key("spec"); body.string(spec) }
            body.key("promote"); body.bool(!dryRun)
            body.endObject()
            let result = try CLIOutput.call(
                global.client(), "POST", "/v1/models/\(CLIOutput.pathEscape(name))/versions/\(CLIOutput.pathEscape(version))/evaluate",
                body: body.bytes
            ).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            let e = result["evaluation"] ?? .null
            func metrics(_ v: JSONValue?) -> String {
                guard case .object(let o)? = v else { return "-" }
                return o.members.map { "\($0.key)=\($0.value.doubleValue.map { String(($0 * 10000).rounded() / 10000) } ?? "null")" }.joined(separator: " ")
            }
            print("\(name) v\(e["version"]?.int64Value ?? 0) on \(e["holdout_rows"]?.int64Value ?? 0) labelled rows (spec \(e["spec"]?.stringValue ?? ""))")
            print("  candidate  \(metrics(e["metrics"]))")
            print("  \(e["against"]?.stringValue ?? "champion")\(e["against_version"]?.int64Value.map { " v\($0)" } ?? "")  \(metrics(e["against_metrics"]))")
            print("  \(e["promoted"]?.boolValue == true ? "promoted" : "not promoted"): \(e["reason"]?.stringValue ?? "")")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a version no alias points at.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Model name.") var name: String
        @Argument(help: "Version number.") var version: Int

        func run() throws {
            _ = try CLIOutput.call(global.client(), "DELETE", "/v1/models/\(CLIOutput.pathEscape(name))/versions/\(version)")
            print("deleted \(name) v\(version)")
        }
    }
}

/// `motectl audit`: who changed what in the registry.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Registry changes, newest first: who, when, what, before and after.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Only subjects starting with this (model:NAME, run:ID).") var subject: String?
    @Option(name: .long, help: "At most this many entries.") var limit: Int = 50

    func run() throws {
        let query = "?limit=\(limit)" + (subject.map { "&subject=\(CLIOutput.pathEscape($0))" } ?? "")
        let result = try CLIOutput.call(global.client(), "GET", "/v1/audit\(query)").json()
        if global.output == .json {
            print(CLIOutput.prettyJSON(result))
            return
        }
        var rows = [["WHEN", "UID", "PID", "ACTION", "SUBJECT", "BEFORE", "AFTER"]]
        for e in result["entries"]?.arrayValue ?? [] {
            rows.append([
                e["at"]?.stringValue ?? "", String(e["uid"]?.int64Value ?? 0), String(e["pid"]?.int64Value ?? 0), e["action"]?.stringValue ?? "",
                e["subject"]?.stringValue ?? "", AuditCommand.short(e["before"]), AuditCommand.short(e["after"]),
            ])
        }
        print(CLIOutput.table(rows))
    }

    static func short(_ value: JSONValue?) -> String {
        guard let value, value != .null else { return "-" }
        if let version = value["version"]?.int64Value, value.objectValue?.count == 1 { return "v\(version)" }
        return value["status"]?.stringValue ?? value["name"]?.stringValue ?? "…"
    }
}
