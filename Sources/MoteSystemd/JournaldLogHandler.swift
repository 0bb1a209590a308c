import CSystemd
public import Logging
import MoteCore

/// A swift-log handler that writes native journald entries through `sd_journal_sendv(3)`:
/// `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER=moted`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`, the
/// logger label as `MOTE_COMPONENT`, and every metadata key as a `MOTE_*` field.
public struct JournaldLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let control: LogLevelControl
    private let identifier: String

    public init(label: String, control: LogLevelControl, identifier: String = "moted") {
        self.label = label
        self.control = control
        self.identifier = identifier
    }

    public var logLevel: Logger.Level {
        get { control.level }
        set { control.level = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Whether a journal socket is there to write to.
    public static var isAvailable: Bool {
        FileSystem.isSocket("/run/systemd/journal/socket")
    }

    public func log(event: LogEvent) {
        var fields: [String] = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(event.level.syslogPriority)",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
            "MOTE_COMPONENT=\(label)",
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append("\(JournaldLogHandler.fieldName(key))=\(value)")
        }
        JournaldLogHandler.send(fields)
    }

    /// Journal field name for a metadata key: `MOTE_` + upper-case letters, digits and `_`.
    public static func fieldName(_ key: String) -> String {
        var name = "MOTE_"
        for scalar in key.unicodeScalars {
            switch scalar {
            case "a"..."z": name.unicodeScalars.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9": name.unicodeScalars.append(scalar)
            default: name.append("_")
            }
        }
        return String(name.prefix(64))
    }

    /// Sends `KEY=value` fields as one entry (values may contain newlines).
    @discardableResult
    public static func send(_ fields: [String]) -> Int32 {
        // One contiguous copy of all fields; the iovecs point into it while sd_journal_sendv runs.
        var storage: [UInt8] = []
        var ranges: [Range<Int>] = []
        for field in fields {
            let start = storage.count
            storage.append(contentsOf: field.utf8)
            ranges.append(start..<storage.count)
        }
        return storage.withUnsafeMutableBytes { raw -> Int32 in
            guard let base = raw.baseAddress else { return -1 }
            let iov = ranges.map { iovec(iov_base: base + $0.lowerBound, iov_len: $0.count) }
            return iov.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }
}
