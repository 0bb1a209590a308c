/// moted's configuration: what `/etc/mote/moted.toml` says, with defaults for every key.
/// `etc/mote/moted.toml` documents each key; `ConfigLoader` reads and validates it.
public struct MoteConfig: Sendable, Equatable {
    public var daemon = Daemon()
    public var socket = Socket()
    public var limits = Limits()
    public var access = Access()
    public var storage = Storage()
    public var features = Features()
    public var registry = Registry()
    public var training = Training()
    public var inference = Inference()
    public var monitoring = Monitoring()
    public var sync = Sync()

    public init() {}

    /// `[features]`: limits of the feature store's API.
    public struct Features: Sendable, Equatable {
        /// Rows one push may carry; more is 413 `too_many_rows`.
        public var maxPushRows = 100_000
        /// Entity rows one online read may ask for.
        public var maxReadEntities = 10_000
        /// Entity rows one historical (point-in-time) request may carry.
        public var maxHistoricalRows = 5_000_000
        /// How far in the future an event timestamp may be (clock skew between writers).
        public var futureSkewNanos: Int64 = 300_000_000_000
        /// How often retention runs.
        public var retentionIntervalNanos: Int64 = 60_000_000_000
        public init() {}
    }

    /// `[registry]`
    public struct Registry: Sendable, Equatable {
        /// Audit entries older than this are deleted (0: kept by age forever).
        public var auditMaxAgeNanos: Int64 = 400 * 86_400_000_000_000
        /// At most this many audit entries are kept (the oldest go first).
        public var auditMaxRows = 1_000_000
        public init() {}
    }

    /// `[inference]`
    public struct Inference: Sendable, Equatable {
        /// Rows one infer or predict request may carry (beyond: 413).
        public var maxBatchRows = 10_000
        /// Models whose default version (champion, else newest) is loaded at start; others load on first use.
        public var preload: [String] = []
        /// Share of predicted rows whose input values go into the prediction log (all rows log ids and outputs).
        public var logSampleRate = 1.0
        /// Rows waiting for the log writer beyond which new rows are dropped (and counted).
        public var logMaxPending = 100_000
        /// The prediction log is trimmed to this age and row count by the retention pass.
        public var logMaxAgeNanos: Int64 = 30 * 86_400_000_000_000
        public var logMaxRows = 5_000_000
        public init() {}
    }

    /// `[monitoring]`
    /// `[sync]`: the outbox drained to a central MLflow tracking server.
    public struct Sync: Sendable, Equatable {
        public var enabled = false
        /// The MLflow server's base URL (`http://host:5000`, `https://...`).
        public var url = ""
        /// This box's name in the central view; empty: the machine id.
        public var deviceID = ""
        /// How often the outbox is drained (also on `POST /v1/sync`).
        public var intervalNanos: Int64 = 300_000_000_000
        /// Outbox rows taken per batch.
        public var batch = 100
        /// Per request; a request that takes longer is retried later.
        public var timeoutNanos: Int64 = 30_000_000_000
        public var connectTimeoutNanos: Int64 = 10_000_000_000
        /// First and longest wait after a failure (exponential, with jitter).
        public var backoffInitialNanos: Int64 = 5_000_000_000
        public var backoffMaxNanos: Int64 = 1_800_000_000_000
        /// A bearer token or `user:password` for basic auth, read from a file or a systemd
        /// credential (`$CREDENTIALS_DIRECTORY/NAME`); never logged.
        public var tokenFile = ""
        public var basicAuthFile = ""
        public var credential = ""
        /// TLS: a CA bundle to trust, a client certificate and key (PEM files).
        public var caFile = ""
        public var clientCertificate = ""
        public var clientKey = ""
        /// Upload model artifacts with their versions (needs a server that serves artifacts).
        public var uploadArtifacts = false
        /// Registered model name on the server; `<device_id>` and `<model>` are replaced.
        public var modelNameTemplate = "<device_id>.<model>"
        /// A journal warning when the outbox holds more rows than this.
        public var warnDepth = 10_000
        /// The outbox keeps at most this many rows (0: no bound); older ones are dropped, logged.
        public var maxOutbox = 0
        public init() {}
    }

    /// `[monitoring]`: live profiles, drift tests, feedback metrics and alerts.
    public struct Monitoring: Sendable, Equatable {
        /// Drift tests. `auto` is Evidently's default choice by feature kind and reference size.
        public enum DriftMethod: String, Sendable, Equatable, CaseIterable {
            case auto, ks, wasserstein, chisquare, z, jensenshannon, psi
        }
        /// A method and threshold for a model or one of its features (nil: inherit).
        public struct DriftRule: Sendable, Equatable {
            public var method: DriftMethod?
            public var threshold: Double?
            public init(method: DriftMethod? = nil, threshold: Double? = nil) {
                self.method = method
                self.threshold = threshold
            }
        }
        /// Per-model overrides (`[monitoring.models.NAME]`).
        public struct ModelRules: Sendable, Equatable {
            public var rule = DriftRule()
            public var datasetShare: Double?
            /// By feature name as the model names its input (`view:field`).
            public var features: [String: DriftRule] = [:]
            public init() {}
        }

