import Foundation
import MoteCore
import MoteStorage
@testable import MoteRegistry
import Testing

/// A registry on a fresh state directory.
struct Fixture {
    let storage: Storage
    let registry: RegistryStore
    let artifacts: ArtifactStore
    let alice = ChangeAuthor(uid: 1000, pid: 42)

    init() throws {
        var template = Array("/tmp/mote-registry-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        storage = try Storage(directory: StateDirectory(root: dir), options: .init(), schema: [RegistryStore.schema])
        registry = RegistryStore(storage: storage)
        artifacts = ArtifactStore(directory: storage.directory)
    }

    func outboxKinds() throws -> [String] { try registry.outbox(limit: 1000).entries.map(\.kind) }
}

@Suite("tracking")
struct TrackingTests {
    @Test("experiments and runs round-trip with params, metric series, tags and source; finishing closes the run")
    func roundTrip() throws {
        let f = try Fixture()
        let experiment = try f.registry.createExperiment(name: "press-7", description: "vibration", tags: ["site": "graz"], actor: f.alice)
        #expect(try f.registry.experiment("press-7").tags == ["site": "graz"])
        #expect(try f.registry.experiment(String(experiment.id)).name == "press-7")
        var source = JSONWriter()
        source.beginObject(); source.key("moted"); source.string("0.1.0"); source.endObject()
        let run = try f.registry.createRun(experiment: "press-7", name: "gbdt-a", tags: ["kind": "gbdt"], source: source, actor: f.alice)
        #expect(run.id.count == 32 && run.status == .running)
        try f.registry.logBatch(
            run: run.id, params: [("depth", "6"), ("lr", "0.1")],
            metrics: [MetricPoint(key: "rmse", value: 0.9, step: 0, timestampMillis: 1), MetricPoint(key: "rmse", value: 0.5, step: 1, timestampMillis: 2)],
            tags: [("note", "first")], actor: f.alice)
        let read = try f.registry.run(run.id)
        #expect(read.params == ["depth": "6", "lr": "0.1"])
        #expect(read.metrics["rmse"]?.value == 0.5)
        #expect(try f.registry.metricHistory(run: run.id, key: "rmse").map(\.value) == [0.9, 0.5])
        #expect(read.tags == ["kind": "gbdt", "note": "first"])
        #expect(String(decoding: read.json().bytes, as: UTF8.self).contains(#""source":{"moted":"0.1.0"}"#))
        let done = try f.registry.finishRun(run.id, status: .finished, actor: f.alice)
        #expect(done.status == .finished && done.endNanos != nil)
        #expect(throws: DomainError.self) { try f.registry.logBatch(run: run.id, metrics: [MetricPoint(key: "x", value: 1, timestampMillis: 3)], actor: f.alice) }
        #expect(try f.outboxKinds() == ["experiment_created", "run_created", "run_logged", "run_finished"])
    }

    @Test("a run is found by a unique prefix of its id, as runs list shows it; a prefix of several is 400 naming them, of none 404")
    func runIDPrefixes() throws {
        let f = try Fixture()
        _ = try f.registry.createExperiment(name: "e", actor: f.alice)
        var runs: [Run] = []
        for _ in 0..<20 { runs.append(try f.registry.createRun(experiment: "e", actor: f.alice)) }
        try f.registry.logBatch(run: runs[0].id, metrics: [MetricPoint(key: "auc", value: 0.9, timestampMillis: 1)], actor: f.alice)
        // The 12 characters motectl shows are unique among 20 runs.
        #expect(try f.registry.run(String(runs[0].id.prefix(12))).id == runs[0].id)
        #expect(try f.registry.metricHistory(run: String(runs[0].id.prefix(12)), key: "auc").map(\.value) == [0.9])
        // 20 ids, 16 hex digits: some first character starts two of them.
        let first = Dictionary(grouping: runs.map(\.id), by: { $0.prefix(1) }).first { $0.value.count > 1 }!.key
        do {
            _ = try f.registry.run(String(first))
            Issue.record("an ambiguous prefix found a run")
        } catch let error as DomainError {
            #expect(error.code == .ambiguousRunID && error.kind == .malformed, "\(error)")
        }
        for missing in ["zz", "ABC", String(repeating: "0", count: 40)] where !runs.contains(where: { $0.id.hasPrefix(missing) }) {
            #expect(throws: DomainError.self) { try f.registry.run(missing) }
        }
        // Writes still take the whole id.
        #expect(throws: DomainError.self) {
            try f.registry.logBatch(run: String(runs[1].id.prefix(12)), metrics: [MetricPoint(key: "x", value: 1, timestampMillis: 1)], actor: f.alice)
        }
    }

