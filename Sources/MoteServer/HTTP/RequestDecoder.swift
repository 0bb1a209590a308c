public import NIOCore
import NIOHTTP1

/// Why a request could not be read; the connection answers 400 (431 for a head too large)
/// and closes.
struct RequestDecodingError: Error, Equatable, CustomStringConvertible {
    enum Kind: Equatable {
        case malformed
        case headTooLarge
    }
    var kind: Kind
    var detail: String
    var description: String { detail }

    static func malformed(_ detail: String) -> RequestDecodingError { .init(kind: .malformed, detail: detail) }
}

/// An HTTP/1.1 request decoder for a Unix-socket API: request line and header fields by
/// RFC 9112, bodies framed by `Content-Length` or `Transfer-Encoding: chunked` (chunk
/// extensions and trailers read and dropped), pipelined requests one after another. Body
/// pieces are slices of the read buffer (no copy).
///
/// It replaces SwiftNIO's llhttp-based decoder on the hot path: that one calls back into
/// Swift for every piece of the head and cost about 8k instructions per request, a sixth of
/// an online read. Strictness is deliberate: a message that could be read two ways
/// (`Content-Length` with `Transfer-Encoding`, differing lengths, folded lines, whitespace
/// before a colon) is refused, never guessed.
public struct RequestDecoder: ByteToMessageDecoder {
    public typealias InboundOut = RequestPart

    public init() {}

