/// Reads `moted.toml` into a `MoteConfig`, refusing unknown keys and wrong types with the key
/// and line, so that `moted --check-config` can point at the mistake.
public enum ConfigLoader {
    /// A config error naming the key and its line.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The dotted key, e.g. `limits.max_body_bytes` (empty for syntax errors).
        public var key: String
        /// 1-based line in the file.
        public var line: Int
        public var message: String
        public var description: String {
            key.isEmpty ? "line \(line): \(message)" : "line \(line): \(key): \(message)"
        }

        public init(key: String, line: Int, message: String) {
            self.key = key
            self.line = line
            self.message = message
        }
    }

    /// Parses config text; `defaults` supplies every key the text leaves out.
    public static func load(_ text: String, defaults: MoteConfig = MoteConfig()) throws(Failure) -> MoteConfig {
        let root: TOMLTable
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw Failure(key: "", line: error.line, message: error.message)
        }
        var config = defaults
        let reader = TableReader(table: root, path: "")
        try reader.onlyKeys(["daemon", "socket", "limits", "access", "storage", "features", "registry", "training", "inference", "monitoring", "sync"])

        if let t = try reader.table("daemon") {
            try t.onlyKeys(["state_dir", "log_level", "event_loop_threads", "blocking_threads", "shutdown_timeout"])
            if let v = try t.string("state_dir", nonEmpty: true) { config.daemon.stateDir = v }
            if let v = try t.enumeration("log_level", MoteConfig.LogLevelName.self) { config.daemon.logLevel = v }
            if let v = try t.int("event_loop_threads", 0...64) { config.daemon.eventLoopThreads = v }
            if let v = try t.int("blocking_threads", 1...64) { config.daemon.blockingThreads = v }
            if let v = try t.duration("shutdown_timeout") { config.daemon.shutdownTimeoutNanos = v }
        }
        if let t = try reader.table("socket") {
            try t.onlyKeys(["path", "mode", "group"])
            if let v = try t.string("path", nonEmpty: true) {
                guard v.utf8.count < 108 else { throw t.failure("path", "a Unix socket path must be shorter than 108 bytes") }
                config.socket.path = v
            }
            if let v = try t.string("mode", nonEmpty: true) {
                guard let mode = UInt32(v, radix: 8), mode <= 0o777 else {
                    throw t.failure("mode", "expected an octal file mode like \"0660\"")
                }
                config.socket.mode = mode
            }
            if let v = try t.string("group", nonEmpty: false) { config.socket.group = v }
        }
        if let t = try reader.table("limits") {
            try t.onlyKeys(["max_body_bytes", "max_header_bytes", "max_connections", "idle_timeout", "request_timeout"])
            if let v = try t.int("max_body_bytes", 1024...(1 << 34)) { config.limits.maxBodyBytes = v }
            if let v = try t.int("max_header_bytes", 1024...(80 * 1024)) { config.limits.maxHeaderBytes = v }
            if let v = try t.int("max_connections", 1...65536) { config.limits.maxConnections = v }
            if let v = try t.duration("idle_timeout", positive: true) { config.limits.idleTimeoutNanos = v }
            if let v = try t.duration("request_timeout", positive: true) { config.limits.requestTimeoutNanos = v }
        }
        if let t = try reader.table("access") {
            try t.onlyKeys(["default_role", "admin", "write", "read"])
            if let v = try t.string("default_role", nonEmpty: true) {
                guard let role = Role(name: v) else {
                    throw t.failure("default_role", "expected one of none, read, write, admin")
                }
                config.access.defaultRole = role
            }
            for (name, keyPath) in [("admin", \MoteConfig.Access.admin), ("write", \.write), ("read", \.read)] {
                guard let g = try t.table(name) else { continue }
                try g.onlyKeys(["uids", "groups"])
                var grant = MoteConfig.Access.Grant()
                if let uids = try g.intArray("uids", 0...Int(UInt32.max)) { grant.uids = uids.map { UInt32($0) } }
                if let groups = try g.stringArray("groups") { grant.groups = groups }
                config.access[keyPath: keyPath] = grant
            }
        }
        if let t = try reader.table("storage") {
            try t.onlyKeys(["synchronous", "busy_timeout", "readers", "cache_mib", "mmap_mib"])
            if let v = try t.enumeration("synchronous", MoteConfig.Synchronous.self) { config.storage.synchronous = v }
            if let v = try t.duration("busy_timeout") { config.storage.busyTimeoutNanos = v }
            if let v = try t.int("readers", 1...64) { config.storage.readers = v }
            if let v = try t.int("cache_mib", 1...65536) { config.storage.cacheMiB = v }
            if let v = try t.int("mmap_mib", 0...1_048_576) { config.storage.mmapMiB = v }
        }
        if let t = try reader.table("features") {
            try t.onlyKeys(["max_push_rows", "max_read_entities", "max_historical_rows", "future_skew", "retention_interval"])
            if let v = try t.int("max_push_rows", 1...10_000_000) { config.features.maxPushRows = v }
            if let v = try t.int("max_read_entities", 1...1_000_000) { config.features.maxReadEntities = v }
            if let v = try t.int("max_historical_rows", 1...100_000_000) { config.features.maxHistoricalRows = v }
            if let v = try t.duration("future_skew") { config.features.futureSkewNanos = v }
            if let v = try t.duration("retention_interval", positive: true) { config.features.retentionIntervalNanos = v }
        }
        if let t = try reader.table("registry") {
            try t.onlyKeys(["audit_max_age", "audit_max_rows"])
            if let v = try t.duration("audit_max_age") { config.registry.auditMaxAgeNanos = v }
            if let v = try t.int("audit_max_rows", 1000...1_000_000_000) { config.registry.auditMaxRows = v }
        }
        if let t = try reader.table("inference") {
            try t.onlyKeys(["max_batch_rows", "preload", "log_sample_rate", "log_max_pending", "log_max_age", "log_max_rows"])
            if let v = try t.int("max_batch_rows", 1...1_000_000) { config.inference.maxBatchRows = v }
            if let v = try t.stringArray("preload") { config.inference.preload = v }
            switch t.table["log_sample_rate"] {
            case nil: break
            case .float(let d)? where d >= 0 && d <= 1: config.inference.logSampleRate = d
            case .integer(let i)? where i == 0 || i == 1: config.inference.logSampleRate = Double(i)
            default: throw t.failure("log_sample_rate", "expected a share of rows from 0 to 1, such as 0.1")
            }
            if let v = try t.int("log_max_pending", 100...100_000_000) { config.inference.logMaxPending = v }
            if let v = try t.duration("log_max_age") { config.inference.logMaxAgeNanos = v }
            if let v = try t.int("log_max_rows", 1000...1_000_000_000) { config.inference.logMaxRows = v }
        }
        if let t = try reader.table("monitoring") {
            try t.onlyKeys([
                "enabled", "window", "window_rows", "bucket", "live_sample", "min_rows", "drift_share", "interval", "method", "threshold",
                "models", "min_feedback", "max_metric_drop", "retrain_min_interval", "summary_interval",
            ])
            if let v = t.table["enabled"] {
                guard case .bool(let b) = v else { throw t.failure("enabled", "expected true or false") }
                config.monitoring.enabled = b
            }
            if let v = try t.int("window_rows", 10...10_000_000) { config.monitoring.windowRows = v }
            if let v = try t.duration("window", positive: true) { config.monitoring.windowNanos = v }
            if let v = try t.duration("bucket", positive: true) { config.monitoring.bucketNanos = v }
            guard config.monitoring.bucketNanos <= config.monitoring.windowNanos else {
                throw t.failure("bucket", "a bucket cannot be longer than the window")
            }
            guard config.monitoring.windowNanos / config.monitoring.bucketNanos <= 10_000 else {
                throw t.failure("bucket", "at most 10000 buckets per window; choose a longer bucket")
            }
            if let v = try t.int("live_sample", 50...1_000_000) { config.monitoring.liveSample = v }
            if let v = try t.int("min_rows", 1...1_000_000) { config.monitoring.minRows = v }
            if let v = try Self.share(t, "drift_share") { config.monitoring.datasetShare = v }
            if let v = try t.duration("interval", positive: true) { config.monitoring.intervalNanos = v }
            config.monitoring.rule = try Self.driftRule(t)
            if let models = try t.table("models") {
                for entry in models.table.entries {
                    guard let m = try models.table(entry.key) else { continue }
                    try m.onlyKeys(["method", "threshold", "drift_share", "features"])
                    var rules = MoteConfig.Monitoring.ModelRules()
                    rules.rule = try Self.driftRule(m)
                    rules.datasetShare = try Self.share(m, "drift_share")
                    if let features = try m.table("features") {
                        for f in features.table.entries {
                            guard let ft = try features.table(f.key) else { continue }
                            try ft.onlyKeys(["method", "threshold"])
                            rules.features[f.key] = try Self.driftRule(ft)
                        }
                    }
                    config.monitoring.models[entry.key] = rules
                }
            }
            if let v = try t.int("min_feedback", 1...10_000_000) { config.monitoring.minFeedback = v }
            if let v = try Self.share(t, "max_metric_drop") { config.monitoring.maxMetricDrop = v }
            if let v = try t.duration("retrain_min_interval") { config.monitoring.retrainMinIntervalNanos = v }
            if let v = try t.duration("summary_interval") { config.monitoring.summaryIntervalNanos = v }
        }
        if let t = try reader.table("sync") {
            try t.onlyKeys([
                "enabled", "url", "device_id", "interval", "batch", "timeout", "connect_timeout", "backoff_initial", "backoff_max", "token_file",
                "basic_auth_file", "credential", "ca_file", "client_certificate", "client_key", "upload_artifacts", "model_name_template",
                "warn_depth", "max_outbox",
            ])
            if let v = t.table["enabled"] {
                guard case .bool(let b) = v else { throw t.failure("enabled", "expected true or false") }
                config.sync.enabled = b
            }
            if let v = try t.string("url", nonEmpty: true) {
                guard v.hasPrefix("http://") || v.hasPrefix("https://") else { throw t.failure("url", "expected an http:// or https:// URL") }
                config.sync.url = v.hasSuffix("/") ? String(v.dropLast()) : v
            }
            if let v = try t.string("device_id", nonEmpty: true) {
                guard v.utf8.count <= 128, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw t.failure("device_id", "letters, digits, '-', '_' and '.', at most 128")
                }
                config.sync.deviceID = v
            }
            if let v = try t.duration("interval", positive: true) { config.sync.intervalNanos = v }
            if let v = try t.int("batch", 1...10_000) { config.sync.batch = v }
            if let v = try t.duration("timeout", positive: true) { config.sync.timeoutNanos = v }
            if let v = try t.duration("connect_timeout", positive: true) { config.sync.connectTimeoutNanos = v }
            if let v = try t.duration("backoff_initial", positive: true) { config.sync.backoffInitialNanos = v }
            if let v = try t.duration("backoff_max", positive: true) { config.sync.backoffMaxNanos = v }
            if let v = try t.string("token_file", nonEmpty: true) { config.sync.tokenFile = v }
            if let v = try t.string("basic_auth_file", nonEmpty: true) { config.sync.basicAuthFile = v }
            if let v = try t.string("credential", nonEmpty: true) { config.sync.credential = v }
            if let v = try t.string("ca_file", nonEmpty: true) { config.sync.caFile = v }
            if let v = try t.string("client_certificate", nonEmpty: true) { config.sync.clientCertificate = v }
            if let v = try t.string("client_key", nonEmpty: true) { config.sync.clientKey = v }
            if let v = t.table["upload_artifacts"] {
                guard case .bool(let b) = v else { throw t.failure("upload_artifacts", "expected true or false") }
                config.sync.uploadArtifacts = b
            }
            if let v = try t.string("model_name_template", nonEmpty: true) {
                guard v.contains("<model>") else { throw t.failure("model_name_template", "must contain <model>") }
                config.sync.modelNameTemplate = v
            }
            if let v = try t.int("warn_depth", 1...1_000_000_000) { config.sync.warnDepth = v }
            if let v = try t.int("max_outbox", 0...1_000_000_000) { config.sync.maxOutbox = v }
            if [config.sync.tokenFile, config.sync.basicAuthFile, config.sync.credential].filter({ !$0.isEmpty }).count > 1 {
                throw t.failure("token_file", "give one of token_file, basic_auth_file, credential")
            }
            if config.sync.clientCertificate.isEmpty != config.sync.clientKey.isEmpty {
                throw t.failure("client_certificate", "client_certificate and client_key go together")
            }
            if config.sync.enabled, config.sync.url.isEmpty { throw t.failure("url", "sync is enabled but has no url") }
        }
        if let t = try reader.table("training") {
            try t.onlyKeys(["max_queued", "threads", "nice", "memory_budget_mib", "schedule_interval", "min_rows"])
            if let v = try t.int("max_queued", 0...10_000) { config.training.maxQueued = v }
            if let v = try t.int("threads", 1...256) { config.training.threads = v }
            if let v = try t.int("nice", 0...19) { config.training.nice = v }
            if let v = try t.int("memory_budget_mib", 16...1_048_576) { config.training.memoryBudgetMiB = v }
            if let v = try t.duration("schedule_interval", positive: true) { config.training.scheduleIntervalNanos = v }
            if let v = try t.int("min_rows", 2...1_000_000_000) { config.training.minRows = v }
        }
        return config
    }

    /// A share above 0 and at most 1, or nil when absent.
    static func share(_ t: TableReader, _ key: String) throws(Failure) -> Double? {
        switch t.table[key] {
        case nil: return nil
        case .float(let d)? where d > 0 && d <= 1: return d
        case .integer(1)?: return 1
        default: throw t.failure(key, "expected a share above 0 and at most 1, such as 0.5")
        }
    }

    /// `method` and `threshold` of a monitoring table (a p-value for ks, chisquare and z; a
    /// distance or index for wasserstein, jensenshannon and psi).
    static func driftRule(_ t: TableReader) throws(Failure) -> MoteConfig.Monitoring.DriftRule {
        var rule = MoteConfig.Monitoring.DriftRule()
        rule.method = try t.enumeration("method", MoteConfig.Monitoring.DriftMethod.self)
        switch t.table["threshold"] {
        case nil: break
        case .float(let d)? where d > 0 && d.isFinite: rule.threshold = d
        case .integer(let i)? where i > 0: rule.threshold = Double(i)
        default: throw t.failure("threshold", "expected a number above 0 (a p-value such as 0.05, or a distance such as 0.1)")
        }
        if rule.threshold != nil, rule.method == nil || rule.method == .auto {
            throw t.failure("threshold", "a threshold needs a method (a p-value for ks, chisquare and z; a distance for the others)")
        }
        return rule
    }
}