    @Test("params are written once: the same value again is accepted, another is 409 and the batch stores nothing")
    func paramsOnce() throws {
        let f = try Fixture()
        _ = try f.registry.createExperiment(name: "e", actor: f.alice)
        let run = try f.registry.createRun(experiment: "e", actor: f.alice)
        try f.registry.logBatch(run: run.id, params: [("depth", "6")], actor: f.alice)
        try f.registry.logBatch(run: run.id, params: [("depth", "6")], actor: f.alice)
        let outboxBefore = try f.registry.outbox(limit: 100).total
        do {
            try f.registry.logBatch(
                run: run.id, params: [("seed", "1"), ("depth", "7")], metrics: [MetricPoint(key: "m", value: 1, timestampMillis: 1)], actor: f.alice)
            Issue.record("a changed param was accepted")
        } catch let error as DomainError {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("param 'depth'"))
        }
        let after = try f.registry.run(run.id)
        #expect(after.params == ["depth": "6"])
        #expect(after.metrics.isEmpty)
        #expect(try f.registry.outbox(limit: 100).total == outboxBefore)
    }

    @Test("MLflow's naming rules are enforced with a message naming the rule", arguments: [
        ("bad key!", "may only contain"), ("a/../b", "would be read as the path"), ("./a", "would be read as the path"),
        ("", "must not be empty"), (String(repeating: "k", count: 251), "longer than 250"),
    ])
    func keyRules(key: String, message: String) throws {
        let f = try Fixture()
        _ = try f.registry.createExperiment(name: "e", actor: f.alice)
        let run = try f.registry.createRun(experiment: "e", actor: f.alice)
        do {
            try f.registry.logBatch(run: run.id, params: [(key, "1")], actor: f.alice)
            Issue.record("key '\(key)' was accepted")
        } catch let error as DomainError {
            #expect(error.kind == .malformed && error.code.rawValue == "invalid_parameter")
            #expect(error.message.contains(message), "\(error.message)")
        }
        // Valid keys with every allowed character class.
        try f.registry.logBatch(run: run.id, params: [("a.b-c_d e/f", "1"), ("größe", "2")], actor: f.alice)
    }

    @Test("a run records artifacts by digest; the collector keeps them; a path is written once")
    func runArtifacts() throws {
        let f = try Fixture()
        _ = try f.registry.createExperiment(name: "e", actor: f.alice)
        let run = try f.registry.createRun(experiment: "e", actor: f.alice)
        let digest = try f.artifacts.put(Array("roc curve".utf8))
        try f.registry.logArtifact(run: run.id, path: "plots/roc.svg", digest: digest, artifacts: f.artifacts, actor: f.alice)
        try f.registry.logArtifact(run: run.id, path: "plots/roc.svg", digest: digest, artifacts: f.artifacts, actor: f.alice)
        let other = try f.artifacts.put(Array("other".utf8))
        #expect(throws: DomainError.self) { try f.registry.logArtifact(run: run.id, path: "plots/roc.svg", digest: other, artifacts: f.artifacts, actor: f.alice) }
        #expect(throws: DomainError.self) { try f.registry.logArtifact(run: run.id, path: "../x", digest: digest, artifacts: f.artifacts, actor: f.alice) }
        let read = try f.registry.run(run.id)
        #expect(read.artifacts["plots/roc.svg"]?.digest == digest && read.artifacts["plots/roc.svg"]?.size == 9)
        #expect(try f.registry.collectArtifacts(f.artifacts, graceSeconds: 0) == [other])
        #expect(f.artifacts.exists(digest))
    }

    @Test("a param value over 6000 bytes and a batch over 100 params are refused")
    func limits() throws {
        let f = try Fixture()
        _ = try f.registry.createExperiment(name: "e", actor: f.alice)
        let run = try f.registry.createRun(experiment: "e", actor: f.alice)
        #expect(throws: DomainError.self) { try f.registry.logBatch(run: run.id, params: [("p", String(repeating: "x", count: 6001))], actor: f.alice) }
        #expect(throws: DomainError.self) { try f.registry.logBatch(run: run.id, params: (0...100).map { ("p\($0)", "1") }, actor: f.alice) }
        #expect(try f.registry.run(run.id).params.isEmpty)
    }
}

@Suite("model registry")
struct ModelRegistryTests {
    func version(_ f: Fixture, _ content: String, model: String = "press") throws -> ModelVersion {
        let digest = try f.artifacts.put(Array(content.utf8))
        return try f.registry.createVersion(model: model, .init(artifactDigest: digest, format: "mote-gbdt"), artifacts: f.artifacts, actor: f.alice)
    }

