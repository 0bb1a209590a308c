public import MoteCore

extension ErrorCode {
    /// A `multipart/form-data` body that cannot be split into its parts.
    public static let malformedUpload: ErrorCode = "malformed_upload"
}

extension DomainError {
    static func malformedUpload(_ message: String) -> DomainError { DomainError(.malformed, .malformedUpload, message) }
}

/// The files of an upload: a `multipart/form-data` body split into its named parts (what
/// `curl -F name=@file` sends), or an `application/octet-stream` body as the one part named
/// `primary`. Part bodies are kept as bytes, untouched.
public struct UploadedFiles: Sendable {
    public private(set) var parts: [String: [UInt8]] = [:]
    /// Part names in the order they came.
    public private(set) var names: [String] = []

    public subscript(name: String) -> [UInt8]? { parts[name] }

    /// A Content-Type's media type: lowercased, parameters and blanks dropped.
    static func mediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";").first ?? "").lowercased().filter { $0 != " " && $0 != "\t" }
    }

    /// Whether a Content-Type is `application/octet-stream` (parameters ignored, case-insensitive).
    public static func isOctetStream(contentType: String) -> Bool {
        mediaType(contentType) == "application/octet-stream"
    }

    /// Whether a Content-Type names a file upload (`application/octet-stream` or
    /// `multipart/form-data`; parameters ignored, case-insensitive).
    public static func isUpload(contentType: String) -> Bool {
        isOctetStream(contentType: contentType) || mediaType(contentType) == "multipart/form-data"
    }

    /// Reads `body` by its content type. A form without a boundary, a part without a name, a
    /// repeated name or a body that ends before its closing boundary is refused (400).
    public static func read(contentType: String, body: [UInt8], primary: String) throws(DomainError) -> UploadedFiles {
        var files = UploadedFiles()
        let lower = contentType.lowercased()
        guard lower.hasPrefix("multipart/form-data") else {
            files.parts[primary] = body
            files.names = [primary]
            return files
        }
        guard let boundaryValue = parameter("boundary", in: contentType), !boundaryValue.isEmpty else {
            throw .malformedUpload("multipart/form-data without a boundary")
        }
        let delimiter = Array("--\(boundaryValue)".utf8)
        let separator = Array("\r\n--\(boundaryValue)".utf8)
        guard var at = find(delimiter, in: body, from: 0) else { throw .malformedUpload("the form has no part (boundary not found)") }
        at += delimiter.count
        while true {
            // "--" after a boundary ends the form.
            if body.count >= at + 2, body[at] == UInt8(ascii: "-"), body[at + 1] == UInt8(ascii: "-") { break }
            guard let headStart = find([13, 10], in: body, from: at).map({ $0 + 2 }),
                let headEnd = find([13, 10, 13, 10], in: body, from: headStart)
            else { throw .malformedUpload("a form part has no header end") }
            let head = String(decoding: body[headStart..<headEnd], as: UTF8.self)
            var name: String?
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: String(line))
            }
            guard let name, !name.isEmpty else { throw .malformedUpload("a form part has no name (Content-Disposition: form-data; name=...)") }
            let contentStart = headEnd + 4
            guard let contentEnd = find(separator, in: body, from: contentStart) else {
                throw .malformedUpload("form part '\(name)' does not end with the boundary (truncated upload?)")
            }
            guard files.parts[name] == nil else { throw .malformedUpload("form part '\(name)' is given twice") }
            files.parts[name] = Array(body[contentStart..<contentEnd])
            files.names.append(name)
            at = contentEnd + separator.count
        }
        return files
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].lowercased().filter({ $0 != " " }) == key else { continue }
            var v = Substring(kv[1]).drop { $0 == " " }
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = v.dropFirst().dropLast() }
            return String(v)
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var k = 1
                while k < needle.count, haystack[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
