/// A TOML 1.0 parser with line-accurate errors. No Foundation.
///
/// Date-times are validated for shape and kept as text; everything else is typed.
public struct TOMLParser {
    /// A syntax error: what, and where (1-based line and column).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var line: Int
        public var column: Int
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Parses a whole document.
    public static func parse(_ text: String) throws(Failure) -> TOMLTable {
        var parser = TOMLParser(Array(text.utf8))
        return try parser.parseDocument()
    }

    // MARK: - State

    private let s: [UInt8]
    private var i = 0
    /// Arrays and inline tables open around the value being read.
    private var depth = 0
    /// Deepest nesting of arrays and inline tables read (deeper is an error, not a stack overflow).
    public static let maxDepth = 64
    private var line = 1
    private var lineStart = 0

    private init(_ bytes: [UInt8]) { s = bytes }

    private func fail(_ message: String) -> Failure {
        Failure(message: message, line: line, column: i - lineStart + 1)
    }

    private var atEnd: Bool { i >= s.count }
    private var current: UInt8 { s[i] }

    private func peek(_ offset: Int = 0) -> UInt8? {
        i + offset < s.count ? s[i + offset] : nil
    }

    private mutating func advanceLine() {
        line += 1
        lineStart = i
    }

    private mutating func skipSpaces() {
        while !atEnd, current == 0x20 || current == 0x09 { i += 1 }
    }

    private mutating func skipComment() throws(Failure) {
        guard !atEnd, current == UInt8(ascii: "#") else { return }
        while !atEnd, current != 0x0A {
            if current < 0x20, current != 0x09, current != 0x0D { throw fail("control character in comment") }
            i += 1
        }
    }

    /// Consumes the end of a line (newline or end of input), after optional spaces and comment.
    private mutating func endOfLine() throws(Failure) {
        skipSpaces()
        try skipComment()
        if atEnd { return }
        if current == 0x0D, peek(1) == 0x0A { i += 1 }
        guard current == 0x0A else { throw fail("expected the end of the line") }
        i += 1
        advanceLine()
    }

    /// Skips blank lines, comments and whitespace including newlines (inside arrays).
    private mutating func skipWhitespaceAndNewlines() throws(Failure) {
        while !atEnd {
            switch current {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A: i += 1; advanceLine()
            case UInt8(ascii: "#"): try skipComment()
            default: return
            }
        }
    }

    // MARK: - Document

    private mutating func parseDocument() throws(Failure) -> TOMLTable {
        let root = TOMLTableBox(line: 1)
        root.explicitlyDefined = true
        var currentTable = root
        while true {
            try skipWhitespaceAndNewlines()
            if atEnd { break }
            if current == UInt8(ascii: "[") {
                let headerLine = line
                if peek(1) == UInt8(ascii: "[") {
                    i += 2
                    skipSpaces()
                    let path = try parseKey()
                    skipSpaces()
                    guard peek() == UInt8(ascii: "]"), peek(1) == UInt8(ascii: "]") else { throw fail("expected ']]'") }
                    i += 2
                    currentTable = try root.appendArrayTable(path: path, line: headerLine)
                } else {
                    i += 1
                    skipSpaces()
                    let path = try parseKey()
                    skipSpaces()
                    guard peek() == UInt8(ascii: "]") else { throw fail("expected ']'") }
                    i += 1
                    currentTable = try root.defineTable(path: path, line: headerLine)
                }
                try endOfLine()
            } else {
                try parseKeyValue(into: currentTable)
                try endOfLine()
            }
        }
        return root.freeze()
    }

    private mutating func parseKeyValue(into table: TOMLTableBox) throws(Failure) {
        let keyLine = line
        let path = try parseKey()
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else { throw fail("expected '=' after the key") }
        i += 1
        skipSpaces()
        let node = try parseValueNode()
        try table.insert(path: path, node: node, line: keyLine)
    }

    // MARK: - Keys

