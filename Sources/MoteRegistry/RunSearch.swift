public import MoteCore
import MoteStorage

/// MLflow's run search, the part edge operators use: clauses joined by `and`, each
/// `metrics.KEY OP NUMBER`, `params.KEY OP 'TEXT'`, `tags.KEY OP 'TEXT'` or
/// `attributes.status|name OP 'TEXT'` with OP one of `= != < <= > >=`; keys may be quoted with
/// backticks. Order by `metrics.KEY`, `params.KEY`, `attributes.start_time` with ASC or DESC.
public struct RunFilter: Sendable {
    enum Field: Sendable, Equatable {
        case metric(String), param(String), tag(String), status, name, startTime
    }
    enum Op: String, Sendable { case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }
    enum Operand: Sendable { case number(Double), text(String) }
    struct Clause: Sendable {
        var field: Field
        var op: Op
        var operand: Operand
    }
    var clauses: [Clause] = []

    /// Parses a filter; an empty string matches every run.
    public init(_ text: String) throws(DomainError) {
        var rest = Substring(text)
        while true {
            skipSpaces(&rest)
            if rest.isEmpty { break }
            let field = try Self.field(&rest)
            skipSpaces(&rest)
            let op = try Self.op(&rest)
            skipSpaces(&rest)
            let operand = try Self.operand(&rest)
            clauses.append(Clause(field: field, op: op, operand: operand))
            skipSpaces(&rest)
            if rest.isEmpty { break }
            guard rest.lowercased().hasPrefix("and ") else { throw RegistryNames.invalid("filter: expected 'and' at '\(rest.prefix(20))'") }
            rest = rest.dropFirst(4)
        }
    }

    static func field(_ rest: inout Substring) throws(DomainError) -> Field {
        guard let dot = rest.firstIndex(of: ".") else { throw RegistryNames.invalid("filter: expected metrics., params., tags. or attributes. at '\(rest.prefix(20))'") }
        let kind = rest[..<dot].lowercased()
        rest = rest[rest.index(after: dot)...]
        var key: String
        if rest.first == "`" {
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: "`") else { throw RegistryNames.invalid("filter: unclosed backtick") }
            key = String(rest[..<end])
            rest = rest[rest.index(after: end)...]
        } else {
            let end = rest.firstIndex { $0 == " " || $0 == "=" || $0 == "!" || $0 == "<" || $0 == ">" } ?? rest.endIndex
            key = String(rest[..<end])
            rest = rest[end...]
        }
        switch kind {
        case "metrics", "metric": return .metric(key)
        case "params", "param": return .param(key)
        case "tags", "tag": return .tag(key)
        case "attributes", "attribute", "attr", "run":
            switch key {
            case "status": return .status
            case "run_name", "name": return .name
            case "start_time": return .startTime
            default: throw RegistryNames.invalid("filter: unknown attribute '\(key)' (status, run_name, start_time)")
            }
        default: throw RegistryNames.invalid("filter: '\(kind)' is not metrics, params, tags or attributes")
        }
    }

    static func op(_ rest: inout Substring) throws(DomainError) -> Op {
        for op in [Op.le, .ge, .ne, .eq, .lt, .gt] where rest.hasPrefix(op.rawValue) {
            rest = rest.dropFirst(op.rawValue.count)
            return op
        }
        throw RegistryNames.invalid("filter: expected a comparison (= != < <= > >=) at '\(rest.prefix(20))'")
    }

    static func operand(_ rest: inout Substring) throws(DomainError) -> Operand {
        if let quote = rest.first, quote == "'" || quote == "\"" {
            rest = rest.dropFirst()
            guard let end = rest.firstIndex(of: quote) else { throw RegistryNames.invalid("filter: unclosed quote") }
            let text = String(rest[..<end])
            rest = rest[rest.index(after: end)...]
            return .text(text)
        }
        let end = rest.firstIndex(of: " ") ?? rest.endIndex
        guard let number = Double(rest[..<end]) else { throw RegistryNames.invalid("filter: '\(rest[..<end])' is neither a number nor quoted text") }
        rest = rest[end...]
        return .number(number)
    }

    /// Whether `run` passes every clause (a run without the metric, param or tag does not).
    func matches(_ run: Run) -> Bool {
        clauses.allSatisfy { clause in
            switch clause.field {
            case .metric(let key):
                guard let value = run.metrics[key]?.value, case .number(let n) = clause.operand else { return false }
                return compare(value, n, clause.op)
            case .param(let key): return run.params[key].map { compareText($0, clause.operand, clause.op) } ?? false
            case .tag(let key): return run.tags[key].map { compareText($0, clause.operand, clause.op) } ?? false
            case .status: return compareText(run.status.rawValue, clause.operand, clause.op)
            case .name: return compareText(run.name, clause.operand, clause.op)
            case .startTime:
                guard case .number(let n) = clause.operand else { return false }
                return compare(Double(run.startNanos / 1_000_000), n, clause.op)
            }
        }
    }

    func compare<T: Comparable>(_ a: T, _ b: T, _ op: Op) -> Bool {
        switch op {
        case .eq: a == b
        case .ne: a != b
        case .lt: a < b
        case .le: a <= b
        case .gt: a > b
        case .ge: a >= b
        }
    }

    func compareText(_ value: String, _ operand: Operand, _ op: Op) -> Bool {
        switch operand {
        case .text(let t): return compare(value, t, op)
        case .number(let n): return Double(value).map { compare($0, n, op) } ?? false
        }
    }
}

