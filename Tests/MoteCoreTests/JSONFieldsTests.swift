import MoteCore
import Testing

@Suite("JSON body fields")
struct JSONFieldsTests {
    func fields(_ text: String, path: String = "") throws -> JSONFields {
        try JSONFields(try JSONParser.parse(Array(text.utf8)), path: path)
    }

    @Test("typed members are read; a null member counts as absent; keys read are known")
    func reads() throws {
        let body = try fields(#"{"name":"m","n":3,"on":true,"tags":["a","b"],"obj":{"k":1},"gone":null}"#)
        #expect(try body.requiredText("name") == "m")
        #expect(try body.integer("n", 1...10) == 3)
        #expect(try body.flag("on") == true)
        #expect(try body.textList("tags") == ["a", "b"])
        #expect(try body.object("obj")?["k"] == 1)
        #expect(try body.text("gone") == nil)
        #expect(try body.text("absent") == nil)
        try body.finish()
    }

    @Test("a key no accessor asked for is 422 unknown_key naming the known keys; ignored keys pass")
    func unknownKeys() throws {
        let body = try fields(#"{"name":"m","nmae":"typo","allow_registry_cache":true}"#, path: "labels[2]")
        _ = try body.text("name")
        body.ignore("allow_registry_cache")
        do {
            try body.finish()
            Issue.record("an unknown key passed")
        } catch {
            #expect(error.kind == .invalid && error.code == .unknownKey)
            #expect(error.message == "labels[2]: unknown key 'nmae' (known: name, allow_registry_cache)")
        }
    }

    @Test("a wrong type is 422 invalid_shape naming the member; the body must be an object", arguments: [
        (#"{"n":"3"}"#, "'n' must be an integer from 1 to 10"),
        (#"{"n":11}"#, "'n' must be an integer from 1 to 10"),
        (#"{"on":1}"#, "'on' must be true or false"),
        (#"{"tags":["a",1]}"#, "'tags' must be an array of text"),
        (#"{"name":5}"#, "'name' must be text"),
        (#"{}"#, "'name' is required"),
    ])
    func wrongTypes(text: String, message: String) throws {
        let body = try fields(text)
        do {
            _ = try body.integer("n", 1...10)
            _ = try body.flag("on")
            _ = try body.textList("tags")
            _ = try body.requiredText("name")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.kind == .invalid && error.code == .invalidShape)
            #expect(error.message == message)
        }
        #expect(throws: DomainError.self) { _ = try JSONFields(JSONValue.array([])) }
    }
}
