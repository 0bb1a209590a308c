import MoteCore
import MoteFeatures
import MoteImport
import MoteRegistry
import MoteSync
import MoteTraining

#if canImport(Glibc)
import Glibc
#endif

extension FleetWorker {
    /// The local version a central version became: found by its `mote.fleet.source` tag
    /// (imported before, perhaps by a poll a restart cut short), else fetched and imported.
    /// Files wait in the staging directory until the import, so a download cut short resumes
    /// with the files already whole, and nothing is registered before every file is.
    func imported(_ target: CentralRegistry.Version, settings f: FleetSettings, central: CentralRegistry) async throws -> Int {
        let source = "\(target.model)/\(target.version)"
        if let found = try? context.registry.versions(model: target.model).first(where: { $0.tags["mote.fleet.source"] == source }) {
            return found.version
        }
        do { try RegistryNames.checkModelName(target.model) } catch {
            throw FleetFailure(reason: "'\(target.model)' cannot be a model name on this box: \(error)", final: true)
        }
        let directory: String
        switch try await central.directory(model: target.model, version: target.version) {
        case .success(let path): directory = path
        case .failure(let failure):
            throw FleetFailure(
                reason: "the version's files (\(failure.uri)) are not served through the tracking server's artifact proxy (mlflow server --serve-artifacts)",
                final: true)
        }
        let files = try await central.client.listArtifacts(path: directory)
        guard files.contains(where: { $0.path == directory + "/MLmodel" && !$0.isDirectory }) else {
            throw FleetFailure(reason: "the version's directory \(directory) has no MLmodel file (not an MLflow model)", final: true)
        }
        let description = MLmodelFile(String(decoding: try await central.client.download(path: directory + "/MLmodel", limit: 1 << 20), as: UTF8.self))
        let choice: MLmodelFile.Choice
        switch description.choice() {
        case .success(let c): choice = c
        case .failure(let failure): throw FleetFailure(reason: failure.reason, final: true)
        }
        let path = directory + "/" + choice.file
        guard let listed = files.first(where: { $0.path == path && !$0.isDirectory }) else {
            throw FleetFailure(reason: "MLmodel names \(choice.file), which the version's directory does not hold", final: true)
        }
        guard listed.size <= f.maxModelBytes else {
            throw FleetFailure(reason: "\(choice.file) is \(listed.size) bytes, over fleet.max_model_mib (\(f.maxModelBytes >> 20) MiB)", final: true)
        }
        let bytes = try await fetch(path, size: listed.size, into: stagingPath(target, file: choice.file), central: central)

        // Inputs: the central version's `mote.inputs` tag, else the file's own input names
        // when every one names a feature (`view:field`, or `view__field` as feature stores
        // write full names).
        var inputs: [String]?
        if let tag = target.tags["mote.inputs"], !tag.isEmpty {
            inputs = tag.split(separator: ",").map { String($0).trimmingSpaces() }
        } else if let model = try? ImportedModel.read(bytes, format: choice.format) {
            let names = model.inputNames.map { $0.contains(":") ? $0 : $0.replacing("__", with: ":", maxReplacements: 1) }
            if (try? FeatureReference.resolve(names, in: context.store.definitions.set, fullNames: true)) != nil { inputs = names }
        }
        let request = ModelImportRequest(
            model: target.model, format: choice.format, inputs: inputs, alias: "challenger", fileName: "mlflow:\(source)/\(choice.file)",
            tags: ["mote.fleet.source": source, "mote.fleet.alias": f.alias, "mote.fleet.central_run": target.runID])
        let version: ModelVersion
        do {
            version = try await DetachedThread.run { [context] in
                try ModelImport.run(bytes, request, context: context, actor: .daemon, now: SystemClock.nowNanos())
            }
        } catch let error as DomainError {
            // A wrong `mote.inputs` tag can be mended centrally; a file cannot.
            throw FleetFailure(reason: "import refused (\(error.code.rawValue)): \(error.message)", final: error.code != .inputsInvalid)
        }
        removeStaged(target, file: choice.file)
        return version.version
    }

    /// A file through the proxy, kept in the staging directory once whole (its listed size);
    /// a file already there whole is not fetched again.
    func fetch(_ path: String, size: Int, into staged: String, central: CentralRegistry) async throws -> [UInt8] {
        if FileSystem.size(staged) == Int64(size), let bytes = try? FileSystem.readBytes(staged), bytes.count == size { return bytes }
        let bytes = try await central.client.download(path: path, limit: max(size, 1) + 1)
        guard bytes.count == size else {
            throw SyncFailure.retryable("\(path): \(bytes.count) bytes arrived, the server lists \(size)")
        }
        try FileSystem.createDirectory(String(staged[..<staged.lastIndex(of: "/")!]), mode: 0o750)
        try FileSystem.writeAtomically(staged, bytes)
        return bytes
    }

    /// `<staging>/<model as hex>/<central version>/<file>`: names that cannot climb out.
    func stagingPath(_ target: CentralRegistry.Version, file: String) -> String {
        let model = target.model.utf8.map { String($0, radix: 16) }.joined()
        let version = target.version.filter { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return "\(staging)/\(model)/\(version)/" + file.filter { $0 != "/" }
    }

    func removeStaged(_ target: CentralRegistry.Version, file: String) {
        let path = stagingPath(target, file: file)
        unlink(path)
        var directory = String(path[..<path.lastIndex(of: "/")!])
        rmdir(directory)
        directory = String(directory[..<directory.lastIndex(of: "/")!])
        rmdir(directory)
    }
}
