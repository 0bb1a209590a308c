import MoteCore
@testable import MoteServer
import Testing

@Suite("content types")
struct ContentTypeTests {
    @Test("JSON bodies are recognised whatever the case and parameters", arguments: [
        "application/json", "Application/JSON", "application/json; charset=utf-8", "  application/json ;x=y",
        "application/vnd.mote+json", "application/x-ndjson", "APPLICATION/X-NDJSON",
    ])
    func json(_ type: String) {
        #expect(ContentType.isJSON(type))
    }

    @Test("other types are not JSON", arguments: [
        "text/plain", "application/jsonx", "application/xml", "", ";", "+json", "application\u{0F}json", "application/json5",
    ])
    func notJSON(_ type: String) {
        #expect(!ContentType.isJSON(type))
    }
}

/// Uploads: a multipart form split into its named parts, bytes untouched.
@Suite struct UploadedFilesTests {
    @Test func multipartPartsByName() throws {
        let binary: [UInt8] = [0, 13, 10, 45, 45, 255, 1]
        var body = Array("--XyZ\r\nContent-Disposition: form-data; name=\"model\"; filename=\"m.onnx\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += binary
        body += Array("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"reference\"\r\n\r\na,b\n1,2\n\r\n--XyZ--\r\n".utf8)
        let files = try UploadedFiles.read(contentType: "multipart/form-data; boundary=XyZ", body: body, primary: "model")
        #expect(files["model"] == binary)
        #expect(files["reference"] == Array("a,b\n1,2\n".utf8))
        #expect(files.names == ["model", "reference"])
        let raw = try UploadedFiles.read(contentType: "application/octet-stream", body: binary, primary: "model")
        #expect(raw["model"] == binary)
        #expect(throws: DomainError.self) { try UploadedFiles.read(contentType: "multipart/form-data", body: body, primary: "model") }
        #expect(throws: DomainError.self) {
            try UploadedFiles.read(contentType: "multipart/form-data; boundary=XyZ", body: Array(body.prefix(120)), primary: "model")
        }
        #expect(UploadedFiles.isUpload(contentType: "Multipart/Form-Data; boundary=a"))
        #expect(!UploadedFiles.isUpload(contentType: "application/json"))
    }
}
