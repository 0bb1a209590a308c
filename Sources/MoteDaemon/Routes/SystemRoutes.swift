import MoteCore
import MoteFeatures
import MoteServer
import MoteFleet
import MoteSync
import MoteStorage
import NIOCore
import NIOHTTP1
import Prometheus

#if canImport(Glibc)
import Glibc
#endif

/// The routes every daemon has: health, server metadata, status and metrics.
enum SystemRoutes {
    static func routes(_ runtime: DaemonRuntime) -> [Route] {
        [
            Route(.GET, "/v2/health/live", role: .none, .inline { _ in live }),
            Route(.GET, "/v2/health/ready", role: .none, .inline { _ in
                if runtime.readiness.isReady { return ready }
                let phase = runtime.readiness.phase.name
                return Response.json(
                    Array(#"{"ready":false,"error":"moted is \#(phase)","code":"not_ready"}"#.utf8), status: .serviceUnavailable)
            }),
            Route(.GET, "/v2", role: .read, .inline { _ in
                Response.json(serverMetadata())
            }),
            Route(.GET, "/v1/status", role: .read, .blocking { _ in
                Response.json(status(runtime))
            }),
            Route(.GET, "/metrics", role: .read, .blocking { _ in
                updateGauges(runtime)
                return Response(
                    status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8",
                    body: ByteBuffer(bytes: runtime.metrics.exposition()))
            }),
        ]
    }

    /// Answers built once: a health probe allocates no body.
    static let live = Response.json(Array(#"{"live":true}"#.utf8))
    static let ready = Response.json(Array(#"{"ready":true}"#.utf8))

    /// `GET /v2`: Open Inference Protocol server metadata.
    static func serverMetadata() -> JSONWriter {
        var w = JSONWriter()
        w.beginObject()
        w.key("name"); w.string(MoteVersion.serverName)
        w.key("version"); w.string(MoteVersion.string)
        w.key("extensions"); w.beginArray(); w.string("binary_tensor_data"); w.endArray()
        w.endObject()
        return w
    }

    /// `GET /v1/status`.
    static func status(_ runtime: DaemonRuntime) -> JSONWriter {
        let config = runtime.config
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("version"); w.string(MoteVersion.string)
        w.key("state"); w.string(runtime.readiness.phase.name)
        w.key("pid"); w.int(Int(getpid()))
        w.key("started_at"); w.string(RFC3339.format(nanos: runtime.startedAtNanos))
        w.key("uptime_seconds"); w.double((runtime.uptimeSeconds * 1000).rounded() / 1000)
        w.key("state_dir"); w.string(runtime.storage.directory.root)
        w.key("socket")
        w.beginObject()
        w.key("path"); w.string(config.socket.path)
        w.key("listener"); w.string(runtime.listenerDescription)
        w.endObject()
        var databaseBytes: Int64 = 0
        w.key("databases")
        w.beginArray()
        for database in runtime.storage.databases {
            let bytes = database.diskBytes()
            databaseBytes += bytes
            w.beginObject()
            w.key("name"); w.string(database.name)
            w.key("path"); w.string(database.path)
            w.key("bytes"); w.int(bytes)
            w.endObject()
        }
        w.endArray()
        let artifactBytes = runtime.storage.directory.artifactBytes()
        w.key("disk")
        w.beginObject()
        w.key("databases_bytes"); w.int(databaseBytes)
        w.key("artifacts_bytes"); w.int(artifactBytes)
        w.key("total_bytes"); w.int(databaseBytes + artifactBytes)
        w.key("free_bytes"); w.int(runtime.storage.space.measureFreeBytes())
        w.endObject()
        w.key("memory")
        w.beginObject()
        w.key("rss_bytes"); w.int(MemoryUse.residentBytes())
        w.key("sqlite_bytes"); w.int(MemoryUse.sqliteBytes())
        w.key("sqlite_peak_bytes"); w.int(MemoryUse.sqlitePeakBytes())
        w.endObject()
        do {
            let sync = runtime.sync.status()
            w.key("sync")
            w.beginObject()
            w.key("enabled"); w.bool(sync.enabled)
            w.key("outbox_pending"); w.int(sync.pending)
            w.key("outbox_parked"); w.int(sync.parked)
            w.key("last_success"); if let t = sync.lastSuccessNanos { w.timestamp(nanos: t) } else { w.null() }
            w.endObject()
        }
        w.key("features")
        w.beginObject()
        w.key("unmerged_rows"); w.int(runtime.features.unmergedRows)
        w.key("online_cache_bytes"); w.int(runtime.features.onlineCacheBytes)
        w.key("history_runs"); if let runs = try? runtime.features.historyRunCount() { w.int(runs) } else { w.null() }
        w.key("compacting"); w.bool(runtime.features.compactingHistory)
        w.endObject()
        w.key("counts")
        w.beginObject()
        w.key("connections"); w.int(Int(runtime.metrics.openConnections))
        w.key("requests"); w.int(runtime.metrics.requestsAnswered)
        w.endObject()
        w.key("config")
        w.beginObject()
        w.key("log_level"); w.string(config.daemon.logLevel.rawValue)
        w.key("synchronous"); w.string(config.storage.synchronous.rawValue)
        w.key("event_loop_threads"); w.int(config.daemon.eventLoopThreads)
        w.key("blocking_threads"); w.int(config.daemon.blockingThreads)
        w.key("max_body_bytes"); w.int(config.limits.maxBodyBytes)
        w.key("max_header_bytes"); w.int(config.limits.maxHeaderBytes)
        w.key("max_connections"); w.int(config.limits.maxConnections)
        w.key("max_connections_per_uid"); w.int(config.limits.maxConnectionsPerUID)
        w.key("idle_timeout"); w.string(DurationText.format(nanos: config.limits.idleTimeoutNanos))
        w.key("request_timeout"); w.string(DurationText.format(nanos: config.limits.requestTimeoutNanos))
        w.key("default_role"); w.string(config.access.defaultRole.description)
        w.endObject()
        w.endObject()
        return w
    }

    static func updateGauges(_ runtime: DaemonRuntime) {
        runtime.gauges.uptime.set(runtime.uptimeSeconds)
        for database in runtime.storage.databases {
            runtime.gauges.databaseBytes[database.name]?.set(Double(database.diskBytes()))
        }
        runtime.gauges.artifactBytes.set(Double(runtime.storage.directory.artifactBytes()))
        runtime.featureMetrics.updateFreshness(runtime.features)
        runtime.inferenceMetrics.updateLog(runtime.predictionLog, shadows: runtime.shadows)
        runtime.inferenceMetrics.updateLoaded(runtime.models)
        runtime.gauges.sync(runtime.sync.status())
        runtime.gauges.fleet(runtime.fleet.status())
    }
}
