#if canImport(Glibc)
import Glibc
#endif
public import MoteCore
public import MoteStorage

/// Model files named by their SHA-256 under `<state>/artifacts/sha256/`. A file is written to
/// a temporary name, fsynced, renamed into place and its directory fsynced, so an artifact is
/// either whole or absent; every read checks the digest.
public struct ArtifactStore: Sendable {
    public let directory: StateDirectory
    /// The headroom kept on the state directory's filesystem (checked before a new file).
    let space: DiskSpace?

    public init(directory: StateDirectory, space: DiskSpace? = nil) {
        self.directory = directory
        self.space = space
    }

    /// Where the artifact with `digest` lives.
    public func path(_ digest: String) -> String { directory.artifactsDirectory + "/" + digest }

    /// Whether `digest` is 64 lowercase hex characters.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Stores `bytes` and returns their digest (storing the same bytes twice is a no-op).
    /// Refused with 507 (`disk_space_low` below the headroom, `disk_full` when the file does
    /// not fit); no partial file is left.
    public func put(_ bytes: [UInt8]) throws -> String {
        let digest = SHA256.hex(of: bytes)
        let final = path(digest)
        if FileSystem.exists(final) { return digest }
        try space?.requireRoom()
        let temporary = directory.temporaryDirectory + "/artifact-\(digest.prefix(16))-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MoteError(.storage, "cannot create a temporary file for artifact \(digest): \(errnoText())") }
        guard FileSystem.writeAll(fd: fd, bytes), fsync(fd) == 0 else {
            let failure = errno
            let reason = errnoText()
            close(fd)
            unlink(temporary)
            if failure == ENOSPC || failure == EDQUOT, let space { throw space.full("artifact \(digest)") }
            throw MoteError(.storage, "cannot write artifact \(digest): \(reason)")
        }
        close(fd)
        guard rename(temporary, final) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw MoteError(.storage, "cannot move artifact \(digest) into place: \(reason)")
        }
        let dir = open(directory.artifactsDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
        return digest
    }

    /// The bytes of `digest`, refused when the file is missing or its content no longer
    /// hashes to the digest (a corrupted artifact is never loaded).
    public func read(_ digest: String) throws(DomainError) -> [UInt8] {
        guard ArtifactStore.isDigest(digest) else { throw .invalidParameter("'\(digest)' is not a SHA-256 digest (64 lowercase hex characters)") }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readBytes(path(digest))
        } catch {
            throw DomainError.notFound("artifact \(digest) is missing from the artifact store (<state>/artifacts/sha256)")
        }
        let actual = SHA256.hex(of: bytes)
        guard actual == digest else {
            throw DomainError(.unavailable, .artifactCorrupt, "artifact \(digest) is corrupt: its content hashes to \(actual); restore it (motectl models import) or register a new version")
        }
        return bytes
    }

    /// Whether an artifact file exists (without checking its content).
    public func exists(_ digest: String) -> Bool {
        ArtifactStore.isDigest(digest) && FileSystem.exists(path(digest))
    }

    /// Digests of every stored artifact.
    public func all() -> [String] {
        guard let dir = opendir(directory.artifactsDirectory) else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if ArtifactStore.isDigest(name) { out.append(name) }
        }
        return out
    }
}
