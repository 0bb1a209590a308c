import MoteCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads one HTTP/1.1 response (Content-Length or chunked) from a blocking socket.
struct ResponseReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var position = 0

    init(fd: Int32) { self.fd = fd }

    mutating func fill() throws(MoteClientError) {
        if position > 0, position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return
            }
            if n == 0 { throw .connectionClosed }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw .timeout }
            if errno == ECONNRESET { throw .connectionClosed }
            throw .io(errnoText())
        }
    }

    mutating func readLine() throws(MoteClientError) -> String {
        while true {
            if let end = buffer[position...].firstIndex(of: 0x0A) {
                var lineEnd = end
                if lineEnd > position, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = String(decoding: buffer[position..<lineEnd], as: UTF8.self)
                position = end + 1
                return line
            }
            if buffer.count - position > 1 << 20 { throw .malformed("header line too long") }
            try fill()
        }
    }

    mutating func readExactly(_ count: Int) throws(MoteClientError) -> [UInt8] {
        while buffer.count - position < count { try fill() }
        let out = Array(buffer[position..<(position + count)])
        position += count
        return out
    }

    /// Reads one response. With `bodySink`, the body of a successful (< 400) answer is handed
    /// over piece by piece as it arrives instead of being collected (error bodies are still
    /// collected, for their message).
    mutating func read(bodySink: (([UInt8]) -> Void)? = nil) throws(MoteClientError) -> ClientResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .malformed("status line '\(statusLine)'")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw .malformed("header '\(line)'") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((name, String(value)))
        }
        var response = ClientResponse(status: status, headers: headers, body: [])
        let sink = status < 400 ? bodySink : nil
        func deliver(_ bytes: [UInt8]) {
            if let sink { sink(bytes) } else { response.body.append(contentsOf: bytes) }
        }
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw .malformed("chunk size '\(sizeLine)'")
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                deliver(try readExactly(size))
                _ = try readLine()
            }
        } else if let lengthText = response.header("content-length") {
            guard let length = Int(lengthText), length >= 0 else { throw .malformed("content-length '\(lengthText)'") }
            var left = length
            while left > 0 {
                let piece = min(left, 1 << 20)
                deliver(try readExactly(piece))
                left -= piece
            }
        }
        return response
    }
}
