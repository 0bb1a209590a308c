public import MoteCore
import NIOHTTP1

extension ErrorCode {
    /// A browser's request from another origin, or to a host name that is not this machine's
    /// loopback (DNS rebinding) (403).
    public static let crossOrigin: ErrorCode = "cross_origin"
}

/// What a request from a web browser must look like. The socket has no CORS: a page of another
/// origin may not read or change anything. Browsers mark their requests (`Origin`,
/// `Sec-Fetch-Site`); other clients do not and are not affected. A marked request is refused
/// (403 `cross_origin`) when it names a host other than the loopback (`localhost`,
/// `127.0.0.1`, `[::1]`, any port: a page whose name was rebound to 127.0.0.1 still names
/// its own host), when its `Origin` is another origin than its `Host`, or when it changes
/// something (any method but GET and HEAD) from a page that is not same-origin.
public enum BrowserOrigin {
    /// The refusal of `head`, nil when it may go on.
    public static func refusal(_ head: RequestHead) -> APIError? {
        let origin = head.headers.first(name: "origin")
        let site = head.headers.first(name: "sec-fetch-site")
        guard origin != nil || site != nil else { return nil }
        let host = head.headers.first(name: "host") ?? ""
        guard isLoopback(host) else {
            return APIError(
                status: 403, code: .crossOrigin,
                message: "a browser may reach moted only as localhost, 127.0.0.1 or [::1] (this request names '\(host)')")
        }
        if let origin, origin != "http://" + host, origin != "https://" + host {
            return APIError(status: 403, code: .crossOrigin, message: "requests from another origin (\(origin)) are refused")
        }
        if head.method != .GET, head.method != .HEAD, let site, site != "same-origin", site != "none" {
            return APIError(status: 403, code: .crossOrigin, message: "a change from a \(site) page is refused")
        }
        return nil
    }

    /// Whether a `Host` value names the loopback (with or without a port).
    static func isLoopback(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("[") {
            guard let end = name.firstIndex(of: "]") else { return false }
            name = name[name.index(after: name.startIndex)..<end]
            return name == "::1"
        }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        return name == "localhost" || name == "127.0.0.1"
    }
}