    private mutating func parseKey() throws(Failure) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard !atEnd else { throw fail("expected a key") }
            switch current {
            case UInt8(ascii: "\""):
                parts.append(try parseBasicString())
            case UInt8(ascii: "'"):
                parts.append(try parseLiteralString())
            default:
                let start = i
                while !atEnd, isBareKeyByte(current) { i += 1 }
                guard i > start else { throw fail("invalid key") }
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
            }
            skipSpaces()
            if peek() == UInt8(ascii: ".") {
                i += 1
                continue
            }
            return parts
        }
    }

    private func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }

    // MARK: - Values

    private mutating func parseValueNode() throws(Failure) -> TOMLNode {
        guard !atEnd else { throw fail("expected a value") }
        switch current {
        case UInt8(ascii: "{"):
            try enterNested()
            defer { depth -= 1 }
            return .inlineTable(try parseInlineTable())
        case UInt8(ascii: "["):
            try enterNested()
            defer { depth -= 1 }
            return .value(.array(try parseArray()))
        default:
            return .value(try parseScalar())
        }
    }

    private mutating func enterNested() throws(Failure) {
        guard depth < Self.maxDepth else { throw fail("arrays and inline tables nested deeper than \(Self.maxDepth)") }
        depth += 1
    }

    private mutating func parseValue() throws(Failure) -> TOMLValue {
        switch try parseValueNode() {
        case .value(let v): return v
        case .inlineTable(let box): return .table(box.freeze())
        case .table(let box): return .table(box.freeze())
        case .tableArray(let boxes): return .array(boxes.map { .table($0.freeze()) })
        }
    }

    private mutating func parseScalar() throws(Failure) -> TOMLValue {
        switch current {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { return .string(try parseMultilineBasicString()) }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") { return .string(try parseMultilineLiteralString()) }
            return .string(try parseLiteralString())
        case UInt8(ascii: "t"):
            try word("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try word("false")
            return .bool(false)
        default:
            return try parseNumberOrDate()
        }
    }

    private mutating func word(_ w: String) throws(Failure) {
        let bytes = Array(w.utf8)
        guard i + bytes.count <= s.count, Array(s[i..<(i + bytes.count)]) == bytes else { throw fail("invalid value") }
        i += bytes.count
    }

    private mutating func parseArray() throws(Failure) -> [TOMLValue] {
        i += 1  // [
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceAndNewlines()
            guard !atEnd else { throw fail("unterminated array") }
            if current == UInt8(ascii: "]") { i += 1; return elements }
            elements.append(try parseValue())
            try skipWhitespaceAndNewlines()
            guard !atEnd else { throw fail("unterminated array") }
            if current == UInt8(ascii: ",") { i += 1; continue }
            if current == UInt8(ascii: "]") { i += 1; return elements }
            throw fail("expected ',' or ']' in array")
        }
    }

    private mutating func parseInlineTable() throws(Failure) -> TOMLTableBox {
        let box = TOMLTableBox(line: line)
        box.explicitlyDefined = true
        i += 1  // {
        skipSpaces()
        if peek() == UInt8(ascii: "}") { i += 1; return box }
        while true {
            skipSpaces()
            try parseKeyValue(into: box)
            skipSpaces()
            guard !atEnd else { throw fail("unterminated inline table") }
            if current == UInt8(ascii: ",") { i += 1; continue }
            if current == UInt8(ascii: "}") { i += 1; return box }
            throw fail("expected ',' or '}' in inline table")
        }
    }

    // MARK: - Strings

    private mutating func parseBasicString() throws(Failure) -> String {
        i += 1  // "
        var out: [UInt8] = []
        while true {
            guard !atEnd else { throw fail("unterminated string") }
            let b = current
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b == 0x0A { throw fail("newline in a single-line string") }
            if b == UInt8(ascii: "\\") {
                try parseEscape(into: &out)
                continue
            }
            if b < 0x20 && b != 0x09 || b == 0x7F { throw fail("control character in string") }
            out.append(b)
            i += 1
        }
        return try makeString(out)
    }

    private mutating func parseMultilineBasicString() throws(Failure) -> String {
        i += 3
        if peek() == 0x0A { i += 1; advanceLine() } else if peek() == 0x0D, peek(1) == 0x0A { i += 2; advanceLine() }
        var out: [UInt8] = []
        while true {
            guard !atEnd else { throw fail("unterminated multi-line string") }
            let b = current
            if b == UInt8(ascii: "\""), peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                // Up to two extra quotes may close the string ("""a"""" is a" + ").
                var extra = 0
                while extra < 2, peek(3 + extra) == UInt8(ascii: "\"") { extra += 1 }
                for _ in 0..<extra { out.append(UInt8(ascii: "\"")) }
                i += 3 + extra
                break
            }
            if b == UInt8(ascii: "\\") {
                // Line-ending backslash trims the newline and following whitespace.
                var j = i + 1
                while j < s.count, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
                if j < s.count, s[j] == 0x0A || (s[j] == 0x0D && j + 1 < s.count && s[j + 1] == 0x0A) {
                    i = j
                    while !atEnd, current == 0x20 || current == 0x09 || current == 0x0A || current == 0x0D {
                        if current == 0x0A { i += 1; advanceLine() } else { i += 1 }
                    }
                    continue
                }
                try parseEscape(into: &out)
                continue
            }
            if b == 0x0A { out.append(b); i += 1; advanceLine(); continue }
            if b < 0x20 && b != 0x09 && b != 0x0D || b == 0x7F { throw fail("control character in string") }
            out.append(b)
            i += 1
        }
        return try makeString(out)
    }

    private mutating func parseLiteralString() throws(Failure) -> String {
        i += 1
        let start = i
        while true {
            guard !atEnd else { throw fail("unterminated string") }
            if current == UInt8(ascii: "'") { break }
            if current == 0x0A { throw fail("newline in a single-line string") }
            if current < 0x20 && current != 0x09 { throw fail("control character in string") }
            i += 1
        }
        let text = try makeString(Array(s[start..<i]))
        i += 1
        return text
    }

    private mutating func parseMultilineLiteralString() throws(Failure) -> String {
        i += 3
        if peek() == 0x0A { i += 1; advanceLine() } else if peek() == 0x0D, peek(1) == 0x0A { i += 2; advanceLine() }
        var out: [UInt8] = []
        while true {
            guard !atEnd else { throw fail("unterminated multi-line string") }
            if current == UInt8(ascii: "'"), peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                var extra = 0
                while extra < 2, peek(3 + extra) == UInt8(ascii: "'") { extra += 1 }
                for _ in 0..<extra { out.append(UInt8(ascii: "'")) }
                i += 3 + extra
                break
            }
            if current == 0x0A { out.append(current); i += 1; advanceLine(); continue }
            out.append(current)
            i += 1
        }
        return try makeString(out)
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(Failure) {
        i += 1
        guard !atEnd else { throw fail("unterminated escape") }
        let e = current
        i += 1
        switch e {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "e"): out.append(0x1B)
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = e == UInt8(ascii: "u") ? 4 : 8
            guard i + digits <= s.count else { throw fail("truncated unicode escape") }
            var v: UInt32 = 0
            for _ in 0..<digits {
                guard let d = hexValue(current) else { throw fail("invalid unicode escape") }
                v = v &* 16 &+ d
                i += 1
            }
            guard let scalar = Unicode.Scalar(v) else { throw fail("invalid unicode scalar") }
            out.append(contentsOf: String(Character(scalar)).utf8)
        default:
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
        }
    }

    private func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - 0x61 + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - 0x41 + 10)
        default: return nil
        }
    }

    private func makeString(_ bytes: [UInt8]) throws(Failure) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("invalid UTF-8") }
        return text
    }

    // MARK: - Numbers and dates

    private mutating func parseNumberOrDate() throws(Failure) -> TOMLValue {
        let start = i
        // A date starts with 4 digits and '-'; a local time with 2 digits and ':'.
        if i + 4 < s.count, (0..<4).allSatisfy({ isDigit(s[i + $0]) }), s[i + 4] == UInt8(ascii: "-") {
            return .datetime(try scanDateTime())
        }
        if i + 2 < s.count, isDigit(s[i]), isDigit(s[i + 1]), s[i + 2] == UInt8(ascii: ":") {
            return .datetime(try scanDateTime())
        }
        while !atEnd {
            let b = current
            if isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ".") || (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A)
            {
                i += 1
            } else {
                break
            }
        }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        guard !text.isEmpty else { throw fail("expected a value") }
        if let value = TOMLParser.number(text) { return value }
        i = start
        throw fail("invalid value '\(text)'")
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private mutating func scanDateTime() throws(Failure) -> String {
        let start = i
        while !atEnd {
            let b = current
            if isDigit(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: ":") || b == UInt8(ascii: ".")
                || b == UInt8(ascii: "T") || b == UInt8(ascii: "t") || b == UInt8(ascii: "Z")
                || b == UInt8(ascii: "z") || b == UInt8(ascii: "+")
            {
                i += 1
            } else if b == 0x20, let next = peek(1), isDigit(next), i - start == 10 {
                i += 1  // "1979-05-27 07:32:00"
            } else {
                break
            }
        }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        guard RFC3339.isPlausibleTOMLDateTime(text) else { throw fail("invalid date-time '\(text)'") }
        return text
    }

    /// Parses a TOML integer or float literal, nil when it is not one.
    static func number(_ raw: String) -> TOMLValue? {
        switch raw {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        // Underscores only between digits.
        let chars = Array(raw)
        for (k, c) in chars.enumerated() where c == "_" {
            guard k > 0, k < chars.count - 1, chars[k - 1].isHexDigit, chars[k + 1].isHexDigit else { return nil }
        }
        let text = raw.replacingUnderscores()
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            guard let v = Int64(text.dropFirst(2), radix: radix) else { return nil }
            return .integer(v)
        }
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard let first = digits.first, first.isASCII, first.isNumber else { return nil }
        if digits.count > 1, first == "0", digits.dropFirst().first?.isNumber == true { return nil }  // leading zero
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            if let dot = text.firstIndex(of: ".") {
                let after = text.index(after: dot)
                guard dot > text.startIndex, text[text.index(before: dot)].isNumber,
                    after < text.endIndex, text[after].isNumber
                else { return nil }
            }
            guard let d = Double(text) else { return nil }
            return .float(d)
        }
        guard let v = Int64(text) else { return nil }
        return .integer(v)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(self.filter { $0 != "_" })
    }
}
