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
