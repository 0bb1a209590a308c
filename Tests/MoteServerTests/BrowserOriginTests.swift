import MoteCore
@testable import MoteServer
import NIOHTTP1
import Testing

/// A browser reaches moted only as the loopback, from its own origin; other clients (no
/// `Origin`, no `Sec-Fetch-Site`) are not affected.
@Suite("requests from browsers")
struct BrowserOriginTests {
    func head(_ method: HTTPMethod, _ headers: [(String, String)]) -> RequestHead {
        RequestHead(method: method, uri: "/v1/status", headers: RequestHeaders(headers))
    }

    @Test("same-origin loopback pages pass; other hosts, other origins and cross-site changes are refused; plain clients pass")
    func rules() {
        // Plain clients: any Host, no browser marks.
        #expect(BrowserOrigin.refusal(head(.POST, [("Host", "mote")])) == nil)
        #expect(BrowserOrigin.refusal(head(.GET, [])) == nil)
        // The console through a tunnel or motectl ui.
        for host in ["localhost:8480", "127.0.0.1:8480", "[::1]:8480", "localhost"] {
            #expect(BrowserOrigin.refusal(head(.GET, [("Host", host), ("Sec-Fetch-Site", "none")])) == nil, "\(host)")
            #expect(BrowserOrigin.refusal(head(.PUT, [("Host", host), ("Origin", "http://\(host)"), ("Sec-Fetch-Site", "same-origin")])) == nil)
        }
        // DNS rebinding: the page names its own host.
        #expect(BrowserOrigin.refusal(head(.GET, [("Host", "evil.example:8480"), ("Sec-Fetch-Site", "same-origin")]))?.code == .crossOrigin)
        #expect(BrowserOrigin.refusal(head(.GET, [("Host", "localhost.evil.example"), ("Sec-Fetch-Site", "none")]))?.code == .crossOrigin)
        // Another origin, reading or writing.
        #expect(BrowserOrigin.refusal(head(.GET, [("Host", "localhost:8480"), ("Origin", "http://evil.example")]))?.code == .crossOrigin)
        #expect(BrowserOrigin.refusal(head(.POST, [("Host", "localhost:8480"), ("Origin", "http://localhost:9999")]))?.status == 403)
        // A change from a cross-site page without Origin (a form or a navigation).
        #expect(BrowserOrigin.refusal(head(.POST, [("Host", "localhost:8480"), ("Sec-Fetch-Site", "cross-site")]))?.code == .crossOrigin)
        #expect(BrowserOrigin.refusal(head(.GET, [("Host", "localhost:8480"), ("Sec-Fetch-Site", "cross-site")])) == nil)
    }
}