    @Test("versions number up; aliases point at versions, move atomically and publish an event; rollback goes back")
    func aliases() throws {
        let f = try Fixture()
        let moved = LockedBox<[RegistryEvent]>([])
        f.registry.events.subscribe { event in moved.update { $0.append(event) } }
        _ = try f.registry.createModel(name: "press", description: "press 7", tags: ["line": "a"], actor: f.alice)
        #expect(try version(f, "one").version == 1)
        #expect(try version(f, "two").version == 2)
        try f.registry.setAlias(model: "press", alias: "champion", version: 1, actor: f.alice)
        try f.registry.setAlias(model: "press", alias: "champion", version: 2, actor: f.alice)
        #expect(try f.registry.model("press").aliases == ["champion": 2])
        #expect(try f.registry.resolve(model: "press", "champion").version == 2)
        #expect(try f.registry.resolve(model: "press", "latest").version == 2)
        #expect(try f.registry.version(model: "press", 2).aliases == ["champion"])
        let back = try f.registry.rollback(model: "press", actor: f.alice)
        #expect(back.from == 2 && back.to == 1)
        #expect(try f.registry.model("press").aliases == ["champion": 1])
        #expect(moved.value.contains(.aliasMoved(model: "press", alias: "champion", version: 2)))
        #expect(moved.value.last == .aliasMoved(model: "press", alias: "champion", version: 1))
        try f.registry.deleteAlias(model: "press", alias: "champion", actor: f.alice)
        #expect(try f.registry.model("press").aliases.isEmpty)
        let audit = try f.registry.audit(limit: 100)
        #expect(audit.first?.action == "alias.delete" && audit.first?.actor == f.alice)
        #expect(audit.contains { $0.action == "alias.set" && $0.before == #"{"version":1}"# && $0.after == #"{"version":2}"# })
    }

    @Test("reserved and malformed aliases are refused", arguments: ["latest", "Latest", "v1", "V12", "bad alias", "a.b", ""])
    func aliasRules(alias: String) throws {
        let f = try Fixture()
        _ = try version(f, "one")
        #expect(throws: DomainError.self) { try f.registry.setAlias(model: "press", alias: alias, version: 1, actor: f.alice) }
        #expect(try f.registry.model("press").aliases.isEmpty)
    }

    @Test("concurrent alias moves leave the alias on one of the versions, with one audit row per move")
    func concurrentMoves() async throws {
        let f = try Fixture()
        for k in 1...4 { _ = try version(f, "v\(k)") }
        let registry = f.registry
        let actor = f.alice
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for k in 0..<20 { try registry.setAlias(model: "press", alias: "champion", version: (worker + k) % 4 + 1, actor: actor) }
                }
            }
            try await group.waitForAll()
        }
        let model = try f.registry.model("press")
        let target = try #require(model.aliases["champion"])
        let sets = try f.registry.audit(limit: 1000).filter { $0.action == "alias.set" }
        // Each recorded move starts where the previous one ended: no lost update.
        for (newer, older) in zip(sets, sets.dropFirst()) { #expect(newer.before == older.after) }
        #expect(sets.first?.after == #"{"version":\#(target)}"#)
        #expect(try f.registry.outbox(limit: 10_000).entries.filter { $0.kind == "alias_set" }.count == sets.count)
    }

    @Test("a flipped byte in an artifact is refused on read with the digests in the message")
    func corruption() throws {
        let f = try Fixture()
        let digest = try f.artifacts.put(Array("model bytes".utf8))
        #expect(try f.artifacts.read(digest) == Array("model bytes".utf8))
        let path = f.artifacts.path(digest)
        var bytes = try FileSystem.readBytes(path)
        bytes[3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try f.artifacts.read(digest)
            Issue.record("a corrupt artifact was read")
        } catch {
            #expect(error.code.rawValue == "artifact_corrupt")
            #expect(error.kind == .unavailable)
            #expect(error.message.contains(digest))
        }
    }

    @Test("a version naming a missing artifact or run changes nothing: no version, no audit, no outbox")
    func failedChangeLeavesNothing() throws {
        let f = try Fixture()
        _ = try f.registry.createModel(name: "press", actor: f.alice)
        let auditBefore = try f.registry.audit(limit: 100).count
        let outboxBefore = try f.registry.outbox(limit: 100).total
        let digest = try f.artifacts.put(Array("x".utf8))
        #expect(throws: DomainError.self) {
            try f.registry.createVersion(model: "press", .init(runID: "0123456789abcdef0123456789abcdef", artifactDigest: digest, format: "f"), artifacts: f.artifacts, actor: f.alice)
        }
        #expect(throws: DomainError.self) {
            try f.registry.createVersion(model: "press", .init(artifactDigest: String(repeating: "a", count: 64), format: "f"), artifacts: f.artifacts, actor: f.alice)
        }
        #expect(try f.registry.versions(model: "press").isEmpty)
        #expect(try f.registry.audit(limit: 100).count == auditBefore)
        #expect(try f.registry.outbox(limit: 100).total == outboxBefore)
    }
}

