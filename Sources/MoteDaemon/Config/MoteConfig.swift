public import MoteCore
public import MoteFeatures
public import MoteFleet
public import MoteInference
public import MoteMonitoring
public import MoteRegistry
public import MoteRollout
public import MoteScoring
public import MoteServer
public import MoteStorage
public import MoteSync
public import MoteTraining

/// moted's configuration: what `/etc/mote/moted.toml` says, with defaults for every key.
/// Each section is owned, parsed and documented by its module; `etc/mote/moted.toml`
/// lists every key.
public struct MoteConfig: Sendable, Equatable {
    public var daemon = DaemonSettings()
    public var socket = SocketSettings()
    public var limits = LimitSettings()
    public var access = AccessSettings()
    public var storage = StorageSettings()
    public var features = FeatureSettings()
    public var registry = RegistrySettings()
    public var training = TrainingSettings()
    public var scoring = ScoringSettings()
    public var inference = InferenceSettings()
    public var monitoring = MonitoringSettings()
    public var sync = SyncSettings()
    public var fleet = FleetSettings()
    public var rollout = RolloutSettings()

    public init() {}

    /// Parses config text; every key the text leaves out keeps its default.
    public static func load(_ text: String) throws(ConfigFailure) -> MoteConfig {
        let root = TableReader(table: try TOMLTable.parse(settings: text), path: "")
        var config = MoteConfig()
        for section in sections { try section.read(&config, root) }
        if config.fleet.enabled, config.sync.url.isEmpty {
            let message = "the fleet pulls from the MLflow server that sync.url names; set sync.url"
            throw try root.table("fleet")?.failure("enabled", message) ?? ConfigFailure(key: "fleet.enabled", line: 0, message: message)
        }
        try root.finish()
        return config
    }

    /// Every section, in the order the file documents them.
    static var sections: [Section] {
        [
            Section(\.daemon), Section(\.socket), Section(\.limits), Section(\.access), Section(\.storage), Section(\.features),
            Section(\.registry), Section(\.training), Section(\.scoring), Section(\.inference), Section(\.monitoring), Section(\.sync), Section(\.fleet),
            Section(\.rollout),
        ]
    }

    /// The keys a reload cannot change in a running daemon: what they hold was used to build
    /// something that lives until a restart (threads, files, the socket, loaded models).
    /// Everything else is applied live.
    static var restartOnly: [RestartKey] {
        [
            RestartKey("daemon.state_dir", \.daemon.stateDir),
            RestartKey("daemon.event_loop_threads", \.daemon.eventLoopThreads),
            RestartKey("daemon.blocking_threads", \.daemon.blockingThreads),
            RestartKey("socket", \.socket),
            RestartKey("storage", \.storage),
            RestartKey("inference.preload", \.inference.preload),
            RestartKey("sync.device_id", \.sync.deviceID),
        ]
    }

    /// One `[section]`: its name and how it is read (from the document's root) and compared.
    struct Section {
        let name: String
        let read: (inout MoteConfig, TableReader) throws(ConfigFailure) -> Void
        let differs: (MoteConfig, MoteConfig) -> Bool

        init<S: SettingsSection>(_ path: WritableKeyPath<MoteConfig, S>) {
            name = S.section
            read = { (config: inout MoteConfig, root: TableReader) throws(ConfigFailure) in try config[keyPath: path].read(in: root) }
            differs = { $0[keyPath: path] != $1[keyPath: path] }
        }
    }

    /// A setting that needs a restart: a reload keeps its running value.
    struct RestartKey {
        let name: String
        let differs: (MoteConfig, MoteConfig) -> Bool
        let keep: (inout MoteConfig, MoteConfig) -> Void

        init<V: Equatable>(_ name: String, _ path: WritableKeyPath<MoteConfig, V>) {
            self.name = name
            differs = { $0[keyPath: path] != $1[keyPath: path] }
            keep = { $0[keyPath: path] = $1[keyPath: path] }
        }
    }
}

/// What a reload does with a new config: the config to run with (the new one, with the
/// restart-only keys kept at their running values) and what changed, for the log.
struct ConfigChange: Equatable {
    /// The config the daemon runs with after the reload.
    var applied: MoteConfig
    /// Sections whose live settings changed.
    var appliedLive: [String] = []
    /// Restart-only keys whose new value waits for a restart.
    var needsRestart: [String] = []

    init(old: MoteConfig, new: MoteConfig) {
        var applied = new
        for key in MoteConfig.restartOnly where key.differs(old, new) {
            needsRestart.append(key.name)
            key.keep(&applied, old)
        }
        appliedLive = MoteConfig.sections.filter { $0.differs(old, applied) }.map(\.name)
        self.applied = applied
    }
}
