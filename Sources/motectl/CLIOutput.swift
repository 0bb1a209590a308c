import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// Printing and error handling shared by the commands.
enum CLIOutput {
    /// Writes a line to stderr.
    static func error(_ line: String) {
        var bytes = Array(("motectl: " + line + "\n").utf8)
        bytes.withUnsafeMutableBytes { raw in _ = write(STDERR_FILENO, raw.baseAddress, raw.count) }
    }

    /// A usage mistake found only while running (it depends on a file's content): one line
    /// naming the command's help, and exit 64 as for mistakes found in the arguments.
    static func usageError(_ message: String, command: String) -> ExitCode {
        error("\(message) (motectl \(command) --help)")
        return ExitCode.validationFailure
    }

    /// `POST path` that asks for a pass of a daemon loop (a sync drain, a fleet poll); with
    /// `wait`, `?wait=true`, asked again while the answer's `ended` member says false (moted
    /// answers a waiting call before its request timeout), for up to 10 minutes.
    static func triggerPass(_ client: MoteClient, _ path: String, wait: Bool, ended: String) throws -> JSONValue {
        var s = try call(client, "POST", path + (wait ? "?wait=true" : "")).json()
        let until = SystemClock.monotonicNanos() + 600_000_000_000
        while wait, s[ended]?.boolValue == false, SystemClock.monotonicNanos() < until {
            s = try call(client, "POST", path + "?wait=true").json()
        }
        return s
    }

    /// Sends a request; on failure prints one line and exits (2 unreachable, 1 API error).
    static func call(
        _ client: MoteClient, _ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json",
        bodySink: (([UInt8]) -> Void)? = nil
    ) throws -> ClientResponse {
        let response: ClientResponse
        do {
            response = try client.send(method, path, body: body, contentType: body.isEmpty ? nil : contentType, bodySink: bodySink)
        } catch {
            CLIOutput.error(error.description)
            throw ExitCode(ExitStatus.unreachable)
        }
        if response.status >= 400 { throw refused(response) }
        return response
    }

    /// Prints an error answer as one line; the exit code to end with (1).
    static func refused(_ response: ClientResponse) -> ExitCode {
        if let (message, code) = response.apiError {
            CLIOutput.error("\(message) [\(response.status) \(code)]")
        } else {
            CLIOutput.error("moted answered \(response.status): \(response.text)")
        }
        return ExitCode(ExitStatus.apiError)
    }

    /// Entity keys given as `key=value` (an integer value is sent as a number), or nil when
    /// one is not `key=value`.
    static func entityKeys(_ pairs: [String]) -> JSONObject? {
        var keys = JSONObject()
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            keys[parts[0]] = keyValue(parts[1])
        }
        return keys
    }

    /// An entity key value as typed: an integer, else text.
    static func keyValue(_ text: String) -> JSONValue {
        Int64(text).map { .integer($0) } ?? .string(text)
    }

    /// Pretty-prints JSON with two-space indents (for `-o json`).
    static func prettyJSON(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + prettyJSON($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let object):
            if object.count == 0 { return "{}" }
            return "{\n"
                + object.members.map { member in
                    var key: [UInt8] = []
                    JSONWriter.appendString(member.key, to: &key)
                    return inner + String(decoding: key, as: UTF8.self) + ": " + prettyJSON(member.value, indent: inner)
                }.joined(separator: ",\n") + "\n\(indent)}"
        default:
            var w = JSONWriter()
            w.value(value)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }

    /// Human-readable byte count (`12.5 MiB`).
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(n) B" : "\(Double(Int(value * 10)) / 10) \(units[unit])"
    }

    /// A progress bar of 30 cells: `[#########.....................]`.
    static func bar(_ done: Int64, of total: Int64) -> String {
        let width = 30
        let filled = Int(Double(width) * Double(done) / Double(max(total, 1)))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }

    /// Human-readable duration (`3d4h`, `12m5s`).
    static func duration(seconds: Double) -> String {
        DurationText.format(nanos: Int64(seconds.rounded()) * 1_000_000_000)
    }

    /// Opens a CSV file (- for stdin) and reads its header; prints the problem and exits 1 when it cannot.
    static func openCSV(_ path: String) throws -> (CSVReader, [String]) {
        guard var reader = CSVReader.open(path) else {
            error("cannot read \(path)")
            throw ExitCode(ExitStatus.apiError)
        }
        guard let header = reader.next() else {
            error("\(path) is empty")
            throw ExitCode(ExitStatus.apiError)
        }
        return (reader, header)
    }

    /// A value for a table cell.
    static func cell(_ value: JSONValue) -> String {
        switch value {
        case .null: return "-"
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return prettyJSON(value)
        }
    }

    /// Escapes a path segment.
    static func pathEscape(_ segment: String) -> String {
        var out = ""
        for b in segment.utf8 {
            let c = Character(Unicode.Scalar(b))
            if c.isLetter || c.isNumber || c == "-" || c == "_" || c == "." { out.append(c) } else {
                let hex = Array("0123456789ABCDEF")
                out += "%\(hex[Int(b >> 4)])\(hex[Int(b & 15)])"
            }
        }
        return out
    }

    /// Rewrites one progress line on stderr (nil ends it).
    static func progress(_ text: String?) {
        let line = text.map { "\r\u{1B}[K" + $0 } ?? "\r\u{1B}[K"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in _ = write(STDERR_FILENO, raw.baseAddress, raw.count) }
    }

    /// A number through a C printf format such as `%.4g` (no Foundation in motectl).
    static func format(_ value: Double, _ spec: String) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = withVaList([value]) { vsnprintf(buffer.baseAddress, 64, spec, $0) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(max(0, min(n, 63)))), as: UTF8.self)
        }
    }

    /// Renders rows as aligned columns.
    static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (k, cell) in row.enumerated() { widths[k] = max(widths[k], visibleWidth(cell)) } }
        return rows.map { row in
            row.enumerated().map { k, cell in
                k == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[k] - visibleWidth(cell))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Characters a terminal shows (ANSI escape sequences take no room).
    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for c in text {
            if inEscape {
                if c.isLetter { inEscape = false }
            } else if c == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }

    /// `text` in bold on a terminal, marked with a trailing `*` otherwise.
    static func bold(_ text: String) -> String {
        isatty(STDOUT_FILENO) != 0 ? "\u{1B}[1m\(text)\u{1B}[0m" : text + " *"
    }
}
