public import MoteCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Makes a socket path ready to bind: removes a stale socket file that nothing answers on,
/// and refuses to go on when another daemon answers there or the path is not a socket.
public enum SocketPreflight {
    /// What was found at the path.
    public enum Outcome: Sendable, Equatable {
        case free
        case removedStale
    }

    public static func prepare(path: String) throws(MoteError) -> Outcome {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !parent.isEmpty { try FileSystem.createDirectory(parent, mode: 0o755) }
        guard FileSystem.exists(path) else { return .free }
        guard FileSystem.isSocket(path) else {
            throw MoteError(.socket, "\(path) exists and is not a socket; remove it or choose another [socket] path")
        }
        if answers(path) {
            throw MoteError(
                .alreadyRunning,
                "another process (probably moted) answers on \(path); stop it first (systemctl stop moted), or use another --socket")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw MoteError(.socket, "cannot remove stale socket \(path): \(errnoText())")
        }
        return .removedStale
    }

    /// Whether something accepts connections on the Unix socket at `path`.
    public static func answers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard var address = UnixSocketAddress(path) else { return false }
        return address.connect(fd) == 0
    }

    /// Sets mode and (when named) group of the bound socket file.
    public static func applyOwnership(path: String, mode: UInt32, group: String) throws(MoteError) {
        guard chmod(path, mode_t(mode)) == 0 else {
            throw MoteError(.socket, "cannot set mode \(String(mode, radix: 8)) on \(path): \(errnoText())")
        }
        guard !group.isEmpty else { return }
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        let gid: gid_t
        if let numeric = UInt32(group) {
            gid = numeric
        } else {
            guard getgrnam_r(group, &entry, &buffer, buffer.count, &result) == 0, result != nil else {
                throw MoteError(.socket, "socket.group: group '\(group)' does not exist")
            }
            gid = entry.gr_gid
        }
        guard chown(path, uid_t.max, gid) == 0 else {
            throw MoteError(.socket, "cannot give \(path) to group '\(group)': \(errnoText())")
        }
    }
}
