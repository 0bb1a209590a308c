import NIOHTTP1
public import Prometheus
import Synchronization

/// Request counts and latency histograms by route, method and status, in the daemon's
/// Prometheus registry (`mote_http_requests_total`, `mote_http_request_duration_seconds`).
/// Series are created once and then found by integer key, so recording a request does no
/// string work.
public final class RequestMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let series: Mutex<[Int: Series]>
    private let answered = Atomic<Int>(0)
    private let connections: Gauge
    private let open = Atomic<Int>(0)
    /// Connections refused because `max_connections` was reached.
    public let refusedConnections: Counter
    /// Requests refused because the caller lacked the role.
    public let forbidden: Counter

    /// The counter and histogram of one (route, method, status).
    struct Series: Sendable {
        let key: Int
        let count: Counter
        let duration: DurationHistogram
    }

    /// Latency buckets from 10 µs to 10 s.
    public static let buckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.series = Mutex([:])
        connections = registry.makeGauge(descriptor: .mote("http_connections", help: "Open connections on the API socket."))
        refusedConnections = registry.makeCounter(
            descriptor: .mote("http_connections_refused", unit: "total", help: "Connections refused at the max_connections or max_connections_per_uid limit."))
        forbidden = registry.makeCounter(
            descriptor: .mote("http_forbidden", unit: "total", help: "Requests refused with 403 for lack of a role."))
    }

    /// Records one answered request. `route` is the route's index (-1 for none) and
    /// `routeLabel` its pattern; the label is read only the first time a series is made.
    /// `cached` is the series the caller used last; when it matches, no lock is taken.
    /// Returns the series used, for the caller to keep.
    func record(route: Int, routeLabel: String, method: HTTPMethod, status: Int, nanoseconds: Int64, cached: Series?) -> Series {
        let key = ((route + 1) << 20) | (status << 4) | RequestMetrics.methodCode(method)
        let entry: Series
        if let cached, cached.key == key {
            entry = cached
        } else {
            entry = series(for: key, routeLabel: routeLabel, method: method, status: status)
        }
        entry.count.increment()
        entry.duration.recordNanoseconds(nanoseconds)
        answered.add(1, ordering: .relaxed)
        return entry
    }

    private func series(for key: Int, routeLabel: String, method: HTTPMethod, status: Int) -> Series {
        series.withLock { table -> Series in
            if let existing = table[key] { return existing }
            let labels = [
                // Methods outside the usual six share one series: a caller inventing methods
                // cannot grow the registry.
                ("route", routeLabel), ("method", Self.methodCode(method) == 7 ? "OTHER" : method.rawValue), ("status", String(status)),
            ]
            let created = Series(
                key: key,
                count: registry.makeCounter(
                    descriptor: .mote("http_requests", unit: "total", help: "HTTP requests answered."), labels: labels),
                duration: registry.makeDurationHistogram(
                    descriptor: .mote(
                        "http_request_duration", unit: "seconds",
                        help: "Time from a request's head to its answer being written."),
                    labels: labels, buckets: RequestMetrics.buckets))
            table[key] = created
            return created
        }
    }

    /// Counts a connection that was accepted.
    public func connectionOpened() {
        open.add(1, ordering: .relaxed)
        connections.increment()
    }

    /// Counts a connection that closed.
    public func connectionClosed() {
        open.subtract(1, ordering: .relaxed)
        connections.decrement()
    }

    /// Connections open now.
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// Requests answered since start.
    public var requestsAnswered: Int { answered.load(ordering: .relaxed) }

    static func methodCode(_ method: HTTPMethod) -> Int {
        switch method {
        case .GET: return 1
        case .POST: return 2
        case .PUT: return 3
        case .DELETE: return 4
        case .HEAD: return 5
        case .PATCH: return 6
        default: return 7
        }
    }

    /// The Prometheus text exposition of everything in the registry.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}

extension MetricNameDescriptor {
    /// A metric named `mote_<name>[_<unit>]`.
    public static func mote(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mote", metricName: name, unitName: unit, helpText: help)
    }
}
