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

    /// Closes the file `open` opened (not standard input, nor a descriptor given to `init(fd:)`
    /// by its owner; call it only for readers from `open`).
    public func close() {
        if fd > STDERR_FILENO { _ = Glibc.close(fd) }
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
        var record = CSVRecord()
        guard next(into: &record) else { return nil }
        return (0..<record.count).map { k in record.withField(k) { String(decoding: $0, as: UTF8.self) } }
    }

    /// Reads the next record into `record` (its storage reused); false at the end.
    public mutating func next(into record: inout CSVRecord) -> Bool {
        line = nextLine
        record.removeAll()
        var quoted = false
        var started = false
        var fieldStart = 0
        while true {
            if position >= buffer.count, !fill() {
                if !started { return false }
                record.ends.append(record.bytes.count)
                return true
            }
            let b = buffer[position]
            position += 1
            started = true
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if position >= buffer.count { _ = fill() }
                    if position < buffer.count, buffer[position] == UInt8(ascii: "\"") {
                        record.bytes.append(b)
                        position += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if b == 0x0A { nextLine += 1 }
                    record.bytes.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\"") where record.bytes.count == fieldStart:
                quoted = true
            case UInt8(ascii: ","):
                record.ends.append(record.bytes.count)
                fieldStart = record.bytes.count
            case 0x0A:
                nextLine += 1
                if record.bytes.count > fieldStart, record.bytes.last == 0x0D { record.bytes.removeLast() }
                record.ends.append(record.bytes.count)
                return true
            default:
                record.bytes.append(b)
            }
        }
    }
}

/// One CSV record's fields as bytes, in one buffer reused from record to record.
public struct CSVRecord {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    public init() {}

    /// How many fields the record has.
    public var count: Int { ends.count }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
    }

    /// Runs `body` on field `k`'s bytes (valid only inside `body`).
    public func withField<T>(_ k: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let start = k == 0 ? 0 : ends[k - 1]
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[k]])) }
    }
}
