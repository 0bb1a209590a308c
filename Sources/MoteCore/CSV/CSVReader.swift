#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads RFC 4180 CSV records from a file descriptor in chunks, so files of any size stream
/// through a bounded buffer. Quoted fields may hold commas, quotes (`""`) and newlines.
public struct CSVReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var position = 0
    private var eof = false
    /// 1-based line number where the last record returned started.
    public private(set) var line = 0
    private var nextLine = 1

    /// Reads from `fd` (not closed by the reader).
    public init(fd: Int32) {
        self.fd = fd
    }

    /// Reads records from bytes already in memory.
    public init(bytes: [UInt8]) {
        self.fd = -1
        self.buffer = bytes
        self.eof = true
    }

    /// Opens `path`; nil when it cannot be read.
    public static func open(_ path: String) -> CSVReader? {
        let fd = path == "-" ? STDIN_FILENO : Glibc.open(path, O_RDONLY | O_CLOEXEC)
        return fd < 0 ? nil : CSVReader(fd: fd)
    }

    private mutating func fill() -> Bool {
        if eof { return false }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 {
            eof = true
            return false
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// The next record, or nil at the end. A final line without a newline counts.
    public mutating func next() -> [String]? {
        line = nextLine
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var started = false
        while true {
            if position >= buffer.count, !fill() {
                if !started && field.isEmpty && fields.isEmpty { return nil }
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            }
            let b = buffer[position]
            position += 1
            started = true
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if position >= buffer.count { _ = fill() }
                    if position < buffer.count, buffer[position] == UInt8(ascii: "\"") {
                        field.append(b)
                        position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 0x0A { nextLine += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\"") where field.isEmpty:
                quoted = true
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            case 0x0A:
                nextLine += 1
                if field.last == 0x0D { field.removeLast() }
                fields.append(String(decoding: field, as: UTF8.self))
                return fields
            default:
                field.append(b)
            }
        }
    }
}
