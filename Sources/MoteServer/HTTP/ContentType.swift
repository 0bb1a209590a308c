/// Content-Type checks on raw header bytes.
enum ContentType {
    /// Whether a Content-Type names JSON (`application/json`, `*+json`, `application/x-ndjson`),
    /// compared as ASCII bytes, case-insensitively, parameters after `;` ignored.
    static func isJSON(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        var end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.count
        var start = 0
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start += 1 }
        while end > start, utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09 { end -= 1 }
        let base = UnsafeBufferPointer(rebasing: utf8[start..<end])
        func equals(_ literal: StaticString, from offset: Int = 0) -> Bool {
            let length = literal.utf8CodeUnitCount
            guard base.count - offset == length else { return false }
            let pattern = literal.utf8Start
            for i in 0..<length {
                let b = base[offset + i]
                if (b >= 0x41 && b <= 0x5A ? b | 0x20 : b) != pattern[i] { return false }
            }
            return true
        }
        return equals("application/json") || equals("application/x-ndjson")
            || (base.count > 5 && equals("+json", from: base.count - 5))
    }

    /// The same for a header value as text.
    static func isJSON(_ contentType: String) -> Bool {
        var text = contentType
        return text.withUTF8 { isJSON($0) }
    }
}
