public import MoteCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

extension MoteError.Code {
    /// Another moted holds the state directory.
    public static let stateDirectoryInUse: MoteError.Code = "state_directory_in_use"
}

/// An exclusive lock on a state directory (`<state>/lock`, `flock`), held for the life of the
/// process: a second moted on the same directory would open the same databases and interleave
/// its writes with the first's, so it refuses to start. The lock goes with the process (also
/// on kill -9); the file keeps the holder's pid for the message.
public final class StateDirectoryLock: Sendable {
    /// The lock file's descriptor; -1 once released.
    private let fd: Mutex<Int32>

    /// Takes the lock, or throws `stateDirectoryInUse` naming the holder's pid.
    public init(_ directory: StateDirectory) throws(MoteError) {
        let path = directory.root + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw MoteError(.storage, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).filter(\.isNumber) : ""
            if busy {
                throw MoteError(
                    .stateDirectoryInUse,
                    "state directory \(directory.root) is in use by another moted\(holder.isEmpty ? "" : " (pid \(holder))"); stop it, or give this one another --state-dir")
            }
            throw MoteError(.storage, "cannot lock \(path): \(String(cString: strerror(errno)))")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = Mutex(fd)
    }

    /// Releases the lock (at a clean stop, after the databases are closed).
    public func release() {
        fd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