private func skipSpaces(_ text: inout Substring) {
    while text.first == " " { text = text.dropFirst() }
}

extension RegistryStore {
    /// Runs of the named experiments (all when empty) passing `filter`, ordered by `orderBy`
    /// (`metrics.rmse ASC`, `attributes.start_time DESC`; newest first by default), at most `limit`.
    public func searchRuns(experiments: [String], filter: RunFilter, orderBy: [String], limit: Int) throws -> [Run] {
        var runs = try read { conn -> [Run] in
            let ids = try experiments.map { try loadExperiment(conn, $0).id }
            return try runIDs(conn, experiments: ids).map { try loadRun(conn, $0) }.filter(filter.matches)
        }
        var keys: [(field: RunFilter.Field, ascending: Bool)] = []
        for text in orderBy {
            let parts = text.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = parts.first else { continue }
            var rest = first
            let field = try RunFilter.field(&rest)
            let direction = parts.count > 1 ? parts[1].uppercased() : "ASC"
            guard direction == "ASC" || direction == "DESC" else { throw RegistryNames.invalid("order_by: '\(parts[1])' is not ASC or DESC") }
            keys.append((field, direction == "ASC"))
        }
        if !keys.isEmpty {
            runs.sort { a, b in
                for key in keys {
                    let (x, y) = (sortValue(a, key.field), sortValue(b, key.field))
                    if x == y { continue }
                    // Runs without the value go last whatever the direction.
                    guard let x else { return false }
                    guard let y else { return true }
                    return key.ascending ? x < y : x > y
                }
                return a.startNanos > b.startNanos
            }
        }
        return Array(runs.prefix(limit))
    }

    private func sortValue(_ run: Run, _ field: RunFilter.Field) -> SortValue? {
        switch field {
        case .metric(let key): return run.metrics[key].map { .number($0.value) }
        case .param(let key): return run.params[key].map { Double($0).map(SortValue.number) ?? .text($0) }
        case .tag(let key): return run.tags[key].map { .text($0) }
        case .status: return .text(run.status.rawValue)
        case .name: return .text(run.name)
        case .startTime: return .number(Double(run.startNanos))
        }
    }
}

enum SortValue: Comparable {
    case number(Double), text(String)
}
