import MoteCore
import MoteFeatures
import MoteServer
import NIOCore
import NIOHTTP1
import Prometheus

/// The feature store's routes: definitions, push, online reads, point-in-time joins.
enum FeatureRoutes {
    static func routes(_ store: FeatureStore, metrics: FeatureMetrics) -> [Route] {
        [
            Route(.GET, "/v1/definitions", role: .read, .blocking { _ in
                let applied = store.definitions
                var w = JSONWriter(capacity: 2048)
                w.beginObject()
                w.key("version"); w.int(applied.version)
                w.key("hash"); w.string(applied.hash)
                w.key("applied_at"); if applied.version > 0 { w.string(RFC3339.format(nanos: applied.appliedAtNanos)) } else { w.null() }
                w.key("definitions"); applied.set.write(into: &w)
                w.endObject()
                return .json(w)
            }),
            Route(.POST, "/v1/apply", role: .admin, .blocking { request in
                let body = try request.fields()
                let toml = try body.requiredText("toml")
                let dryRun = try body.flag("dry_run") ?? false
                try body.finish()
                let outcome = try store.apply(toml: toml, dryRun: dryRun, uid: request.peer.uid)
                var w = JSONWriter(capacity: 512)
                w.beginObject()
                w.key("applied"); w.bool(outcome.applied)
                w.key("dry_run"); w.bool(dryRun)
                w.key("changes"); w.bool(outcome.plan.changes)
                w.key("version"); w.int(outcome.version)
                w.key("hash"); w.string(outcome.hash)
                w.key("plan"); outcome.plan.write(into: &w)
                w.endObject()
                return .json(w)
            }),
            // Deferred: a push waits for its commit without holding a thread, so pushes from many
            // connections share commits; small bodies are parsed on the event loop.
            Route(.POST, "/v1/push", role: .write, .deferred(inlineBodyBytes: pushInlineBytes) { request, answer in
                try push(request, .push, store, metrics, answer)
            }),
            Route(.POST, "/v1/write-to-online-store", role: .write, .deferred(inlineBodyBytes: pushInlineBytes) { request, answer in
                try push(request, .writeToOnlineStore, store, metrics, answer)
            }),
            Route(.POST, "/v1/get-online-features", role: .read, .inline { request in
                let now = SystemClock.nowNanos()
                return .json(
                    try request.body.withUnsafeReadableBytes { raw in
                        try OnlineRead.answer(body: raw.bindMemory(to: UInt8.self), store: store, now: now)
                    })
            }),
            Route(.POST, "/v1/historical-features", role: .read, .blocking { request in
                let historical = try HistoricalRequest(try request.json(), store: store)
                return render(try store.historicalFeatures(historical), format: historical.format)
            }),
            Route(.GET, "/v1/feature-views", role: .read, .blocking { _ in
                let applied = store.definitions
                var w = JSONWriter(capacity: 1024)
                w.beginObject()
                w.key("feature_views")
                w.beginArray()
                for view in applied.set.views { try describe(view, applied.set, store, into: &w) }
                w.endArray()
                w.endObject()
                return .json(w)
            }),
            Route(.GET, "/v1/feature-views/{name}/quality", role: .read, .blocking { request in
                let window = try request.queryValue("window").map { text throws(DomainError) in
                    guard let nanos = DurationText.parseNanos(text) else {
                        throw DomainError(.malformed, .invalidWindow, "window '\(text)' is not a duration such as 10m")
                    }
                    return nanos
                }
                let now = SystemClock.nowNanos()
                let quality = try store.quality(view: request.parameter("name") ?? "", now: now, window: window)
                var w = JSONWriter(capacity: 1024)
                quality.write(into: &w, now: now)
                return .json(w)
            }),
            Route(.GET, "/v1/feature-views/{name}/fields/{field}/histogram", role: .read, .blocking { request in
                let bins = try request.queryValue("bins").map { text throws(DomainError) in
                    guard let n = Int(text) else { throw DomainError(.malformed, .invalidBins, "bins '\(text)' is not a number") }
                    return n
                }
                let histogram = try store.histogram(view: request.parameter("name") ?? "", field: request.parameter("field") ?? "", bins: bins ?? 10)
                var w = JSONWriter(capacity: 512)
                histogram.write(into: &w)
                return .json(w)
            }),
            Route(.GET, "/v1/feature-views/{name}/stale", role: .read, .blocking { request in
                let limit = try request.limit(default: 100, maximum: 100_000)
                let now = SystemClock.nowNanos()
                let stale = try store.staleEntities(view: request.parameter("name") ?? "", now: now)
                var w = JSONWriter(capacity: 1024)
                stale.write(into: &w, now: now, limit: limit)
                return .json(w)
            }),
            Route(.GET, "/v1/feature-views/{name}", role: .read, .blocking { request in
                let applied = store.definitions
                guard let name = request.parameter("name"), let view = applied.set.view(name) else {
                    throw DomainError.notFound("no feature view '\(request.parameter("name") ?? "")'")
                }
                var w = JSONWriter(capacity: 1024)
                try describe(view, applied.set, store, into: &w)
                return .json(w)
            }),
        ]
    }

