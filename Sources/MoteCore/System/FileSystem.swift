#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The few file operations mote needs, on POSIX calls (no Foundation).
public enum FileSystem {
    /// Size of a file in bytes, 0 when it does not exist.
    public static func size(_ path: String) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        return Int64(st.st_size)
    }

    /// Whether anything exists at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether `path` is a Unix socket.
    public static func isSocket(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
    }

    /// Creates `path` and its missing parents with `mode`.
    public static func createDirectory(_ path: String, mode: UInt32 = 0o755) throws(MoteError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if !isDirectory(prefix) {
                if mkdir(prefix, mode_t(mode)) != 0, errno != EEXIST {
                    throw MoteError(.io, "cannot create directory \(prefix): \(errnoText())")
                }
            }
            prefix += "/"
        }
    }

    /// Reads a whole file as UTF-8 text.
    public static func readText(_ path: String) throws(MoteError) -> String {
        let bytes = try readBytes(path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw MoteError(.io, "\(path) is not valid UTF-8 text")
        }
        return text
    }

    /// Reads a whole file.
    public static func readBytes(_ path: String) throws(MoteError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MoteError(.io, "cannot read \(path): \(errnoText())") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw MoteError(.io, "cannot read \(path): \(errnoText())")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR. False on an error (errno set).
    @discardableResult
    public static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Writes `bytes` to `path` whole or not at all: a temporary name beside it, fsynced, then
    /// renamed into place.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: UInt32 = 0o640) throws(MoteError) {
        let temporary = path + ".part"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw MoteError(.io, "cannot write \(temporary): \(errnoText())") }
        let written = writeAll(fd: fd, bytes) && fsync(fd) == 0
        let reason = errnoText()
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw MoteError(.io, "cannot write \(path): \(written ? errnoText() : reason)")
        }
    }

    /// Total bytes of regular files under `path`, recursively.
    public static func treeSize(_ path: String) -> Int64 {
        guard let dir = opendir(path) else { return size(path) }
        defer { closedir(dir) }
        var total: Int64 = 0
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var st = stat()
            guard lstat(child, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                total += treeSize(child)
            } else if (st.st_mode & S_IFMT) == S_IFREG {
                total += Int64(st.st_size)
            }
        }
        return total
    }

    /// Makes a relative path absolute against the current directory.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let trimmed = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return trimmed == "." ? cwd : cwd + "/" + trimmed
    }
}

/// The text of the current `errno`.
public func errnoText() -> String {
    errnoText(errno)
}

/// The text of an errno value.
public func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
