import MoteCore

/// The web console's files, inside the binary: one page (every console path answers with it),
/// the script that draws each page from the socket API, and the style sheet. Plain HTML, CSS
/// and JavaScript written here, no third-party code and nothing fetched from elsewhere.
public enum ConsoleAssets {
    /// One file: its bytes, type and a tag of its content (`ETag`).
    public struct Asset: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
        public let etag: String

        init(_ text: String, contentType: String) {
            bytes = Array(text.utf8)
            self.contentType = contentType
            etag = "\"" + String(SHA256.hex(of: bytes).prefix(16)) + "\""
        }
    }

    /// The page.
    public static let html = Asset(page, contentType: "text/html; charset=utf-8")
    /// The script.
    public static let javascript = Asset(
        scriptCore + scriptOverview + scriptRuns + scriptMonitoring, contentType: "text/javascript; charset=utf-8")
    /// The style sheet.
    public static let css = Asset(style, contentType: "text/css; charset=utf-8")

    /// The paths the console answers with its page (the script draws the page the path names).
    public static let pagePaths = [
        "/ui/", "/ui/features", "/ui/features/{view}", "/ui/runs", "/ui/runs/compare", "/ui/runs/{run}", "/ui/models", "/ui/models/{model}",
        "/ui/monitoring", "/ui/monitoring/{model}", "/ui/jobs", "/ui/jobs/{job}", "/ui/sync",
    ]
}
