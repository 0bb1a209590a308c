public import Logging
import MoteCore
import MoteModels
public import Synchronization

/// Watches the served models' inputs for drift: every check compares the newest
/// `windowRows` logged rows of each served version with its bundle's reference profile, and
/// writes one journal entry when a feature's drift starts (warning) and one when it ends
/// (notice) — none while the state holds. Fewer than `minRows` live rows are not judged.
public final class DriftMonitor: Sendable {
    public struct Settings: Sendable {
        public var windowRows: Int
        public var minRows: Int
        public var datasetShare: Double
        public init(windowRows: Int, minRows: Int, datasetShare: Double) {
            self.windowRows = windowRows
            self.minRows = minRows
            self.datasetShare = datasetShare
        }
    }

    private let server: ModelServer
    private let log: PredictionLog
    private let logger: Logger
    private let settings: @Sendable () -> Settings
    /// Drifted or not, per "model@version/feature", as last judged.
    private let states = Mutex<[String: Bool]>([:])
    /// Latest scores per (model, feature), for the metrics gauges.
    public let latest = Mutex<[String: (model: String, feature: String, score: Double, drifted: Bool)]>([:])

    public init(server: ModelServer, log: PredictionLog, logger: Logger, settings: @escaping @Sendable () -> Settings) {
        self.server = server
        self.log = log
        self.logger = logger
        self.settings = settings
    }

    /// The drift of a model's served version over its newest logged rows.
    public func evaluate(_ model: LoadedModel) throws -> (features: [FeatureDrift], datasetDrift: Bool, share: Double, rows: Int) {
        let s = settings()
        let rows = try log.recentInputs(model: model.name, version: model.version, limit: s.windowRows)
        guard rows.count >= s.minRows else { return ([], false, 0, rows.count) }
        let result = DriftCheck.check(bundle: model.bundle, live: rows, datasetShare: s.datasetShare)
        return (result.features, result.datasetDrift, result.share, rows.count)
    }

    /// One pass over the served models; returns how many state changes it logged.
    @discardableResult
    public func checkAll() -> Int {
        var changes = 0
        for (name, _) in server.served {
            guard let model = try? server.model(name) else { continue }
            do {
                let result = try evaluate(model)
                for f in result.features {
                    let key = "\(model.name)@\(model.version)/\(f.name)"
                    latest.withLock { $0["\(model.name)/\(f.name)"] = (model.name, f.name, f.score, f.drifted) }
                    let before = states.withLock { s -> Bool? in
                        let old = s[key]
                        s[key] = f.drifted
                        return old
                    }
                    guard f.drifted != (before ?? false) else { continue }
                    changes += 1
                    let metadata: Logger.Metadata = [
                        "event": "\(f.drifted ? "drift_started" : "drift_ended")", "model": "\(model.name)", "version": "\(model.version)",
                        "feature": "\(f.name)", "drift_method": "\(f.method)", "drift_score": "\(f.score)",
                        "drift_threshold": "\(f.threshold)", "window_rows": "\(result.rows)",
                    ]
                    if f.drifted {
                        logger.warning("input drift started: \(model.name) v\(model.version) \(f.name) (\(f.method) \(f.score), threshold \(f.threshold))", metadata: metadata)
                    } else {
                        logger.notice("input drift ended: \(model.name) v\(model.version) \(f.name)", metadata: metadata)
                    }
                }
            } catch {
                logger.warning("drift check failed: \(error)", metadata: ["event": "drift_check_failed", "model": "\(name)"])
            }
        }
        return changes
    }
}
