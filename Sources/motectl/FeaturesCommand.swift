import ArgumentParser
import MoteClient
import MoteCore

#if canImport(Glibc)
import Glibc
#endif

/// `motectl features ...`: the feature store.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Inspect, read and load features.",
        subcommands: [List.self, Describe.self, Get.self, Push.self, History.self, FeaturesQuality.self, FeaturesStale.self])

    /// `motectl features list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List feature views with row counts and freshness.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let result = try CLIOutput.call(global.client(), "GET", "/v1/feature-views").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            var rows = [["VIEW", "ENTITIES", "FIELDS", "TTL", "ONLINE", "HISTORY", "FRESHNESS"]]
            for v in result["feature_views"]?.arrayValue ?? [] {
                rows.append([
                    v["name"]?.stringValue ?? "", (v["entities"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","),
                    String(v["fields"]?.arrayValue?.count ?? 0), v["ttl"]?.stringValue ?? "",
                    String(v["online_entities"]?.int64Value ?? 0), String(v["history_rows"]?.int64Value ?? 0),
                    v["freshness_seconds"]?.doubleValue.map { CLIOutput.duration(seconds: $0) + " ago" } ?? "-",
                ])
            }
            print(CLIOutput.table(rows))
        }
    }

    /// `motectl features describe VIEW`
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fields, TTL, retention, row counts and freshness of a view.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Feature view name.") var view: String

        func run() throws {
            let v = try CLIOutput.call(global.client(), "GET", "/v1/feature-views/\(CLIOutput.pathEscape(view))").json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(v))
                return
            }
            var rows: [[String]] = [
                ["view", v["name"]?.stringValue ?? ""],
                ["entities", (v["entities"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                    + " (keys: " + (v["join_keys"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ") + ")"],
                ["ttl", v["ttl"]?.stringValue ?? ""],
                ["retention", "max_age \(v["retention"]?["max_age"]?.stringValue ?? "none"), max_rows \(v["retention"]?["max_rows"]?.int64Value.map(String.init) ?? "none")"],
                ["online", "\(v["online_entities"]?.int64Value ?? 0) entities"],
                ["history", "\(v["history_rows"]?.int64Value ?? 0) rows"],
                ["newest event", (v["newest_event"]?.stringValue).map { "\($0) (\(CLIOutput.duration(seconds: v["freshness_seconds"]?.doubleValue ?? 0)) ago)" } ?? "-"],
            ]
            for f in v["fields"]?.arrayValue ?? [] {
                let d = f["description"]?.stringValue ?? ""
                rows.append(["field", "\(f["name"]?.stringValue ?? "") \(f["type"]?.stringValue ?? "")\(d.isEmpty ? "" : "  \(d)")"])
            }
            print(CLIOutput.table(rows))
        }
    }

    /// `motectl features get VIEW KEY...`
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read the online values of entities (all fields of a view).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Feature view name.") var view: String
        @Argument(help: "Entity keys (for several join keys: a,b).") var keys: [String]

        func run() throws {
            let client = global.client()
            let v = try CLIOutput.call(client, "GET", "/v1/feature-views/\(CLIOutput.pathEscape(view))").json()
            let joinKeys = (v["join_keys"]?.arrayValue ?? []).compactMap(\.stringValue)
            let fields = (v["fields"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            var w = JSONWriter()
            w.beginObject()
            w.key("features"); w.beginArray(); for f in fields { w.string("\(view):\(f)") }; w.endArray()
            w.key("entities")
            w.beginObject()
            for (k, key) in joinKeys.enumerated() {
                w.key(key)
                w.beginArray()
                for entity in keys {
                    let parts = entity.split(separator: ",", omittingEmptySubsequences: false)
                    w.string(k < parts.count ? String(parts[k]) : "")
                }
                w.endArray()
            }
            w.endObject()
            w.endObject()
            let result = try CLIOutput.call(client, "POST", "/v1/get-online-features", body: w.bytes).json()
            if global.output == .json {
                print(CLIOutput.prettyJSON(result))
                return
            }
            let names = (result["metadata"]?["feature_names"]?.arrayValue ?? []).compactMap(\.stringValue)
            let columns = result["results"]?.arrayValue ?? []
            var rows = [names.enumerated().map { k, n in k < joinKeys.count ? n.uppercased() : n }]
            for row in 0..<keys.count {
                rows.append(columns.enumerated().map { k, column in
                    let value = column["values"]?.arrayValue?[row] ?? .null
                    let status = column["statuses"]?.arrayValue?[row].stringValue ?? ""
                    if k < joinKeys.count { return CLIOutput.cell(value) }
                    return status == "PRESENT" ? CLIOutput.cell(value) : status.lowercased()
                })
            }
            print(CLIOutput.table(rows))
        }
    }

    /// `motectl features history --entities FILE --features a:b,c:d`
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point-in-time join: features as of each entity row's event_timestamp (CSV to stdout).")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "CSV with the join key columns and event_timestamp (- for stdin).") var entities: String
        @Option(name: .long, help: "Comma-separated view:field list.") var features: String
        @Option(name: .long, help: "csv or jsonl.") var format: String = "csv"
        @Flag(name: .long, help: "Name columns view__field.") var fullFeatureNames = false

        func run() throws {
            var (reader, header) = try CLIOutput.openCSV(entities)
            var columns = [[String]](repeating: [], count: header.count)
            while let record = reader.next() {
                if record.count == 1, record[0].isEmpty { continue }
                guard record.count == header.count else {
                    CLIOutput.error("\(entities) line \(reader.line): \(record.count) fields, the header has \(header.count)")
                    throw ExitCode(ExitStatus.apiError)
                }
                for (k, v) in record.enumerated() { columns[k].append(v) }
            }
            var w = JSONWriter(capacity: 1 << 16)
            w.beginObject()
            w.key("entity_df")
            w.beginObject()
            for (k, name) in header.enumerated() {
                w.key(name)
                w.beginArray()
                for v in columns[k] { w.string(v) }
                w.endArray()
            }
            w.endObject()
            w.key("features"); w.beginArray(); for f in features.split(separator: ",") { w.string(String(f)) }; w.endArray()
            w.key("format"); w.string(format)
            w.key("full_feature_names"); w.bool(fullFeatureNames)
            w.endObject()
            let client = global.client()
            client.timeoutSeconds = 3600
            // The table goes to stdout as it arrives (the daemon streams it).
            let response = try CLIOutput.call(client, "POST", "/v1/historical-features", body: w.bytes) { piece in
                _ = FileSystem.writeAll(fd: STDOUT_FILENO, piece)
            }
            if let hash = response.header("x-mote-dataset-hash") {
                CLIOutput.error("\(response.header("x-mote-rows") ?? "?") rows; definitions version \(response.header("x-mote-definitions-version") ?? "?"); dataset sha256 \(hash)")
            }
        }
    }
}
