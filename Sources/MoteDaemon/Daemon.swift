import Logging
import MoteCore
import MoteFeatures
import MoteRegistry
import MoteServer
import MoteStorage
import MoteTraining
import MoteInference
import MoteMonitoring
import MoteFleet
import MoteRollout
import MoteScoring
import MoteSync
import MoteSystemd
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import UnixSignals
import Synchronization

/// The composition root: config → storage → routes → server → services, run until SIGTERM.
/// `moted` calls `Daemon.run`; tests can call it in-process too.
public enum Daemon {
    /// Exit codes (sysexits.h), so the unit can refuse to restart on errors a restart cannot fix.
    public enum ExitCode {
        public static let ok: Int32 = 0
        public static let failure: Int32 = 1
        public static let dataError: Int32 = 65
        public static let unavailable: Int32 = 69
        /// Another moted holds the state directory (EX_TEMPFAIL: it may be free later).
        public static let stateInUse: Int32 = 75
        public static let config: Int32 = 78
    }

    /// Runs the daemon until it is told to stop. Returns the process exit code.
    public static func run(options: DaemonOptions) async -> Int32 {
        let notifier = SystemdNotifier()
        let config: MoteConfig
        do {
            config = try options.loadConfig()
        } catch {
            let logging = LoggingSetup(level: .info, forceStderr: options.logToStderr)
            logging.logger("daemon").critical("invalid configuration: \(error.message)", metadata: ["event": "config_invalid"])
            notifier.status("invalid configuration: \(error.message)")
            return ExitCode.config
        }
        let logging = LoggingSetup(level: config.daemon.logLevel, forceStderr: options.logToStderr)
        let log = logging.logger("daemon")
        do {
            return try await serve(config: config, options: options, logging: logging, notifier: notifier)
        } catch let error as MoteError {
            log.critical("cannot start: \(error.message)", metadata: ["event": "start_failed", "code": "\(error.code.rawValue)"])
            notifier.status("failed: \(error.message)")
            switch error.code {
            case .schemaTooNew: return ExitCode.dataError
            case .alreadyRunning: return ExitCode.unavailable
            case .stateDirectoryInUse: return ExitCode.stateInUse
            case .config: return ExitCode.config
            default: return ExitCode.failure
            }
        } catch {
            log.critical("cannot start: \(error)", metadata: ["event": "start_failed"])
            notifier.status("failed: \(error)")
            return ExitCode.failure
        }
    }

