@testable import MoteDaemon
import MoteCore
import MoteStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("schema")
struct SchemaTests {
    @Test("each module's tables land in the database files under the migration ids earlier releases wrote")
    func migrationIDs() throws {
        var template = Array("/tmp/mote-schema-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let storage = try Storage(directory: StateDirectory(root: dir), options: .init(), schema: Daemon.schema)
        defer { storage.close() }
        // These ids are in every state directory written so far: renaming one would make an
        // upgraded moted apply a table twice or refuse its own database. (Their order does not
        // matter: each step touches only its own tables.)
        #expect(
            try storage.registry.read { try Migrator.appliedIDs($0) }.sorted()
                == ["0001_meta", "0002_definitions", "0003_tracking_registry", "0004_training_jobs", "0005_sync", "0009_fleet", "0011_rollouts",
                    "0012_job_kinds",
                ])
        #expect(
            try storage.features.read { try Migrator.appliedIDs($0) }.sorted()
                == ["0001_meta", "0002_feature_rows", "0003_prediction_log", "0004_feedback", "0005_feature_inbox", "0006_online_binary_rows", "0007_inbox_online_rows",
                    "0008_history_runs", "0010_prediction_reasons_and_shadows",
                ])
    }
}
