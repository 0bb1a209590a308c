import Foundation
import Testing

/// docs/openapi.yaml describes every route the router knows, and nothing else: the routes
/// declared in the sources (`Route(.METHOD, "/path", ...)`) and the document's operations
/// are the same set. A route added without its documentation fails here.
@Suite("OpenAPI document coverage")
struct OpenAPICoverageTests {
    static let root = String(#filePath.split(separator: "/Tests/")[0])

    /// `METHOD /path` of every route declared in Sources/.
    static func declaredRoutes() throws -> Set<String> {
        let pattern = try NSRegularExpression(pattern: #"Route\(\.(GET|POST|PUT|DELETE|PATCH|HEAD), "([^"]+)""#)
        var out = Set<String>()
        let files = FileManager.default.enumerator(atPath: root + "/Sources")
        while let file = files?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: root + "/Sources/" + file, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let method = String(text[Range(m.range(at: 1), in: text)!])
                let path = String(text[Range(m.range(at: 2), in: text)!])
                out.insert("\(method) \(path)")
            }
        }
        return out
    }

    /// `METHOD /path` of every operation in docs/openapi.yaml (paths at two spaces, methods at four).
    static func documentedOperations() throws -> Set<String> {
        let text = try String(contentsOfFile: root + "/docs/openapi.yaml", encoding: .utf8)
        var out = Set<String>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" "), !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.dropFirst(4).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "post", "put", "delete", "patch", "head"].contains(key) { out.insert("\(key.uppercased()) \(path)") }
            }
        }
        return out
    }

    @Test("every route of the router is an operation of docs/openapi.yaml, and every operation a route")
    func sameSets() throws {
        let routes = try Self.declaredRoutes()
        let documented = try Self.documentedOperations()
        #expect(routes.count >= 59, "routes found: \(routes.count)")
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from docs/openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "operations in docs/openapi.yaml that no route serves")
    }
}
