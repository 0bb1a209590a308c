public import MoteCore

extension ViewQuality {
    /// The report as `GET /v1/feature-views/{name}/quality` answers it (`fields` limited to
    /// `only` when given: a model's monitoring answer shows the fields it reads).
    public func write(into w: inout JSONWriter, now: Int64, only: Set<String>? = nil) {
        w.beginObject()
        w.key("feature_view"); w.string(view)
        w.key("window"); w.string(DurationText.format(nanos: windowNanos))
        w.key("on_invalid"); w.string(onInvalid.rawValue)
        w.key("max_null_share"); if let maxNullShare { w.double(maxNullShare) } else { w.null() }
        w.key("entities"); w.int(entities)
        w.key("newest_event"); if let newestEventNanos { w.string(RFC3339.format(nanos: newestEventNanos)) } else { w.null() }
        w.key("freshness_seconds"); if let newestEventNanos { w.double(Double(now - newestEventNanos) / 1e9) } else { w.null() }
        w.key("expect_every"); if let expectEveryNanos { w.string(DurationText.format(nanos: expectEveryNanos)) } else { w.null() }
        w.key("stale_entities"); if let staleEntities { w.int(staleEntities) } else { w.null() }
        w.key("failing"); w.bool(fields.contains { $0.failing && only?.contains($0.name) != false })
        w.key("fields")
        w.beginArray()
        for field in fields where only?.contains(field.name) != false {
            w.beginObject()
            w.key("name"); w.string(field.name)
            w.key("rows"); w.int(field.counts.rows)
            w.key("nulls"); w.int(field.counts.nulls)
            w.key("null_share"); w.double(field.nullShare)
            w.key("null_share_exceeded"); w.bool(field.nullShareExceeded)
            w.key("broken"); w.beginObject()
            for (rule, n) in field.counts.broken.sorted(by: { $0.key < $1.key }) { w.key(rule); w.int(n) }
            w.endObject()
            w.key("broken_share"); w.double(field.counts.rows > 0 ? Double(field.brokenValues) / Double(field.counts.rows) : 0)
            w.key("failing"); w.bool(field.failing)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

extension StaleEntities {
    /// The list as `GET /v1/feature-views/{name}/stale` answers it: at most `limit` entities,
    /// the longest silent first, with `stale` counting them all.
    public func write(into w: inout JSONWriter, now: Int64, limit: Int) {
        w.beginObject()
        w.key("feature_view"); w.string(view)
        w.key("expect_every"); w.string(DurationText.format(nanos: expectEveryNanos))
        w.key("entities"); w.int(entities)
        w.key("stale"); w.int(stale.count)
        w.key("stale_entities")
        w.beginArray()
        for (key, event) in stale.prefix(limit) {
            w.beginObject()
            w.key("entity"); w.string(key)
            w.key("last_event"); w.string(RFC3339.format(nanos: event))
            w.key("silent_seconds"); w.double(Double(now - event) / 1e9)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