    /// Push bodies up to this size are parsed on the event loop (a few hundred rows at most).
    static let pushInlineBytes = 16_384

    /// Parses one write of either Feast route and hands it to the store; `answer` gets what
    /// was stored once it is committed (or the error).
    static func push(
        _ request: Request, _ route: PushRoute, _ store: FeatureStore, _ metrics: FeatureMetrics,
        _ answer: @escaping @Sendable (Result<Response, any Error>) -> Void
    ) throws {
        let now = SystemClock.nowNanos()
        let (definitions, limits) = (store.definitions.set, store.limits)
        let plain = request.body.withUnsafeReadableBytes { raw in
            PushBatch.parsePlain(body: raw.bindMemory(to: UInt8.self), route: route, definitions: definitions, limits: limits, now: now)
        }
        let batch: PushBatch
        if let plain {
            batch = plain
        } else {
            // Not the plain shape, or something wrong: the general path says what.
            let body = try request.json()
            do {
                batch = try PushBatch.parse(body, route: route, definitions: definitions, limits: limits, now: now)
            } catch {
                let view = body["feature_view"] ?? body["push_source_name"] ?? body["feature_view_name"]
                metrics.rejected(view: view?.stringValue, rows: body["df"]?.objectValue?.members.first?.value.arrayValue?.count ?? 0)
                throw error
            }
        }
        let (view, rows, target) = (batch.view.name, batch.count, batch.target.rawValue)
        // A body small enough to be parsed on the event loop may also be committed there.
        store.push(batch, inline: request.body.readableBytes <= pushInlineBytes) { result in
            answer(
                result.map {
                    metrics.pushed(view: view, rows: rows)
                    var w = JSONWriter()
                    w.beginObject()
                    w.key("feature_view"); w.string(view)
                    w.key("rows"); w.int(rows)
                    w.key("to"); w.string(target)
                    w.endObject()
                    return .json(w)
                })
        }
    }

    /// Renders a joined table: fingerprint headers, the text streamed in pieces.
    static func render(_ table: JoinedTable, format: HistoricalRequest.Format) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "x-mote-definitions-version", value: String(table.fingerprint.definitionsVersion))
        headers.add(name: "x-mote-dataset-hash", value: table.fingerprint.contentHash)
        headers.add(name: "x-mote-rows", value: String(table.fingerprint.rows))
        // The joined values are in memory; their text (the larger part) is streamed.
        let csv = format == .csv
        return .streamed(JoinedTableStream(table, csv: csv), contentType: csv ? "text/csv; charset=utf-8" : "application/x-ndjson", headers: headers)
    }

    static func describe(_ view: FeatureViewDefinition, _ set: DefinitionSet, _ store: FeatureStore, into w: inout JSONWriter) throws {
        let now = SystemClock.nowNanos()
        w.beginObject()
        w.key("name"); w.string(view.name)
        w.key("entities"); w.beginArray(); for e in view.entities { w.string(e) }; w.endArray()
        w.key("join_keys"); w.beginArray(); for k in set.joinKeys(of: view) { w.string(k) }; w.endArray()
        w.key("fields")
        view.writeFields(into: &w)
        w.key("ttl"); w.string(DurationText.format(nanos: view.ttlNanos))
        w.key("retention")
        w.beginObject()
        w.key("max_age"); if let a = view.retention.maxAgeNanos { w.string(DurationText.format(nanos: a)) } else { w.null() }
        w.key("max_rows"); if let r = view.retention.maxRows { w.int(r) } else { w.null() }
        w.endObject()
        w.key("online_entities"); w.int(store.cache.count(viewID: view.id))
        w.key("history_rows"); w.int(try store.historyRowCount(viewID: view.id))
        let newest = store.cache.newestEvent(viewID: view.id)
        w.key("newest_event"); if let newest { w.string(RFC3339.format(nanos: newest)) } else { w.null() }
        w.key("freshness_seconds"); if let newest { w.double(Double(now - newest) / 1e9) } else { w.null() }
        w.key("description"); w.string(view.description)
        w.endObject()
    }
}
