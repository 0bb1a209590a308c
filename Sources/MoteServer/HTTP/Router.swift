public import NIOHTTP1
import MoteCore

/// Finds the route for a method and path. Static paths are one dictionary lookup; patterns
/// with `{name}` segments are matched segment by segment.
public struct Router: Sendable {
    /// The outcome of a lookup.
    public enum Match: Sendable {
        case found(Route, parameters: [String: String])
        /// The path exists with other methods.
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    public private(set) var routes: [Route] = []
    private var staticRoutes: [String: [Int]] = [:]
    private var patternRoutes: [(segments: [Segment], index: Int)] = []

    enum Segment: Sendable, Equatable {
        case literal(Substring)
        case parameter(String)
    }

    public init(_ routes: [Route] = []) {
        for route in routes { add(route) }
    }

    /// Adds a route; later routes never shadow earlier ones with the same method and pattern.
    public mutating func add(_ route: Route) {
        var route = route
        route.index = routes.count
        routes.append(route)
        if route.pattern.contains("{") {
            let segments = route.pattern.split(separator: "/").map { part -> Segment in
                if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
                return .literal(part)
            }
            patternRoutes.append((segments, route.index))
        } else {
            staticRoutes[route.pattern, default: []].append(route.index)
        }
    }

    /// Matches `method` and `path` (no query string).
    public func match(_ method: HTTPMethod, _ path: String) -> Match {
        var allowed: [HTTPMethod] = []
        if let candidates = staticRoutes[path] {
            for index in candidates {
                if routes[index].method == method { return .found(routes[index], parameters: [:]) }
                allowed.append(routes[index].method)
            }
        }
        if !patternRoutes.isEmpty {
            let parts = path.split(separator: "/")
            for (segments, index) in patternRoutes where segments.count == parts.count {
                var parameters: [String: String] = [:]
                var matched = true
                for (segment, part) in zip(segments, parts) {
                    switch segment {
                    case .literal(let text):
                        if text != part { matched = false }
                    case .parameter(let name):
                        parameters[name] = percentDecoded(part)
                    }
                    if !matched { break }
                }
                guard matched else { continue }
                if routes[index].method == method { return .found(routes[index], parameters: parameters) }
                allowed.append(routes[index].method)
            }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
    }
}
