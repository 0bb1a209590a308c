import CSQLite
public import MoteCore

/// One SQLite connection. Not thread-safe: a connection is used by one thread at a time, and
/// `Database` hands connections out under a lock.
public final class SQLiteConnection: @unchecked Sendable {
    let handle: OpaquePointer
    /// The database file path.
    public let path: String
    /// The file's name, for messages that may reach a caller (no paths of the box in answers).
    let fileName: Substring
    private var statementCache: [String: SQLiteStatement] = [:]

    /// Opens (creating when `create`) the database file at `path`.
    public init(path: String, readOnly: Bool = false, create: Bool = true) throws(MoteError) {
        var db: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw MoteError(.storage, "cannot open database \(path): \(message)")
        }
        self.handle = db
        self.path = path
        self.fileName = path.split(separator: "/").last ?? Substring(path)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The last error message of this connection.
    var lastError: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ what: String) -> MoteError {
        failure(what, code: sqlite3_errcode(handle), message: lastError)
    }

    /// The error for a failed call: `disk_full` when SQLite ran out of space (SQLITE_FULL),
    /// else a storage fault naming the database file (not its path).
    func failure(_ what: String, code: Int32, message: String) -> MoteError {
        if code & 0xFF == SQLITE_FULL {
            return MoteError(.diskFull, "\(fileName): \(message)")
        }
        return MoteError(.storage, "\(what) (\(fileName)): \(message)")
    }

    /// Runs one or more SQL statements that return no rows.
    public func execute(_ sql: String) throws(MoteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? lastError
            sqlite3_free(message)
            throw failure("SQL failed", code: rc, message: text)
        }
    }

    /// Prepares a statement (not cached).
    public func prepare(_ sql: String) throws(MoteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error("cannot prepare `\(sql)`") }
        return SQLiteStatement(statement, connection: self)
    }

    /// A prepared statement kept for reuse on this connection, reset and unbound.
    public func cached(_ sql: String) throws(MoteError) -> SQLiteStatement {
        if let statement = statementCache[sql] {
            statement.reset()
            return statement
        }
        let statement = try prepare(sql)
        // Bounded: the cache is for a program's fixed statements; should text ever vary, the
        // cache starts over instead of growing.
        if statementCache.count >= Self.maxCachedStatements { statementCache.removeAll() }
        statementCache[sql] = statement
        return statement
    }

    /// Prepared statements kept per connection.
    static let maxCachedStatements = 256

    /// The single integer a query returns (e.g. a PRAGMA), or nil when it returns no row.
    public func scalarInt(_ sql: String) throws(MoteError) -> Int64? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.int64(0)
    }

    /// The single text value a query returns, or nil.
    public func scalarText(_ sql: String) throws(MoteError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.text(0)
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Rowid of the last insert.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Cached statements are reset at the end: a statement left mid-way would keep its read
    /// snapshot open in WAL mode, and later reads on this connection would not see new commits.
    public func transaction<T>(immediate: Bool = true, _ body: (SQLiteConnection) throws -> T) throws -> T {
        try execute(immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body(self)
            resetCachedStatements()
            try execute("COMMIT")
            return result
        } catch {
            resetCachedStatements()
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Resets every cached statement (ends their reads).
    public func resetCachedStatements() {
        for statement in statementCache.values { sqlite3_reset(statement.handle) }
    }
}

/// A prepared SQLite statement with typed binding and column access.
public final class SQLiteStatement: @unchecked Sendable {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Resets the statement for another execution and clears its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds a value to the 1-based parameter `index`.
    public func bind(_ index: Int32, _ value: SQLiteValue) {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .integer(let v): sqlite3_bind_int64(handle, index, v)
        case .double(let v): sqlite3_bind_double(handle, index, v)
        case .text(let v): sqlite3_bind_text(handle, index, v, -1, SQLiteStatement.transient)
        case .blob(let v):
            v.withUnsafeBytes { raw in
                _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), SQLiteStatement.transient)
            }
        }
    }

    /// Binds bytes as a blob to the 1-based parameter `index` (SQLite copies them).
    public func bindBlob(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        // A zero-length blob still needs a non-null pointer, or SQLite binds NULL.
        withUnsafePointer(to: 0) { empty in
            _ = sqlite3_bind_blob(
                handle, index, bytes.baseAddress ?? UnsafeRawPointer(empty), Int32(bytes.count), SQLiteStatement.transient)
        }
    }

    /// Binds UTF-8 bytes as text to the 1-based parameter `index` (SQLite copies them).
    public func bindText(_ index: Int32, _ utf8: UnsafeRawBufferPointer) {
        withUnsafePointer(to: 0) { empty in
            let start = (utf8.baseAddress ?? UnsafeRawPointer(empty)).assumingMemoryBound(to: CChar.self)
            _ = sqlite3_bind_text(handle, index, start, Int32(utf8.count), SQLiteStatement.transient)
        }
    }

    /// Binds all parameters in order.
    public func bind(_ values: [SQLiteValue]) {
        for (k, v) in values.enumerated() { bind(Int32(k + 1), v) }
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws(MoteError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error("statement failed")
    }

    /// Runs the statement to completion with `values` bound.
    public func run(_ values: [SQLiteValue] = []) throws(MoteError) {
        reset()
        bind(values)
        while try step() {}
    }

    public var columnCount: Int32 { sqlite3_column_count(handle) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: p)
    }
    /// A column's bytes without copying them: valid until the statement steps again or is
    /// reset (for a caller comparing the current rows of several statements).
    public func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        // The pointer first, then the count (SQLite's documented order).
        let p = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let p else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: count)
    }

    /// Runs `body` on a column's bytes without copying them (valid only inside `body`).
    public func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(bytes(column))
    }

}

/// A value bound to or read from SQLite.
public enum SQLiteValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
}