    /// Largest request head read before giving up (the configured limit, checked per request
    /// by the connection handler, is at most 80 KiB).
    static let maxHeadBytes = 96 * 1024

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
    }

    private var state = State.head
    /// Whether `.headStarted` was sent for the head being read.
    private var announcedHead = false

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .head:
            guard let headLength = try Self.headLength(buffer) else {
                // Empty lines between requests (RFC 9112 2.2) are not the start of a head.
                while let b = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), b == 0x0D || b == 0x0A {
                    buffer.moveReaderIndex(forwardBy: 1)
                }
                if !announcedHead, buffer.readableBytes > 0 {
                    announcedHead = true
                    context.fireChannelRead(wrapInboundOut(.headStarted))
                }
                return .needMoreData
            }
            announcedHead = false
            let raw = buffer.readSlice(length: headLength)!
            let (head, framing) = try Self.parseHead(raw)
            context.fireChannelRead(wrapInboundOut(.head(head)))
            switch framing {
            case .none, .length(0):
                context.fireChannelRead(wrapInboundOut(.end))
            case .length(let n):
                state = .body(remaining: n)
            case .chunked:
                state = .chunkSize
            }
            return .continue

        case .body(let remaining):
            guard let left = forward(upTo: remaining, from: &buffer, context) else { return .needMoreData }
            if left == 0 {
                state = .head
                context.fireChannelRead(wrapInboundOut(.end))
            } else {
                state = .body(remaining: left)
            }
            return .continue

        case .chunkSize:
            guard let line = try Self.line(buffer, limit: 1024) else { return .needMoreData }
            let size = try buffer.withUnsafeReadableBytes { raw in
                try Self.chunkSize(UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<line.content]))
            }
            buffer.moveReaderIndex(forwardBy: line.total)
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return .continue

        case .chunkData(let remaining):
            guard let left = forward(upTo: remaining, from: &buffer, context) else { return .needMoreData }
            state = left == 0 ? .chunkEnd : .chunkData(remaining: left)
            return .continue

        case .chunkEnd:
            guard let line = try Self.line(buffer, limit: 2) else { return .needMoreData }
            guard line.content == 0 else { throw RequestDecodingError.malformed("chunk data longer than its size") }
            buffer.moveReaderIndex(forwardBy: line.total)
            state = .chunkSize
            return .continue

        case .trailers:
            // Trailer fields are read and dropped; an empty line ends the message.
            guard let line = try Self.line(buffer, limit: Self.maxHeadBytes) else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: line.total)
            if line.content == 0 {
                state = .head
                context.fireChannelRead(wrapInboundOut(.end))
            }
            return .continue
        }
    }

    /// Passes on up to `remaining` body bytes as a slice of the read buffer; what is still
    /// owed after it, nil when no byte is there yet.
    private func forward(upTo remaining: Int, from buffer: inout ByteBuffer, _ context: ChannelHandlerContext) -> Int? {
        let take = min(remaining, buffer.readableBytes)
        guard take > 0, let piece = buffer.readSlice(length: take) else { return nil }
        context.fireChannelRead(wrapInboundOut(.body(piece)))
        return remaining - take
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A request cut short by the peer closing is dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    // MARK: - Framing

    private enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    /// The length of the head including its empty line, nil while incomplete.
    private static func headLength(_ buffer: ByteBuffer) throws -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            // Tolerate empty lines before a request (RFC 9112 2.2).
            while i < bytes.count, bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }
            while i < bytes.count {
                guard let newline = UnsafeBufferPointer(rebasing: bytes[i...]).firstIndex(of: 0x0A) else { return nil }
                let at = i + newline
                // "\n\n" or "\n\r\n" ends the head.
                if at + 1 < bytes.count, bytes[at + 1] == 0x0A { return at + 2 }
                if at + 2 < bytes.count, bytes[at + 1] == 0x0D, bytes[at + 2] == 0x0A { return at + 3 }
                if at + 2 >= bytes.count { return nil }
                i = at + 1
            }
            return nil
        }
        if found == nil, buffer.readableBytes > maxHeadBytes {
            throw RequestDecodingError(kind: .headTooLarge, detail: "request head larger than \(maxHeadBytes) bytes")
        }
        if let found, found > maxHeadBytes {
            throw RequestDecodingError(kind: .headTooLarge, detail: "request head larger than \(maxHeadBytes) bytes")
        }
        return found
    }

    /// One line: the length of its content and of the whole line with its end; nil while
    /// incomplete.
    private static func line(_ buffer: ByteBuffer, limit: Int) throws -> (content: Int, total: Int)? {
        let found: (Int, Int)? = buffer.withUnsafeReadableBytes { raw in
            guard let newline = raw.firstIndex(of: 0x0A) else { return nil }
            let content = newline > 0 && raw[newline - 1] == 0x0D ? newline - 1 : newline
            return (content, newline + 1)
        }
        if let found {
            guard found.0 <= limit else { throw RequestDecodingError.malformed("line too long in a chunked body") }
            return found
        }
        guard buffer.readableBytes <= limit + 1 else { throw RequestDecodingError.malformed("line too long in a chunked body") }
        return nil
    }

    private static func chunkSize(_ line: UnsafeBufferPointer<UInt8>) throws -> Int {
        var size = 0
        var digits = 0
        for b in line {
            let value: Int
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(b - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(b - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(b - 0x41 + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), 0x09:
                // A chunk extension (or whitespace before one) follows; it is ignored.
                guard digits > 0 else { throw RequestDecodingError.malformed("chunk size missing") }
                return size
            default:
                throw RequestDecodingError.malformed("invalid chunk size")
            }
            digits += 1
            guard digits <= 15 else { throw RequestDecodingError.malformed("chunk size too large") }
            size = size << 4 | value
        }
        guard digits > 0 else { throw RequestDecodingError.malformed("chunk size missing") }
        return size
    }

    // MARK: - Head

    private static func parseHead(_ raw: ByteBuffer) throws -> (RequestHead, Framing) {
        try raw.withUnsafeReadableBytes { rawBytes in
            try parseHead(raw, UnsafeBufferPointer(rebasing: rawBytes.bindMemory(to: UInt8.self)[...]))
        }
    }

    private static func parseHead(_ raw: ByteBuffer, _ bytes: UnsafeBufferPointer<UInt8>) throws -> (RequestHead, Framing) {
        var i = 0
        while i < bytes.count, bytes[i] == 0x0D || bytes[i] == 0x0A { i += 1 }

        // request-line = method SP request-target SP HTTP-version
        let methodStart = i
        while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
        guard i > methodStart, i < bytes.count, bytes[i] == 0x20 else { throw RequestDecodingError.malformed("invalid request line") }
        let method = self.method(bytes, methodStart..<i)
        i += 1
        let targetStart = i
        while i < bytes.count, bytes[i] > 0x20, bytes[i] < 0x7F { i += 1 }
        guard i > targetStart, i < bytes.count, bytes[i] == 0x20 else { throw RequestDecodingError.malformed("invalid request target") }
        let uri = text(bytes, targetStart..<i)
        i += 1
        guard i + 8 <= bytes.count, bytes[i] == UInt8(ascii: "H"), bytes[i + 1] == UInt8(ascii: "T"), bytes[i + 2] == UInt8(ascii: "T"),
            bytes[i + 3] == UInt8(ascii: "P"), bytes[i + 4] == UInt8(ascii: "/"), bytes[i + 6] == UInt8(ascii: ".")
        else { throw RequestDecodingError.malformed("invalid HTTP version") }
        let version: HTTPVersion
        switch (bytes[i + 5], bytes[i + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): version = .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): version = .http1_0
        default: throw RequestDecodingError.malformed("unsupported HTTP version (HTTP/1.1 and HTTP/1.0 are served)")
        }
        i += 8
        i = try endOfLine(bytes, i)

        var fields: [(name: Range<Int>, value: Range<Int>)] = []
        fields.reserveCapacity(8)
        var contentLength: Int?
        var chunked = false
        var contentTypeIsJSON: Bool?
        var expectsContinue = false
        var close = version == .http1_0
        while i < bytes.count, bytes[i] != 0x0D, bytes[i] != 0x0A {
            // field-line = field-name ":" OWS field-value OWS; a line starting with whitespace
            // is an obsolete fold and refused.
            let nameStart = i
            while i < bytes.count, isTokenByte(bytes[i]) { i += 1 }
            guard i > nameStart, i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw RequestDecodingError.malformed("invalid header field")
            }
            let name = nameStart..<i
            i += 1
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
            let valueStart = i
            while i < bytes.count, bytes[i] != 0x0D, bytes[i] != 0x0A {
                let b = bytes[i]
                guard b >= 0x20 || b == 0x09, b != 0x7F else { throw RequestDecodingError.malformed("invalid character in a header value") }
                i += 1
            }
            var valueEnd = i
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            i = try endOfLine(bytes, i)
            let value = valueStart..<valueEnd
            fields.append((name, value))

            switch name.count {
            case 14 where equalsIgnoringCase(bytes, name, "content-length"):
                guard let length = decimal(bytes, value) else { throw RequestDecodingError.malformed("invalid content-length") }
                if let contentLength, contentLength != length { throw RequestDecodingError.malformed("conflicting content-length fields") }
                contentLength = length
            case 17 where equalsIgnoringCase(bytes, name, "transfer-encoding"):
                guard !chunked, equalsIgnoringCase(bytes, value, "chunked") else {
                    throw RequestDecodingError.malformed("unsupported transfer-encoding (only chunked is accepted)")
                }
                chunked = true
            case 6 where equalsIgnoringCase(bytes, name, "expect"):
                expectsContinue = version == .http1_1 && equalsIgnoringCase(bytes, value, "100-continue")
            case 12 where equalsIgnoringCase(bytes, name, "content-type"):
                contentTypeIsJSON = ContentType.isJSON(UnsafeBufferPointer(rebasing: bytes[value]))
            case 10 where equalsIgnoringCase(bytes, name, "connection"):
                if hasToken(bytes, value, "close") {
                    close = true
                } else if version == .http1_0, hasToken(bytes, value, "keep-alive") {
                    close = false
                }
            default:
                break
            }
        }

        let framing: Framing
        if chunked {
            guard contentLength == nil else { throw RequestDecodingError.malformed("both content-length and transfer-encoding") }
            guard version == .http1_1 else { throw RequestDecodingError.malformed("transfer-encoding in an HTTP/1.0 request") }
            framing = .chunked
        } else if let contentLength {
            framing = .length(contentLength)
        } else {
            framing = .none
        }
        var head = RequestHead(
            method: method, uri: uri, version: version, keepAlive: !close, contentLength: contentLength,
            contentTypeIsJSON: contentTypeIsJSON, byteCount: bytes.count, headers: RequestHeaders(raw: raw, fields: fields))
        head.hasBody = chunked || (contentLength ?? 0) > 0
        head.expectsContinue = expectsContinue && head.hasBody
        return (head, framing)
    }

    /// The common methods without building a string; others by name.
    private static func method(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> HTTPMethod {
        switch range.count {
        case 3 where equals(bytes, range, "GET"): return .GET
        case 3 where equals(bytes, range, "PUT"): return .PUT
        case 4 where equals(bytes, range, "POST"): return .POST
        case 4 where equals(bytes, range, "HEAD"): return .HEAD
        default: return HTTPMethod(rawValue: text(bytes, range))
        }
    }

    /// Whether a comma-separated list holds `token` (case-insensitively).
    private static func hasToken(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ token: StaticString) -> Bool {
        var start = range.lowerBound
        while start < range.upperBound {
            var end = start
            while end < range.upperBound, bytes[end] != UInt8(ascii: ",") { end += 1 }
            var a = start
            var b = end
            while a < b, bytes[a] == 0x20 || bytes[a] == 0x09 { a += 1 }
            while b > a, bytes[b - 1] == 0x20 || bytes[b - 1] == 0x09 { b -= 1 }
            if equalsIgnoringCase(bytes, a..<b, token) { return true }
            start = end + 1
        }
        return false
    }

    /// The index after a CRLF (or bare LF) at `i`.
    private static func endOfLine(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) throws -> Int {
        if i < bytes.count, bytes[i] == 0x0A { return i + 1 }
        if i + 1 < bytes.count, bytes[i] == 0x0D, bytes[i + 1] == 0x0A { return i + 2 }
        throw RequestDecodingError.malformed("invalid line ending")
    }

    /// RFC 9110 tchar.
    @inline(__always)
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<range.count {
            let b = bytes[range.lowerBound + k]
            if (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) != w[k] { return false }
        }
        return true
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        for k in 0..<range.count where bytes[range.lowerBound + k] != word.utf8Start[k] { return false }
        return true
    }

    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for k in range {
            let b = bytes[k]
            guard b >= 0x30, b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return value
    }

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
