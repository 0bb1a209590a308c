import MoteCore
import MoteFeatures
import MoteStorage
import MoteTraining

#if canImport(Glibc)
import Glibc
#endif

/// A feature store that reads training specs, on a fresh state directory (or `root`'s, as a
/// restart would).
func makeStore(at root: String? = nil) throws -> FeatureStore {
    let dir = root ?? {
        var template = Array("/tmp/mote-training-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }()
    let storage = try Storage(directory: StateDirectory(root: dir), options: .init(), schema: FeatureStore.schema)
    return try FeatureStore(storage: storage, settings: .fixed(FeatureSettings()), sections: [TrainingSpecSection()])
}

/// Entities and views the specs of these tests read.
let baseDefinitions = """
    [[entity]]
    name = "machine"
    join_key = "machine_id"

    [[feature_view]]
    name = "sensor_stats"
    entity = "machine"
    fields = [
      { name = "temp", type = "float64" },
      { name = "mode", type = "string" },
      { name = "count", type = "int64" },
    ]

    [[feature_view]]
    name = "labels"
    entity = "machine"
    fields = [{ name = "failed", type = "bool" }, { name = "hours", type = "float64" }]

    """
