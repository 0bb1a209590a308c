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
            let kinds: [CSVPushColumns.Kind] = header.map { name in
                if joinKeys.contains(name) { return .key }
                if name == "event_timestamp" || name == "created_timestamp" { return .time }
                switch types[name] {
                case "float64": return .float64
                case "int64": return .int64
                case "bool": return .bool
                default: return .string
                }
            }
            var columns = CSVPushColumns(names: header, kinds: kinds)
            var record = CSVRecord()
            var rejected: [(line: Int, reason: String)] = []
            var rejectedCount = 0
            let tty = isatty(STDERR_FILENO) == 1

            func flush() throws {
                guard columns.rows > 0 else { return }
                let rows = columns.rows
                try sender.send(columns.body(view: view, to: to), rows: rows)
                if tty {
                    let seconds = Double(SystemClock.monotonicNanos() - started) / 1e9
                    let pushed = sender.pushed
                    CLIOutput.progress("pushed \(pushed) rows, rejected \(rejectedCount), \(Int(Double(pushed) / max(seconds, 0.001))) rows/s")
                }
            }

            while reader.next(into: &record) {
                if record.count == 1, record.withField(0, { $0.isEmpty }) { continue }
                if let reason = columns.add(record) {
                    rejectedCount += 1
                    if rejected.count < 20 { rejected.append((reader.line, reason)) }
                    continue
                }
                if columns.rows >= batch { try flush() }
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
