/// What a key holds while a document is being parsed.
enum TOMLNode {
    case value(TOMLValue)
    case inlineTable(TOMLTableBox)
    case table(TOMLTableBox)
    case tableArray([TOMLTableBox])
}

/// A mutable table used only during parsing, so that `[a.b]` headers can reach into
/// tables defined earlier. Frozen into a `TOMLTable` at the end.
final class TOMLTableBox {
    var entries: [(key: String, node: TOMLNode, line: Int)] = []
    let line: Int
    /// Defined by a `[header]` or as an inline table (not merely implied by a dotted path).
    var explicitlyDefined = false
    /// Created by a dotted key (`a.b = 1`), which makes it closed to later `[a]` headers.
    var definedByDottedKey = false

    init(line: Int) { self.line = line }

    func index(of key: String) -> Int? { entries.firstIndex { $0.key == key } }

    private static func failure(_ message: String, line: Int) -> TOMLParser.Failure {
        TOMLParser.Failure(message: message, line: line, column: 1)
    }

    /// Inserts `node` at a (possibly dotted) key path.
    func insert(path: [String], node: TOMLNode, line: Int) throws(TOMLParser.Failure) {
        var table = self
        for (depth, part) in path.enumerated() {
            let isLast = depth == path.count - 1
            let dotted = path.prefix(depth + 1).joined(separator: ".")
            if isLast {
                guard table.index(of: part) == nil else {
                    throw TOMLTableBox.failure("key '\(dotted)' is defined twice", line: line)
                }
                table.entries.append((part, node, line))
                return
            }
            if let k = table.index(of: part) {
                guard case .table(let child) = table.entries[k].node, child.definedByDottedKey else {
                    throw TOMLTableBox.failure("key '\(dotted)' is already defined and is not a table", line: line)
                }
                table = child
            } else {
                let child = TOMLTableBox(line: line)
                child.definedByDottedKey = true
                table.entries.append((part, .table(child), line))
                table = child
            }
        }
    }

    /// Walks to the parent of a header path, creating implied tables.
    private func walk(_ path: ArraySlice<String>, line: Int) throws(TOMLParser.Failure) -> TOMLTableBox {
        var table = self
        for part in path {
            if let k = table.index(of: part) {
                switch table.entries[k].node {
                case .table(let child):
                    table = child
                case .tableArray(let children):
                    guard let lastChild = children.last else {
                        throw TOMLTableBox.failure("empty array of tables '\(part)'", line: line)
                    }
                    table = lastChild
                case .inlineTable:
                    throw TOMLTableBox.failure("inline table '\(part)' cannot be extended", line: line)
                case .value:
                    throw TOMLTableBox.failure("key '\(part)' is a value, not a table", line: line)
                }
            } else {
                let child = TOMLTableBox(line: line)
                table.entries.append((part, .table(child), line))
                table = child
            }
        }
        return table
    }

    /// Handles a `[a.b]` header.
    func defineTable(path: [String], line: Int) throws(TOMLParser.Failure) -> TOMLTableBox {
        let parent = try walk(path.dropLast(), line: line)
        let name = path[path.count - 1]
        let dotted = path.joined(separator: ".")
        if let k = parent.index(of: name) {
            guard case .table(let existing) = parent.entries[k].node else {
                throw TOMLTableBox.failure("'\(dotted)' is already defined and is not a table", line: line)
            }
            guard !existing.explicitlyDefined, !existing.definedByDottedKey else {
                throw TOMLTableBox.failure("table [\(dotted)] is defined twice", line: line)
            }
            existing.explicitlyDefined = true
            return existing
        }
        let table = TOMLTableBox(line: line)
        table.explicitlyDefined = true
        parent.entries.append((name, .table(table), line))
        return table
    }

    /// Handles a `[[a.b]]` header.
    func appendArrayTable(path: [String], line: Int) throws(TOMLParser.Failure) -> TOMLTableBox {
        let parent = try walk(path.dropLast(), line: line)
        let name = path[path.count - 1]
        let table = TOMLTableBox(line: line)
        table.explicitlyDefined = true
        if let k = parent.index(of: name) {
            guard case .tableArray(var list) = parent.entries[k].node else {
                throw TOMLTableBox.failure("'\(path.joined(separator: "."))' is already defined and is not an array of tables", line: line)
            }
            list.append(table)
            parent.entries[k].node = .tableArray(list)
        } else {
            parent.entries.append((name, .tableArray([table]), line))
        }
        return table
    }

    /// The immutable table.
    func freeze() -> TOMLTable {
        TOMLTable(
            entries: entries.map { entry in
                let value: TOMLValue
                switch entry.node {
                case .value(let v): value = v
                case .inlineTable(let box), .table(let box): value = .table(box.freeze())
                case .tableArray(let boxes): value = .array(boxes.map { .table($0.freeze()) })
                }
                return TOMLTable.Entry(key: entry.key, value: value, line: entry.line)
            },
            line: line
        )
    }
}