/// Typed, line-aware access to one table of a TOML document. Shared by the config loader
/// and the definitions loader.
public struct TableReader {
    public let table: TOMLTable
    /// Dotted path of this table, for messages (`""` for the root).
    public let path: String

    public init(table: TOMLTable, path: String) {
        self.table = table
        self.path = path
    }

    public func dotted(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A failure at `key` (or at the table itself when the key is absent).
    public func failure(_ key: String, _ message: String) -> ConfigLoader.Failure {
        ConfigLoader.Failure(key: dotted(key), line: table.line(of: key) ?? table.line, message: message)
    }

    /// Refuses keys not in `allowed`, naming the first unknown one (typos must not pass silently).
    public func onlyKeys(_ allowed: Set<String>) throws(ConfigLoader.Failure) {
        for entry in table.entries where !allowed.contains(entry.key) {
            throw ConfigLoader.Failure(
                key: dotted(entry.key), line: entry.line,
                message: "unknown key (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// A sub-table, or nil when absent.
    public func table(_ key: String) throws(ConfigLoader.Failure) -> TableReader? {
        guard let value = table[key] else { return nil }
        guard case .table(let t) = value else { throw failure(key, "expected a table, found \(value.typeName)") }
        return TableReader(table: t, path: dotted(key))
    }

    /// An array of tables (`[[entity]]`), or nil when absent.
    public func tableArray(_ key: String) throws(ConfigLoader.Failure) -> [TableReader]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of tables") }
        var readers: [TableReader] = []
        for (k, item) in items.enumerated() {
            guard case .table(let t) = item else { throw failure(key, "expected an array of tables") }
            readers.append(TableReader(table: t, path: "\(dotted(key))[\(k)]"))
        }
        return readers
    }

    public func string(_ key: String, nonEmpty: Bool) throws(ConfigLoader.Failure) -> String? {
        guard let value = table[key] else { return nil }
        guard case .string(let s) = value else { throw failure(key, "expected a string, found \(value.typeName)") }
        if nonEmpty, s.isEmpty { throw failure(key, "must not be empty") }
        return s
    }

    public func int(_ key: String, _ range: ClosedRange<Int>) throws(ConfigLoader.Failure) -> Int? {
        guard let value = table[key] else { return nil }
        guard case .integer(let i) = value else { throw failure(key, "expected an integer, found \(value.typeName)") }
        guard let v = Int(exactly: i), range.contains(v) else {
            throw failure(key, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }

    /// A duration string such as `"90s"`; `positive` refuses `"0s"`.
    public func duration(_ key: String, positive: Bool = false) throws(ConfigLoader.Failure) -> Int64? {
        guard let text = try string(key, nonEmpty: true) else { return nil }
        guard let nanos = DurationText.parseNanos(text) else {
            throw failure(key, "expected a duration like \"500ms\", \"90s\", \"15m\", \"2h\" or \"30d\"")
        }
        if positive, nanos == 0 { throw failure(key, "must be longer than zero") }
        return nanos
    }

    public func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) throws(ConfigLoader.Failure) -> E?
    where E.RawValue == String {
        guard let text = try string(key, nonEmpty: true) else { return nil }
        guard let value = E(rawValue: text) else {
            throw failure(key, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    public func intArray(_ key: String, _ range: ClosedRange<Int>) throws(ConfigLoader.Failure) -> [Int]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of integers") }
        var out: [Int] = []
        for item in items {
            guard case .integer(let i) = item, let v = Int(exactly: i), range.contains(v) else {
                throw failure(key, "expected integers between \(range.lowerBound) and \(range.upperBound)")
            }
            out.append(v)
        }
        return out
    }

    public func stringArray(_ key: String) throws(ConfigLoader.Failure) -> [String]? {
        guard let value = table[key] else { return nil }
        guard case .array(let items) = value else { throw failure(key, "expected an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw failure(key, "expected an array of strings") }
            out.append(s)
        }
        return out
    }
}