@Suite("model transfer")
struct ModelTransferTests {
    @Test("a version exported on one box imports on another with the same artifact; a damaged file is refused")
    func exportImport() throws {
        let here = try Fixture()
        let there = try Fixture()
        _ = try here.registry.createExperiment(name: "e", actor: here.alice)
        let run = try here.registry.createRun(experiment: "e", actor: here.alice)
        let digest = try here.artifacts.put((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        _ = try here.registry.createVersion(
            model: "press", .init(runID: run.id, artifactDigest: digest, format: "mote-gbdt", metrics: ["rmse": 0.4], tags: ["k": "v"]),
            artifacts: here.artifacts, actor: here.alice)
        let exported = try here.registry.export(model: "press", version: "1", artifacts: here.artifacts)
        let document = try JSONParser.parse(exported.bytes)
        let imported = try there.registry.importVersion(document, artifacts: there.artifacts, actor: there.alice)
        #expect(imported.model == "press" && imported.version == 1 && imported.artifactDigest == digest)
        #expect(imported.tags["mote.source_run_id"] == run.id && imported.tags["k"] == "v")
        #expect(imported.metrics == #"{"rmse":0.4}"#)
        #expect(try there.artifacts.read(digest) == (try here.artifacts.read(digest)))

        // One changed character of the base64 text: refused, nothing registered.
        var text = String(decoding: exported.bytes, as: UTF8.self)
        let marker = try #require(text.range(of: #""base64":""#))
        let at = text.index(marker.upperBound, offsetBy: 10)
        text.replaceSubrange(at...at, with: text[at] == "A" ? "B" : "A")
        do {
            _ = try there.registry.importVersion(try JSONParser.parse(Array(text.utf8)), model: "other", artifacts: there.artifacts, actor: there.alice)
            Issue.record("a damaged export was imported")
        } catch let error as DomainError {
            #expect(error.code.rawValue == "export_corrupt")
        }
        #expect(throws: DomainError.self) { try there.registry.versions(model: "other") }
    }

    @Test("a version an alias points at cannot be deleted; deleting another removes its unreferenced artifact")
    func deleteAndCollect() throws {
        let f = try Fixture()
        let first = try f.artifacts.put(Array("one".utf8))
        let second = try f.artifacts.put(Array("two".utf8))
        _ = try f.registry.createVersion(model: "press", .init(artifactDigest: first, format: "f"), artifacts: f.artifacts, actor: f.alice)
        _ = try f.registry.createVersion(model: "press", .init(artifactDigest: second, format: "f"), artifacts: f.artifacts, actor: f.alice)
        try f.registry.setAlias(model: "press", alias: "champion", version: 1, actor: f.alice)
        #expect(throws: DomainError.self) { try f.registry.deleteVersion(model: "press", 1, artifacts: f.artifacts, actor: f.alice) }
        try f.registry.deleteVersion(model: "press", 2, artifacts: f.artifacts, actor: f.alice)
        #expect(try f.registry.versions(model: "press").map(\.version) == [1])
        // Within the grace period the file stays; after it, it goes.
        #expect(f.artifacts.exists(second))
        #expect(try f.registry.collectArtifacts(f.artifacts, graceSeconds: 0) == [second])
        #expect(!f.artifacts.exists(second) && f.artifacts.exists(first))
        #expect(try f.registry.audit(limit: 1).first?.action == "version.delete")
    }
}

@Suite("audit retention")
struct AuditRetentionTests {
    @Test("the audit trail is trimmed to its age and row bounds in bounded batches, oldest first")
    func trim() throws {
        let f = try Fixture()
        for k in 0..<30 { _ = try f.registry.createExperiment(name: "e\(k)", actor: f.alice) }
        let now = SystemClock.nowNanos()
        // Row bound: keep the newest 20, at most 4 per transaction, one transaction per call.
        var rowBound = RegistrySettings()
        rowBound.auditMaxAgeNanos = 0
        rowBound.auditMaxRows = 20
        var passes = 0
        while try f.registry.trimAudit(now: now, settings: rowBound, batch: 4, maxPasses: 1) > 0 { passes += 1 }
        #expect(passes == 3)
        let kept = try f.registry.audit(limit: 100)
        #expect(kept.count == 20)
        #expect(kept.last?.subject == "experiment:e10")
        // Age bound: everything is older than 1 ns from an hour ahead; one call runs as many
        // transactions of 3 as it takes.
        var ageBound = RegistrySettings()
        ageBound.auditMaxAgeNanos = 1
        #expect(try f.registry.trimAudit(now: now + 3_600_000_000_000, settings: ageBound, batch: 3) == 20)
        #expect(try f.registry.audit(limit: 100).isEmpty)
        // The outbox is not the audit trail: untouched.
        #expect(try f.registry.outbox(limit: 100).total == 30)
    }
}

/// A value shared between threads in tests.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}
