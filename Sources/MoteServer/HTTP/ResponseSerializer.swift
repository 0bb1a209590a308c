import NIOCore
import NIOHTTP1

/// Writes a whole HTTP/1.1 response (status line, headers, body) into one buffer, so an
/// answer is one write and one `writev` without per-header allocations.
enum ResponseSerializer {
    /// Serialises `response`. `keepAlive` decides the `connection` header; `http10` adds
    /// `connection: keep-alive` for HTTP/1.0 clients that asked for it; `headOnly` leaves the
    /// body out (HEAD requests) but keeps its length.
    static func serialize(
        _ response: Response, keepAlive: Bool, http10: Bool, headOnly: Bool, allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        let bodyLength = response.body.readableBytes
        if response.status == .ok, keepAlive, !http10, !headOnly, response.stream == nil, response.headers.isEmpty,
            response.contentType == "application/json"
        {
            // The common answer: its head is fixed but for the length.
            var buffer = allocator.buffer(capacity: 80 + bodyLength)
            buffer.writeStaticString("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ")
            writeDecimal(bodyLength, into: &buffer)
            buffer.writeStaticString("\r\n\r\n")
            var body = response.body
            buffer.writeBuffer(&body)
            return buffer
        }
        var buffer = allocator.buffer(capacity: 160 + response.contentType.utf8.count + (headOnly ? 0 : bodyLength))
        buffer.writeStaticString(http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
        writeDecimal(Int(response.status.code), into: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\ncontent-type: ")
        buffer.writeString(response.contentType)
        if response.stream != nil, !headOnly {
            // HTTP/1.0 has no chunked coding: the body ends when the connection closes.
            if !http10 { buffer.writeStaticString("\r\ntransfer-encoding: chunked") }
        } else {
            buffer.writeStaticString("\r\ncontent-length: ")
            writeDecimal(bodyLength, into: &buffer)
        }
        if !keepAlive {
            buffer.writeStaticString("\r\nconnection: close")
        } else if http10 {
            buffer.writeStaticString("\r\nconnection: keep-alive")
        }
        for (name, value) in response.headers {
            buffer.writeStaticString("\r\n")
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
        }
        buffer.writeStaticString("\r\n\r\n")
        if !headOnly, bodyLength > 0, response.stream == nil {
            var body = response.body
            buffer.writeBuffer(&body)
        }
        return buffer
    }

    /// One piece of a streamed body, framed as an HTTP/1.1 chunk (raw for HTTP/1.0).
    static func chunk(_ bytes: [UInt8], http10: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count + 12)
        if http10 {
            buffer.writeBytes(bytes)
            return buffer
        }
        buffer.writeString(String(bytes.count, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    @inline(__always)
    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 10 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) + 0x30)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[19 - n] = UInt8(v % 10) + 0x30
                v /= 10
                n += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - n)...]))
        }
    }
}
