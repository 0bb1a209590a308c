public import MoteCore

/// The layout of moted's state directory (`/var/lib/mote`, `--state-dir`):
///
/// ```
/// <state>/db/registry.sqlite   registry, tracking, definitions, outbox
/// <state>/db/features.sqlite   feature history and the online cache
/// <state>/artifacts/sha256/    content-addressed model artifacts
/// <state>/tmp/                 temporary files (same filesystem, for atomic renames)
/// <state>/lock                 held (flock) by the moted using the directory; its pid
/// ```
public struct StateDirectory: Sendable {
    /// Absolute path of the state directory.
    public let root: String

    public init(root: String) {
        self.root = FileSystem.absolute(root)
    }

    public var databaseDirectory: String { root + "/db" }
    public var artifactsDirectory: String { root + "/artifacts/sha256" }
    public var temporaryDirectory: String { root + "/tmp" }
    public var registryDatabasePath: String { databaseDirectory + "/registry.sqlite" }
    public var featuresDatabasePath: String { databaseDirectory + "/features.sqlite" }

    /// Creates the directories that are missing (owner-only: state may hold private data).
    public func prepare() throws(MoteError) {
        for path in [root, databaseDirectory, artifactsDirectory, temporaryDirectory] {
            try FileSystem.createDirectory(path, mode: 0o700)
        }
    }

    /// Bytes used by artifacts.
    public func artifactBytes() -> Int64 {
        FileSystem.treeSize(root + "/artifacts")
    }
}