        /// Off: no live profiles, no checks (the prediction log still records).
        public var enabled = true
        /// Live rows a check looks at, newest first (older buckets are dropped).
        public var windowRows = 10_000
        /// Live rows older than this are out of the window.
        public var windowNanos: Int64 = 3_600_000_000_000
        /// Span of one live-profile bucket: a window is the merge of its buckets.
        public var bucketNanos: Int64 = 60_000_000_000
        /// Values per feature kept per bucket (a uniform sample) and at most used by a test.
        public var liveSample = 1000
        /// Below this many live rows a model is not judged.
        public var minRows = 100
        /// The dataset drifts when this share of its inputs drifts.
        public var datasetShare = 0.5
        /// How often the served models are checked.
        public var intervalNanos: Int64 = 60_000_000_000
        /// The default rule for every model and feature.
        public var rule = DriftRule()
        public var models: [String: ModelRules] = [:]
        /// Feedback rows a live metric needs before it is judged.
        public var minFeedback = 30
        /// A live metric worse than the holdout's by more than this share of it is a degradation.
        public var maxMetricDrop = 0.1
        /// At least this long between two drift-triggered training jobs of a spec.
        public var retrainMinIntervalNanos: Int64 = 21_600_000_000_000
        /// A monitoring summary per served model goes to the outbox this often (0: never).
        public var summaryIntervalNanos: Int64 = 3_600_000_000_000
        public init() {}
    }

    /// `[training]`
    public struct Training: Sendable, Equatable {
        /// Jobs waiting beyond the running one; more are refused with 429.
        public var maxQueued = 16
        /// Threads one job may use (the GBDT `threads` parameter is capped to it).
        public var threads = 1
        /// Niceness of training threads (0-19): serving keeps the CPU when both want it.
        public var nice = 10
        /// A job whose training set would need more memory than this is refused before loading.
        public var memoryBudgetMiB = 512
        /// How often schedules (`every`, `min_new_labels`) are checked.
        public var scheduleIntervalNanos: Int64 = 30_000_000_000
        /// Labelled rows below which a job fails instead of training on too little.
        public var minRows = 20
        public init() {}
    }

    /// `[daemon]`
    public struct Daemon: Sendable, Equatable {
        /// Where databases and artifacts live (`StateDirectory=mote`).
        public var stateDir = "/var/lib/mote"
        /// Minimum level logged: trace, debug, info, notice, warning, error, critical.
        public var logLevel = LogLevelName.info
        /// Event loop threads; 0 means one per CPU core.
        public var eventLoopThreads = 0
        /// Threads for blocking work (database, files).
        public var blockingThreads = 2
        /// How long in-flight requests may take to finish after SIGTERM.
        public var shutdownTimeoutNanos: Int64 = 10_000_000_000
        public init() {}
    }

    /// `[socket]`
    public struct Socket: Sendable, Equatable {
        /// Path of the API socket when moted binds it itself.
        public var path = "/run/mote/mote.sock"
        /// File mode of the socket moted binds (octal).
        public var mode: UInt32 = 0o660
        /// Group owning the socket file moted binds; empty keeps moted's group.
        public var group = ""
        public init() {}
    }

    /// `[limits]`: what one request or client may use.
    public struct Limits: Sendable, Equatable {
        /// Largest request body accepted; larger answers 413.
        public var maxBodyBytes = 8 * 1024 * 1024
        /// Largest request head (request line and headers) accepted; larger answers 431.
        public var maxHeaderBytes = 16 * 1024
        /// Open connections at once; more are answered 503 and closed.
        public var maxConnections = 256
        /// A connection with no traffic for this long is closed.
        public var idleTimeoutNanos: Int64 = 60_000_000_000
        /// A request not answered within this long gets 503 `request_timeout`.
        public var requestTimeoutNanos: Int64 = 30_000_000_000
        public init() {}
    }

    /// `[access]`: who may do what, by the peer's uid and groups (`SO_PEERCRED`).
    public struct Access: Sendable, Equatable {
        /// Role of a peer that matches no rule. Root is always admin.
        public var defaultRole = Role.none
        public var admin = Grant()
        public var write = Grant()
        public var read = Grant()
        public init() {}

        /// The uids and group names a role is granted to.
        public struct Grant: Sendable, Equatable {
            public var uids: [UInt32] = []
            public var groups: [String] = []
            public init(uids: [UInt32] = [], groups: [String] = []) {
                self.uids = uids
                self.groups = groups
            }
        }
    }

    /// `[storage]`
    public struct Storage: Sendable, Equatable {
        /// SQLite `synchronous`: `normal` (default; WAL keeps the database consistent, a power
        /// loss may drop the last transactions) or `full` (every commit survives power loss).
        public var synchronous = Synchronous.normal
        /// How long a writer waits for a lock before failing.
        public var busyTimeoutNanos: Int64 = 5_000_000_000
        /// Read connections per database.
        public var readers = 4
        /// SQLite page cache of the writer connection, MiB (history inserts land all over the
        /// B-tree: a small cache re-reads pages from the OS for each row).
        public var cacheMiB = 32
        /// Bytes of each database file SQLite maps into memory (reads without a copy), MiB; 0 off.
        public var mmapMiB = 0
        public init() {}
    }

    /// SQLite durability level.
    public enum Synchronous: String, Sendable, Equatable, CaseIterable {
        case normal, full
    }

    /// swift-log level names as written in config.
    public enum LogLevelName: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }
}

/// What a caller may do. Each role includes the ones below it.
public enum Role: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Health checks only.
    case none = 0
    /// Predict, read features and metadata.
    case read = 1
    /// Push features, send feedback.
    case write = 2
    /// Definitions, registry changes, training, sync.
    case admin = 3

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: return "none"
        case .read: return "read"
        case .write: return "write"
        case .admin: return "admin"
        }
    }

    /// Parses a role name as written in config.
    public init?(name: String) {
        guard let role = Role.allCases.first(where: { $0.description == name }) else { return nil }
        self = role
    }
}
