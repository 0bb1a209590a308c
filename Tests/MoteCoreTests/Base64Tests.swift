import MoteCore
import Testing

@Suite("base64")
struct Base64Tests {
    @Test("RFC 4648 vectors round-trip", arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("all byte values round-trip; malformed text is refused")
    func roundTrip() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        for bad in ["Zg=", "Z===", "Zm9v!A==", "Zm 9v"] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }
}
