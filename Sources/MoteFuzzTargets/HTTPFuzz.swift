import MoteServer
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// The HTTP request decoder under fuzzing, with two properties: the messages read do not
/// depend on how the bytes arrive (all at once, or a byte at a time), and every message that
/// both mote's decoder and SwiftNIO's llhttp-based decoder read whole is read the same by
/// both (a message two parsers read differently is how requests are smuggled). mote's
/// decoder is stricter by design, so a message only llhttp accepts is not a finding.
enum HTTPFuzz {
    /// A request as read: what the server acts on.
    struct Message: Equatable, CustomStringConvertible {
        var method: String
        var uri: String
        var version: String
        var headers: [String]
        var body: [UInt8]
        var description: String { "\(method) \(uri) HTTP/\(version) \(headers) body \(body.count) bytes" }
    }

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        let whole = mote(input, pieceSize: input.count)
        if input.count <= 4096 {
            let trickled = mote(input, pieceSize: 1)
            require(whole.messages == trickled.messages, "split reads give other messages: \(whole.messages) vs \(trickled.messages)")
        }
        let reference = llhttp(input)
        for (ours, theirs) in zip(whole.messages, reference) {
            require(ours == theirs, "mote read \(ours), llhttp read \(theirs)")
        }
    }

    /// The complete messages mote's decoder reads from `input` delivered in `pieceSize` pieces.
    static func mote(_ input: [UInt8], pieceSize: Int) -> (messages: [Message], failed: Bool) {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        guard (try? channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RequestDecoder()))) != nil else { return ([], true) }
        var messages: [Message] = []
        var current: Message?
        var failed = false
        var offset = 0
        while offset < input.count, !failed {
            let end = min(input.count, offset + max(1, pieceSize))
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: input[offset..<end]))
            } catch {
                failed = true
            }
            offset = end
            while let part = try? channel.readInbound(as: RequestPart.self) {
                switch part {
                case .headStarted:
                    break
                case .head(let head):
                    current = Message(
                        method: head.method.rawValue, uri: head.uri, version: "\(head.version.major).\(head.version.minor)",
                        headers: head.headers.map { "\($0.name): \($0.value)" }, body: [])
                case .body(var piece):
                    current?.body.append(contentsOf: piece.readBytes(length: piece.readableBytes) ?? [])
                case .end:
                    if let message = current { messages.append(message) }
                    current = nil
                }
            }
        }
        return (messages, failed)
    }

    /// The complete messages SwiftNIO's HTTP/1 decoder reads from `input`.
    static func llhttp(_ input: [UInt8]) -> [Message] {
        let channel = EmbeddedChannel()
        defer { _ = try? channel.finish() }
        guard (try? channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))) != nil else { return [] }
        _ = try? channel.writeInbound(channel.allocator.buffer(bytes: input))
        var messages: [Message] = []
        var current: Message?
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let head):
                // llhttp keeps a value's trailing whitespace; it is not part of the value (RFC 9110 5.5).
                current = Message(
                    method: head.method.rawValue, uri: head.uri, version: "\(head.version.major).\(head.version.minor)",
                    headers: head.headers.map { "\($0.name): \(trimmingTrailingWhitespace($0.value))" }, body: [])
            case .body(var piece):
                current?.body.append(contentsOf: piece.readBytes(length: piece.readableBytes) ?? [])
            case .end:
                if let message = current { messages.append(message) }
                current = nil
            }
        }
        return messages
    }

    static func trimmingTrailingWhitespace(_ text: String) -> String {
        var end = text.utf8.endIndex
        while end > text.utf8.startIndex {
            let before = text.utf8.index(before: end)
            guard text.utf8[before] == 0x20 || text.utf8[before] == 0x09 else { break }
            end = before
        }
        return String(text.utf8[..<end]) ?? text
    }
}
