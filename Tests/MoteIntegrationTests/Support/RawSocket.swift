import Foundation
import MoteCore

/// A bare Unix stream socket for sending hand-made (and malformed) HTTP.
final class RawSocket {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = UnixSocketAddress(path)!
        guard address.connect(fd) == 0 else { throw TestFailure("connect \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Shuts the sending side, as `nc -N` and `socat` do after their input.
    func shutdownSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads until the peer closes (or the timeout); returns everything read.
    func readToClose() -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads until `count` complete responses with Content-Length have arrived.
    func readResponses(_ count: Int) -> [(status: Int, body: String)] {
        var data: [UInt8] = []
        let responses: [(Int, String)] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while responses.count < count {
            let text = String(decoding: data, as: UTF8.self)
            if let parsed = RawSocket.parse(text, count: count), parsed.count == count { return parsed }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return RawSocket.parse(String(decoding: data, as: UTF8.self), count: count) ?? responses
    }

    static func parse(_ text: String, count: Int) -> [(status: Int, body: String)]? {
        var rest = Substring(text)
        var out: [(Int, String)] = []
        while out.count < count {
            guard let headEnd = rest.range(of: "\r\n\r\n") else { return out }
            let head = rest[..<headEnd.lowerBound]
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            var length = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let bodyStart = headEnd.upperBound
            let utf8 = rest.utf8
            guard utf8.distance(from: bodyStart, to: utf8.endIndex) >= length else { return out }
            let bodyEnd = utf8.index(bodyStart, offsetBy: length)
            out.append((status, String(rest[bodyStart..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return out
    }
}