    static func serve(config: MoteConfig, options: DaemonOptions, logging: LoggingSetup, notifier: SystemdNotifier) async throws -> Int32 {
        let log = logging.logger("daemon")
        let startNanos = SystemClock.monotonicNanos()
        let source = ConfigSource(config, logging: logging)
        for warning in source.accessWarnings { log.warning("\(warning)", metadata: ["event": "config_warning"]) }
        notifier.status("opening storage")
        let storage = try Storage(
            directory: StateDirectory(root: config.daemon.stateDir), options: Database.Options(config.storage), schema: Self.schema)
        let metrics = RequestMetrics(registry: PrometheusCollectorRegistry())
        notifier.status("loading the online feature cache")
        let features = try FeatureStore(storage: storage, settings: source.live { $0.features }, sections: [TrainingSpecSection(), ScoringJobSection()])
        let registry = RegistryStore(storage: storage)
        let artifacts = ArtifactStore(directory: storage.directory, space: storage.space)
        // Artifacts left by a registration that failed (older than an hour) are removed.
        if let removed = try? registry.collectArtifacts(artifacts), !removed.isEmpty {
            log.info("removed unreferenced artifacts", metadata: ["event": "artifacts_collected", "count": "\(removed.count)"])
        }
        log.info(
            "online feature cache rebuilt",
            metadata: [
                "event": "cache_rebuilt", "rows": "\(features.rebuild.rows)", "skipped": "\(features.rebuild.skipped)",
                "ms": "\(Double(features.rebuild.nanos) / 1e6)",
            ])
        // Training starts a spec's rollouts through the rollouts service, built once serving is.
        let rolloutsLater = Mutex<Rollouts?>(nil)
        let trainingContext = TrainingContext(
            store: features, registry: registry, artifacts: artifacts, logger: logging.logger("training"), settings: source.live { $0.training },
            startRollout: { model, version, plan in
                guard let rollouts = rolloutsLater.withLock({ $0 }), let mode = Challenger.Mode(rawValue: plan.mode.rawValue) else {
                    throw DomainError(.unavailable, "rollouts_not_running", "rollouts are not running yet")
                }
                try rollouts.start(model: model, mode: mode, version: version, share: plan.share, policy: plan.policy, actor: .daemon)
            })
        let training = TrainingJobs(storage: storage, context: trainingContext)
        let models = ModelServer(registry: registry, artifacts: artifacts, logger: logging.logger("inference"), settings: source.live { $0.inference })
        models.preload(config.inference.preload)
        let predictionLog = PredictionLog(storage: storage, logger: logging.logger("inference"), settings: source.live { $0.inference })
        let inferenceMetrics = InferenceMetrics(registry: metrics.registry)
        // Batch scoring shares the training queue; its kind is registered before the queue
        // starts, so that runs interrupted by a restart are found again.
        let scoring = ScoringJobs(
            queue: training, store: features, models: models, log: predictionLog, registry: registry, artifacts: artifacts,
            directory: storage.directory.root + "/scoring", settings: source.live { $0.scoring }, logger: logging.logger("scoring"))
        training.register(scoring)
        try training.start()
        let monitoring = MonitoringSetup(
            storage: storage, settings: source.live { $0.monitoring }, models: models, log: predictionLog, registry: registry,
            training: training, metrics: inferenceMetrics, logger: logging.logger("monitoring"))
        let dataWatch = DataWatch(store: features, logger: logging.logger("monitoring"), config: source.live { $0.monitoring })
        let shadows = ShadowScorer(log: predictionLog, settings: source.live { $0.inference }, logger: logging.logger("inference"))
        let rollouts = Rollouts(
            server: models, registry: registry, store: RolloutStore(storage: storage), feedback: monitoring.feedback, log: predictionLog, shadows: shadows,
            logger: logging.logger("rollout"), settings: source.live { $0.rollout })
        rollouts.restore()
        rolloutsLater.withLock { $0 = rollouts }
        let syncStore = SyncStore(storage: storage, registry: registry)
        let uptime = { @Sendable in Double(SystemClock.monotonicNanos() - startNanos) / 1e9 }
        let syncWorker = SyncWorker(
            store: syncStore, deviceID: SyncWorker.deviceID(configured: config.sync.deviceID), logger: logging.logger("sync"),
            settings: source.live { $0.sync },
            heartbeat: {
                [
                    ("uptime_seconds", uptime()),
                    ("models_serving", Double(models.served.count)),
                    ("disk_bytes", Double(storage.databases.reduce(0) { $0 + $1.diskBytes() } + storage.directory.artifactBytes())),
                ]
            },
            artifact: { digest in try? artifacts.read(digest) })
        let fleetWorker = FleetWorker(
            store: FleetStore(storage: storage, registry: registry), context: trainingContext, settings: source.live { $0.fleet },
            sync: source.live { $0.sync }, deviceID: syncWorker.deviceID, staging: storage.directory.root + "/fleet",
            logger: logging.logger("fleet"),
            setChampion: { model, version, actor in _ = try models.setAlias(model: model, alias: "champion", version: version, actor: actor) })
        let runtime = DaemonRuntime(
            options: options, configSource: source, storage: storage, metrics: metrics, logging: logging, features: features,
            featureMetrics: FeatureMetrics(registry: metrics.registry), predictionLog: predictionLog, shadows: shadows, models: models, inferenceMetrics: inferenceMetrics,
            sync: syncWorker, fleet: fleetWorker, startedMonotonic: startNanos)

        let threads = config.daemon.eventLoopThreads > 0 ? config.daemon.eventLoopThreads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let threadPool = NIOThreadPool(numberOfThreads: config.daemon.blockingThreads)
        threadPool.start()

        let router = Router(
            SystemRoutes.routes(runtime) + FeatureRoutes.routes(features, metrics: runtime.featureMetrics)
                + RegistryRoutes.routes(registry, artifacts: artifacts, models: models) + ModelImportRoutes.routes(trainingContext)
                + TrainingRoutes.routes(training, store: features) + ScoringRoutes.routes(scoring, store: features)
                + InferenceRoutes.routes(
                    models, registry: registry, store: features, log: predictionLog, metrics: inferenceMetrics,
                    settings: source.live { $0.inference }, shadows: shadows)
                + MonitoringRoutes.routes(
                    monitoring, models: models, store: features, settings: source.live { $0.monitoring },
                    inference: source.live { $0.inference }, rollouts: rollouts)
                + RolloutRoutes.routes(rollouts) + AlertRoutes.routes(monitoring: monitoring.service, data: dataWatch, sync: syncWorker)
                + SyncRoutes.routes(syncWorker, store: syncStore, settings: source.live { $0.sync })
                + FleetRoutes.routes(fleetWorker, settings: source.live { $0.fleet }) + ConsoleRoutes.routes())
        let server = HTTPServer(
            group: group, threadPool: threadPool, router: router, settings: source.server, metrics: metrics,
            logger: logging.logger("server"))

        let listener = chooseListener(config: config, log: log)
        let api = APIService(
            server: server, listener: listener, runtime: runtime, notifier: notifier, log: log, startNanos: startNanos)
        let reload = ReloadService(runtime: runtime, notifier: notifier, log: logging.logger("reload"))
        let watchdog = WatchdogService(group: group, notifier: notifier, log: logging.logger("watchdog"))
        let retention = RetentionService(
            store: features, registry: registry, featureSettings: source.live { $0.features },
            registrySettings: source.live { $0.registry }, inferenceSettings: source.live { $0.inference }, predictionLog: predictionLog,
            log: logging.logger("retention"))
        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: api),
                    .init(service: reload),
                    .init(service: watchdog),
                    .init(service: retention),
                    // Training specs' schedules (every, min_new_labels).
                    .init(service: PeriodicService(interval: source.live { $0.training.scheduleIntervalNanos }) {
                        training.checkSchedules(now: SystemClock.nowNanos())
                    }),
                    // Scoring jobs' schedules (every).
                    .init(service: PeriodicService(interval: source.live { $0.scoring.scheduleIntervalNanos }) {
                        scoring.checkSchedules(now: SystemClock.nowNanos())
                    }),
                    // The outbox to the central MLflow server (every interval, backoff, on demand).
                    .init(service: LoopService { await syncWorker.run() }),
                    // Centrally approved models pulled, gated and reported (every interval, on demand).
                    .init(service: LoopService { await fleetWorker.run() }),
                    // Drift and live metrics of the served models; starts and ends are logged once.
                    .init(service: PeriodicService(interval: source.live { $0.monitoring.intervalNanos }) {
                        monitoring.service.checkAll()
                    }),
                    // Feature views' quality states and stale entities; changes are logged once.
                    .init(service: PeriodicService(interval: source.live { $0.monitoring.dataIntervalNanos }) {
                        dataWatch.check()
                    }),
                    // Versions without traffic unloaded, the rest held within the memory bound
                    // (every tenth of inference.idle_unload, 1 s to 1 min).
                    .init(service: PeriodicService(interval: source.live { min(60_000_000_000, max(1_000_000_000, $0.inference.idleUnloadNanos / 10)) }) {
                        models.sweep()
                    }),
                    // Shadow and canary rollouts judged on live evidence; decisions are logged and synced.
                    .init(service: PeriodicService(interval: source.live { $0.rollout.checkIntervalNanos }) {
                        rollouts.checkAll()
                    }),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logging.logger("lifecycle")))
        var exitCode = ExitCode.ok
        do {
            try await services.run()
        } catch {
            log.error("stopped after an error: \(error)", metadata: ["event": "stop_error"])
            exitCode = (error as? MoteError)?.code == .alreadyRunning ? ExitCode.unavailable : ExitCode.failure
        }
        training.stop(timeoutNanos: source.current.daemon.shutdownTimeoutNanos)
        features.stop(timeoutNanos: source.current.daemon.shutdownTimeoutNanos)
        shadows.stop()
        predictionLog.stop(timeoutNanos: source.current.daemon.shutdownTimeoutNanos)
        storage.close()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        log.notice("stopped", metadata: ["event": "stopped", "exit_code": "\(exitCode)"])
        return exitCode
    }

    /// Every module's tables, in the order their migrations were first shipped.
    static let schema: [SchemaPart] =
        FeatureStore.schema + [RegistryStore.schema, TrainingJobs.schema, PredictionLog.schema, FeedbackStore.schema, FleetStore.schema,
            RolloutStore.schema,
        ]

    static func chooseListener(config: MoteConfig, log: Logger) -> Listener {
        let passed = SocketActivation.takePassedSockets()
        if let socket = passed.first(where: { $0.name == "api" }) ?? passed.first {
            if passed.count > 1 {
                log.warning("several sockets were passed; using \(socket.name) (fd \(socket.fd))")
            }
            return .adopted(fd: socket.fd, name: socket.name)
        }
        return .bind(path: config.socket.path, mode: config.socket.mode, group: config.socket.group)
    }
}
