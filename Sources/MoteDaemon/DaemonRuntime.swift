import MoteCore
public import MoteServer
public import MoteStorage
public import MoteFeatures
import MoteInference
import MoteFleet
import MoteSync
import Prometheus
import Synchronization

/// What the running daemon knows about itself, shared by its system routes and services.
/// Built once every component exists; nothing in it is set afterwards but the listener's
/// description (known when the socket is bound).
public final class DaemonRuntime: Sendable {
    public let options: DaemonOptions
    /// The configuration in force, replaced whole by a reload.
    public let configSource: ConfigSource
    public let storage: Storage
    public let readiness: Readiness
    public let metrics: RequestMetrics
    public let logging: LoggingSetup
    let gauges: DaemonGauges
    /// The feature store.
    public let features: FeatureStore
    let featureMetrics: FeatureMetrics
    let predictionLog: PredictionLog
    let shadows: ShadowScorer
    let models: ModelServer
    let inferenceMetrics: InferenceMetrics
    /// The outbox drain to the central host (status, metrics).
    let sync: SyncWorker
    /// Centrally approved models pulled to this box (status, metrics).
    let fleet: FleetWorker
    /// Wall-clock start, epoch nanoseconds.
    public let startedAtNanos: Int64
    let startedMonotonic: UInt64
    private let listenerValue: Mutex<String>

    init(
        options: DaemonOptions, configSource: ConfigSource, storage: Storage, metrics: RequestMetrics, logging: LoggingSetup,
        features: FeatureStore, featureMetrics: FeatureMetrics, predictionLog: PredictionLog, shadows: ShadowScorer, models: ModelServer, inferenceMetrics: InferenceMetrics,
        sync: SyncWorker, fleet: FleetWorker, startedMonotonic: UInt64
    ) {
        self.fleet = fleet
        self.options = options
        self.configSource = configSource
        self.storage = storage
        self.metrics = metrics
        self.logging = logging
        self.features = features
        self.featureMetrics = featureMetrics
        self.predictionLog = predictionLog
        self.shadows = shadows
        self.models = models
        self.inferenceMetrics = inferenceMetrics
        self.sync = sync
        self.gauges = DaemonGauges(registry: metrics.registry, databases: storage.databases.map(\.name))
        self.readiness = Readiness()
        self.startedAtNanos = SystemClock.nowNanos()
        self.startedMonotonic = startedMonotonic
        self.listenerValue = Mutex("")
    }

    /// The configuration in force.
    public var config: MoteConfig { configSource.current }

    /// How the socket was obtained, for status (`bound /path` or `activated fd 3 (api)`).
    public var listenerDescription: String {
        get { listenerValue.withLock { $0 } }
        set { listenerValue.withLock { $0 = newValue } }
    }

    /// Seconds since start.
    public var uptimeSeconds: Double {
        Double(SystemClock.monotonicNanos() - startedMonotonic) / 1e9
    }
}

/// Gauges about the daemon itself, refreshed when `/metrics` is read.
struct DaemonGauges: Sendable {
    let uptime: Gauge
    let databaseBytes: [String: Gauge]
    let artifactBytes: Gauge
    let registry: PrometheusCollectorRegistry

    /// The outbox and the last successful sync.
    func sync(_ s: SyncWorker.Status) {
        registry.makeGauge(descriptor: .mote("sync_outbox_pending", unit: "rows", help: "Outbox rows waiting for the central host.")).set(Double(s.pending))
        registry.makeGauge(descriptor: .mote("sync_outbox_parked", unit: "rows", help: "Outbox rows the central host refused (see motectl sync status).")).set(Double(s.parked))
        registry.makeGauge(descriptor: .mote("sync_last_success", unit: "timestamp_seconds", help: "When the outbox was last drained (0: never)."))
            .set(Double(s.lastSuccessNanos ?? 0) / 1e9)
        registry.makeGauge(descriptor: .mote("sync_consecutive_failures", help: "Failed sync attempts since the last success.")).set(Double(s.failures))
        registry.makeGauge(descriptor: .mote("sync_sent", unit: "rows", help: "Outbox rows sent since start.")).set(Double(s.sent))
    }

    /// The followed central versions, the local champions, and the last poll.
    func fleet(_ f: FleetWorker.Status) {
        registry.makeGauge(descriptor: .mote("fleet_last_poll", unit: "timestamp_seconds", help: "When the fleet last polled the central registry (0: never)."))
            .set(Double(f.lastPollNanos ?? 0) / 1e9)
        registry.makeGauge(descriptor: .mote("fleet_last_success", unit: "timestamp_seconds", help: "When a fleet poll last reached every followed model (0: never)."))
            .set(Double(f.lastSuccessNanos ?? 0) / 1e9)
        for m in f.models {
            let labels = [("model", m.followed.model), ("alias", m.followed.alias)]
            registry.makeGauge(
                descriptor: .mote("fleet_central_version", help: "The central version the followed alias points at (0: not set centrally)."), labels: labels
            ).set(Double(m.followed.centralVersion.flatMap { Int($0) } ?? 0))
            registry.makeGauge(
                descriptor: .mote("fleet_local_champion", help: "The local champion version of a followed model (0: none)."), labels: labels
            ).set(Double(m.champion ?? 0))
        }
    }

    init(registry: PrometheusCollectorRegistry, databases: [String]) {
        self.registry = registry
        uptime = registry.makeGauge(descriptor: .mote("uptime", unit: "seconds", help: "Seconds since moted started."))
        var bytes: [String: Gauge] = [:]
        for name in databases {
            bytes[name] = registry.makeGauge(
                descriptor: .mote("database", unit: "bytes", help: "Bytes on disk of a database (file, WAL and shared memory)."),
                labels: [("database", name)])
        }
        databaseBytes = bytes
        artifactBytes = registry.makeGauge(descriptor: .mote("artifact", unit: "bytes", help: "Bytes on disk of model artifacts."))
        registry.makeGauge(
            descriptor: .mote("build_info", help: "moted version, as a label."), labels: [("version", MoteVersion.string)]
        ).set(to: 1.0)
    }
}
