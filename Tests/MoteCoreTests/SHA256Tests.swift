import MoteCore
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(text: String, digest: String) {
        #expect(SHA256.hex(of: Array(text.utf8)) == digest)
        var hasher = SHA256()
        hasher.update(text)
        #expect(hasher.hexDigest() == digest)
    }

    @Test("a million 'a's, fed in uneven pieces, give the published digest")
    func pieces() {
        let a = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256()
        var offset = 0
        var piece = 1
        while offset < a.count {
            let end = min(a.count, offset + piece)
            hasher.update(a[offset..<end])
            offset = end
            piece = piece % 97 + 13
        }
        #expect(hasher.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(SHA256.hex(of: a) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // A non-contiguous collection takes the copying path.
        #expect(SHA256.hex(of: "abc".utf8.lazy.map { $0 }) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
