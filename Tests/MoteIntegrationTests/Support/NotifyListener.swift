import Foundation
import MoteCore

/// Plays systemd's side of `sd_notify`: a datagram socket at a path, handed to moted as
/// `NOTIFY_SOCKET`, collecting every message it sends.
final class NotifyListener {
    let path: String
    let fd: Int32
    private(set) var messages: [(time: Date, fields: [String: String])] = []

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = UnixSocketAddress(path)!
        guard address.bind(fd) == 0 else { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
        chmod(path, 0o666)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Reads what has arrived (waiting up to 100 ms).
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            var fields: [String: String] = [:]
            for line in String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            messages.append((Date(), fields))
        }
    }

    /// Waits until a message has `key` (optionally with `value`) after index `from`; returns its index.
    @discardableResult
    func wait(for key: String, value: String? = nil, after from: Int = -1, timeout: Double = 15) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            drain()
            for (k, message) in messages.enumerated() where k > from {
                if let v = message.fields[key], value == nil || v == value { return k }
            }
        } while Date() < deadline
        return nil
    }

    /// Messages that carry `key`.
    func count(of key: String) -> Int { messages.filter { $0.fields[key] != nil }.count }
}
