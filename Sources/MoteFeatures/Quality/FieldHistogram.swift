public import MoteCore

/// How a field's current values (the newest row of each entity, online) are spread: equal-width
/// bins between the smallest and largest number, or the most frequent categories.
public struct FieldHistogram: Sendable {
    public var view: String
    public var field: String
    public var type: FeatureType
    /// Entities with a value, and with none (null, or a row from before the field existed).
    public var values: Int
    public var nulls: Int
    /// Numbers: `bins + 1` edges and a count per bin (the last bin holds its upper edge).
    public var edges: [Double]
    public var counts: [Int]
    /// Strings and booleans: the most frequent values with their counts, most frequent first,
    /// and how many values the rest hold.
    public var categories: [(value: String, count: Int)]
    public var otherCount: Int
}

extension ErrorCode {
    /// A histogram asked of a field the view does not have (404) is `not_found`; of too many
    /// or too few bins, `invalid_parameter` (400).
    public static let invalidBins: ErrorCode = "invalid_bins"
}

extension FeatureStore {
    /// The histogram of field `field` of view `name` over its entities' current values.
    public func histogram(view name: String, field: String, bins: Int = 10, categories: Int = 10) throws(DomainError) -> FieldHistogram {
        let view = try definedView(name)
        guard let index = view.fieldIndex(field) else { throw DomainError.notFound("feature view '\(name)' has no field '\(field)'") }
        guard (1...100).contains(bins), (1...100).contains(categories) else {
            throw DomainError(.malformed, .invalidBins, "bins and categories are from 1 to 100")
        }
        let type = view.fields[index].type
        var h = FieldHistogram(view: view.name, field: field, type: type, values: 0, nulls: 0, edges: [], counts: [], categories: [], otherCount: 0)
        if type == .float64 || type == .int64 {
            var numbers: [Double] = []
            numbers.reserveCapacity(cache.count(viewID: view.id))
            cache.forEachValue(viewID: view.id, field: index) { value in
                switch value {
                case .double(let d) where d.isFinite: numbers.append(d)
                case .int(let i): numbers.append(Double(i))
                default: h.nulls += 1
                }
            }
            h.values = numbers.count
            guard let low = numbers.min(), let high = numbers.max() else { return h }
            let width = high > low ? (high - low) / Double(bins) : 1
            h.edges = (0...bins).map { low + Double($0) * width }
            h.counts = [Int](repeating: 0, count: bins)
            for x in numbers { h.counts[min(bins - 1, Int((x - low) / width))] += 1 }
        } else {
            var counts: [String: Int] = [:]
            cache.forEachValue(viewID: view.id, field: index) { value in
                switch value {
                case .string(let s): counts[s, default: 0] += 1
                case .bool(let b): counts[b ? "true" : "false", default: 0] += 1
                default: h.nulls += 1
                }
            }
            let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            h.values = counts.values.reduce(0, +)
            h.categories = sorted.prefix(categories).map { ($0.key, $0.value) }
            h.otherCount = sorted.dropFirst(categories).reduce(0) { $0 + $1.value }
        }
        return h
    }
}

extension FieldHistogram {
    /// The histogram as `GET /v1/feature-views/{name}/fields/{field}/histogram` answers it.
    public func write(into w: inout JSONWriter) {
        w.beginObject()
        w.key("feature_view"); w.string(view)
        w.key("field"); w.string(field)
        w.key("type"); w.string(type.rawValue)
        w.key("values"); w.int(values)
        w.key("nulls"); w.int(nulls)
        if type == .float64 || type == .int64 {
            w.key("edges"); w.beginArray(); for e in edges { w.double(e) }; w.endArray()
            w.key("counts"); w.beginArray(); for c in counts { w.int(c) }; w.endArray()
        } else {
            w.key("categories")
            w.beginArray()
            for c in categories {
                w.beginObject()
                w.key("value"); w.string(c.value)
                w.key("count"); w.int(c.count)
                w.endObject()
            }
            w.endArray()
            w.key("other"); w.int(otherCount)
        }
        w.endObject()
    }
}
