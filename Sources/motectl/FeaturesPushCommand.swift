import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

extension FeaturesCommand {
    /// `motectl features push VIEW --csv FILE`: streams a CSV into the feature store in batches.
    struct Push: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a CSV (header: join keys, event_timestamp, fields) in batches, with progress and a summary.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Feature view name.") var view: String
        @Option(name: .long, help: "The CSV file (- for stdin).") var csv: String
        @Option(name: .long, help: "Rows per push.") var batch: Int = 5000
        @Option(name: .long, help: "online, offline or online_and_offline.") var to: String = "online_and_offline"

        func run() throws {
            let client = global.client()
            let v = try CLIOutput.call(client, "GET", "/v1/feature-views/\(CLIOutput.pathEscape(view))").json()
            let joinKeys = Set((v["join_keys"]?.arrayValue ?? []).compactMap(\.stringValue))
            var types: [String: String] = [:]
            for f in v["fields"]?.arrayValue ?? [] {
                if let name = f["name"]?.stringValue, let type = f["type"]?.stringValue { types[name] = type }
            }
            var (reader, header) = try CLIOutput.openCSV(csv)
            for name in header where !joinKeys.contains(name) && types[name] == nil && name != "event_timestamp" && name != "created_timestamp" {
                CLIOutput.error("column '\(name)' is not a join key or field of '\(view)' (fields: \(types.keys.sorted().joined(separator: ", ")))")
                throw ExitCode(ExitStatus.apiError)
            }
            let started = SystemClock.monotonicNanos()
            // The next batch is read and encoded while the daemon stores the last one.
            let sender = PushSender(socketPath: client.socketPath)
            var pending: [[JSONValue]] = []
            var rejected: [(line: Int, reason: String)] = []
            var rejectedCount = 0
            let tty = isatty(STDERR_FILENO) == 1

            func flush() throws {
                guard !pending.isEmpty else { return }
                var w = JSONWriter(capacity: pending.count * header.count * 16)
                w.beginObject()
                w.key("feature_view"); w.string(view)
                w.key("to"); w.string(to)
                w.key("df")
                w.beginObject()
                for (k, name) in header.enumerated() {
                    w.key(name)
                    w.beginArray()
                    for row in pending { w.value(row[k]) }
                    w.endArray()
                }
                w.endObject()
                w.endObject()
                try sender.send(w.bytes, rows: pending.count)
                pending.removeAll(keepingCapacity: true)
                if tty {
                    let seconds = Double(SystemClock.monotonicNanos() - started) / 1e9
                    let pushed = sender.pushed
                    CLIOutput.progress("pushed \(pushed) rows, rejected \(rejectedCount), \(Int(Double(pushed) / max(seconds, 0.001))) rows/s")
                }
            }

            while let record = reader.next() {
                if record.count == 1, record[0].isEmpty { continue }
                guard record.count == header.count else {
                    rejectedCount += 1
                    if rejected.count < 20 { rejected.append((reader.line, "\(record.count) fields, the header has \(header.count)")) }
                    continue
                }
                var row: [JSONValue] = []
                var reason: String?
                for (k, text) in record.enumerated() {
                    let name = header[k]
                    if joinKeys.contains(name) {
                        if text.isEmpty { reason = "'\(name)' is empty"; break }
                        row.append(.string(text))
                        continue
                    }
                    if name == "event_timestamp" || name == "created_timestamp" {
                        if RFC3339.parse(text) != nil {
                            row.append(.string(text))
                        } else if let seconds = Double(text), seconds.isFinite {
                            row.append(.double(seconds))
                        } else {
                            reason = "'\(name)': '\(text)' is not an RFC 3339 time or epoch seconds"
                            break
                        }
                        continue
                    }
                    guard let value = CSVValue.parse(text, type: types[name] ?? "string") else {
                        reason = "'\(name)': '\(text)' is not \(types[name] ?? "?")"
                        break
                    }
                    row.append(value)
                }
                if let reason {
                    rejectedCount += 1
                    if rejected.count < 20 { rejected.append((reader.line, reason)) }
                    continue
                }
                pending.append(row)
                if pending.count >= batch { try flush() }
            }
            try flush()
            try sender.finish()
            let pushed = sender.pushed
            if tty { CLIOutput.progress(nil) }
            let seconds = Double(SystemClock.monotonicNanos() - started) / 1e9
            print("pushed \(pushed) rows to \(view) in \(Double(Int(seconds * 100)) / 100) s (\(Int(Double(pushed) / max(seconds, 0.001))) rows/s); rejected \(rejectedCount)")
            for r in rejected { print("  line \(r.line): \(r.reason)") }
            if rejectedCount > rejected.count { print("  ... and \(rejectedCount - rejected.count) more") }
            // The good rows are stored; a script must still see that some were not.
            if rejectedCount > 0 { throw ExitCode(ExitStatus.partial) }
        }
    }
}

/// Typed values from CSV text.
enum CSVValue {
    static func parse(_ text: String, type: String) -> JSONValue? {
        if text.isEmpty { return .null }
        switch type {
        case "float64":
            guard let d = Double(text), d.isFinite else { return nil }
            return .double(d)
        case "int64": return Int64(text).map { .integer($0) }
        case "bool":
            switch text.lowercased() {
            case "true", "1", "yes": return .bool(true)
            case "false", "0", "no": return .bool(false)
            default: return nil
            }
        default: return .string(text)
        }
    }
}
