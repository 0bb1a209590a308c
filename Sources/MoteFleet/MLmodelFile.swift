public import MoteImport

/// An MLflow model directory's `MLmodel` file: which flavours it was logged with and each
/// flavour's data file, read from the YAML MLflow writes (block mappings of scalars, folded
/// quoted scalars, lists; nothing else is needed, and anything else is skipped).
public struct MLmodelFile: Sendable, Equatable {
    /// Flavour name -> its scalar keys (`data`, `model_class`, `model_format`, ...).
    public var flavors: [String: [String: String]]
    /// `model_size_bytes`, when MLflow recorded it.
    public var modelSizeBytes: Int?
    public var runID: String?

    /// What mote loads from the directory: the format and the file name within it.
    public struct Choice: Sendable, Equatable {
        public var format: ImportedModel.Format
        public var file: String

        public init(format: ImportedModel.Format, file: String) {
            self.format = format
            self.file = file
        }
    }

    public init(_ text: String) {
        var flavors: [String: [String: String]] = [:]
        var size: Int?
        var run: String?
        Self.walk(text) { path, value in
            switch (path.count, path.first) {
            case (1, "model_size_bytes"): size = value.flatMap { Int($0) }
            case (1, "run_id"): run = value
            // A flavour counts even with only nested keys; its scalars are kept.
            case (2, "flavors"): if value == nil, flavors[path[1]] == nil { flavors[path[1]] = [:] }
            case (3, "flavors"): if let value { flavors[path[1], default: [:]][path[2]] = value }
            default: break
            }
        }
        self.flavors = flavors
        modelSizeBytes = size
        runID = run
    }

    /// The flavour mote can load — `lightgbm` (a Booster's text model), `xgboost` (UBJSON or
    /// JSON), `onnx` — or why none can be: the reason names the flavours found.
    public func choice() -> Result<Choice, ChoiceFailure> {
        var reasons: [String] = []
        if let f = flavors["lightgbm"] {
            let data = f["data"] ?? ""
            if data.hasSuffix(".lgb") || data.hasSuffix(".txt") { return .success(Choice(format: .lightgbm, file: data)) }
            reasons.append(
                "the lightgbm flavour holds \(data.isEmpty ? "no data file" : "'\(data)'") (\(f["model_class"] ?? "?")), a pickled scikit-learn wrapper; log the Booster (model.booster_) with mlflow.lightgbm.log_model")
        }
        if let f = flavors["xgboost"] {
            let data = f["data"] ?? ""
            if data.hasSuffix(".ubj") || data.hasSuffix(".json") { return .success(Choice(format: .xgboost, file: data)) }
            reasons.append("the xgboost flavour holds '\(data)' (format \(f["model_format"] ?? "?")); log it with model_format=\"ubj\" or \"json\"")
        }
        if let f = flavors["onnx"] {
            let data = f["data"] ?? ""
            if data.hasSuffix(".onnx") { return .success(Choice(format: .onnx, file: data)) }
            reasons.append("the onnx flavour names no .onnx file ('\(data)')")
        }
        if reasons.isEmpty {
            let found = flavors.keys.sorted()
            reasons.append(
                "flavours \(found.isEmpty ? "(none)" : found.joined(separator: ", ")): mote loads lightgbm (model.lgb), xgboost (model.ubj/.json) and onnx (model.onnx)")
        }
        return .failure(ChoiceFailure(reason: reasons.joined(separator: "; ")))
    }

    public struct ChoiceFailure: Error, Sendable, Equatable {
        public var reason: String
    }

    // MARK: - The YAML subset

    /// One logical line: its indentation, key and inline value (nil: a nested mapping follows).
    private struct Entry {
        var indent: Int
        var key: String
        var value: String?
    }

    private static func entries(_ text: String) -> [Entry] {
        var out: [Entry] = []
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        var lastScalarIndent: Int?
        while let line = lines.popFirst() {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if content.isEmpty || content.hasPrefix("#") { continue }
            // A list item, or a folded plain scalar's next line: not a key of its own.
            if content.hasPrefix("- ") || content == "-" { continue }
            if let scalarIndent = lastScalarIndent, indent > scalarIndent { continue }
            guard let colon = keyEnd(content) else { continue }
            let key = unquote(String(content[..<colon]).trimmingSpaces())
            var rest = String(content[content.index(after: colon)...]).trimmingSpaces()
            if rest.hasPrefix("#") { rest = "" }
            if rest.isEmpty {
                out.append(Entry(indent: indent, key: key, value: nil))
                lastScalarIndent = nil
                continue
            }
            // A quoted scalar may go on over the next lines (folded), until its closing quote.
            if let quote = rest.first, quote == "'" || quote == "\"" {
                while !isClosed(rest, quote: quote), let next = lines.popFirst() {
                    rest += " " + String(next).trimmingSpaces()
                }
            }
            out.append(Entry(indent: indent, key: key, value: unquote(rest)))
            lastScalarIndent = indent
        }
        return out
    }

    /// Calls `visit` with every key's path and its scalar (nil: a nested mapping or `null`).
    private static func walk(_ text: String, _ visit: ([String], String?) -> Void) {
        var stack: [(indent: Int, key: String)] = []
        for entry in entries(text) {
            while let top = stack.last, top.indent >= entry.indent { stack.removeLast() }
            let path = stack.map(\.key) + [entry.key]
            visit(path, entry.value == "null" || entry.value == "~" ? nil : entry.value)
            if entry.value == nil { stack.append((entry.indent, entry.key)) }
        }
    }

    /// The colon that ends a mapping key (followed by a space or the line's end), outside quotes.
    private static func keyEnd(_ s: Substring) -> String.Index? {
        var quote: Character?
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                if i == s.startIndex { quote = c }
            } else if c == ":" {
                let next = s.index(after: i)
                if next == s.endIndex || s[next] == " " { return i }
            }
            i = s.index(after: i)
        }
        return nil
    }

    private static func isClosed(_ s: String, quote: Character) -> Bool {
        let body = s.dropFirst()
        if quote == "\"" {
            var escaped = false
            for c in body {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { return true }
            }
            return false
        }
        // Single quotes: '' is an escaped quote.
        var i = body.startIndex
        while i < body.endIndex {
            if body[i] == "'" {
                let next = body.index(after: i)
                if next < body.endIndex, body[next] == "'" { i = body.index(after: next); continue }
                return true
            }
            i = body.index(after: i)
        }
        return false
    }

    private static func unquote(_ s: String) -> String {
        guard let first = s.first, first == "'" || first == "\"", s.count >= 2, s.last == first else { return s }
        let inner = String(s.dropFirst().dropLast())
        return first == "'" ? inner.replacing("''", with: "'") : inner.replacing("\\\"", with: "\"")
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
