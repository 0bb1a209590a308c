import MoteConsole
import MoteCore
import MoteServer
import NIOCore
import NIOHTTP1

/// The web console under `/ui/` (role read; its actions call the API, whose routes need
/// admin): the page for every console path, its script and style sheet. Answers carry a
/// content security policy (only this origin's script, style and data; never inside a frame)
/// and an `ETag`, so a browser asks again cheaply.
enum ConsoleRoutes {
    static func routes() -> [Route] {
        var routes = [
            Route(.GET, "/ui", role: .read, .inline { _ in
                var headers = HTTPHeaders()
                headers.add(name: "location", value: "/ui/")
                return Response(status: .permanentRedirect, contentType: "text/plain; charset=utf-8", body: ByteBuffer(string: "/ui/\n"), headers: headers)
            }),
            Route(.GET, "/ui/assets/console.js", role: .read, .inline { request in answer(ConsoleAssets.javascript, request) }),
            Route(.GET, "/ui/assets/console.css", role: .read, .inline { request in answer(ConsoleAssets.css, request) }),
        ]
        for path in ConsoleAssets.pagePaths {
            routes.append(Route(.GET, path, role: .read, .inline { request in answer(ConsoleAssets.html, request) }))
        }
        return routes
    }

    static func answer(_ asset: ConsoleAssets.Asset, _ request: Request) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "etag", value: asset.etag)
        headers.add(name: "cache-control", value: "no-cache")
        headers.add(name: "x-content-type-options", value: "nosniff")
        headers.add(name: "x-frame-options", value: "DENY")
        headers.add(name: "referrer-policy", value: "no-referrer")
        headers.add(
            name: "content-security-policy",
            value: "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        if request.headers.first(name: "if-none-match") == asset.etag {
            return Response(status: .notModified, contentType: asset.contentType, body: ByteBuffer(), headers: headers)
        }
        return Response(status: .ok, contentType: asset.contentType, body: ByteBuffer(bytes: asset.bytes), headers: headers)
    }
}
