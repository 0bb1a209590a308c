import CSQLite
import MoteCore
import MoteStorage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("SQLite databases")
struct DatabaseTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/mote-storage-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return path
    }

    let migrator = Migrator([
        .init("0001_items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT"),
        .init("0002_index", sql: "CREATE INDEX items_name ON items (name)"),
    ])

    @Test("a new database is in WAL mode with every migration applied once")
    func walAndMigrations() throws {
        let dir = temporaryDirectory()
        let path = dir + "/test.sqlite"
        let db = try Database(name: "test", path: path, migrator: migrator, options: .init())
        let mode = try db.withWriter { try $0.scalarText("PRAGMA journal_mode") }
        #expect(mode == "wal")
        let applied = try db.read { try Migrator.appliedIDs($0) }
        #expect(applied == ["0001_items", "0002_index"])
        db.close()
        // Reopening applies nothing new.
        let again = try Database(name: "test", path: path, migrator: migrator, options: .init())
        #expect(try again.read { try Migrator.appliedIDs($0) }.count == 2)
        again.close()
    }

    @Test("synchronous follows the config")
    func synchronous() throws {
        let dir = temporaryDirectory()
        let full = try Database(name: "t", path: dir + "/f.sqlite", migrator: migrator, options: .init(synchronous: .full))
        #expect(try full.withWriter { try $0.scalarInt("PRAGMA synchronous") } == 2)
        let normal = try Database(name: "t", path: dir + "/n.sqlite", migrator: migrator, options: .init(synchronous: .normal))
        #expect(try normal.withWriter { try $0.scalarInt("PRAGMA synchronous") } == 1)
    }

    @Test("a write that throws is rolled back entirely; readers see only committed rows")
    func atomicWrites() throws {
        let dir = temporaryDirectory()
        let db = try Database(name: "t", path: dir + "/a.sqlite", migrator: migrator, options: .init())
        try db.write { conn in
            try conn.prepare("INSERT INTO items (name) VALUES (?)").run([.text("kept")])
        }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write { conn in
                try conn.prepare("INSERT INTO items (name) VALUES (?)").run([.text("lost")])
                throw Boom()
            }
        }
        let names = try db.read { conn -> [String] in
            let statement = try conn.prepare("SELECT name FROM items ORDER BY id")
            var out: [String] = []
            while try statement.step() { out.append(statement.text(0) ?? "") }
            return out
        }
        #expect(names == ["kept"])
    }

    @Test("a database with a migration this binary does not know is refused before anything is written")
    func newerSchemaRefused() throws {
        let dir = temporaryDirectory()
        let path = dir + "/new.sqlite"
        let db = try Database(name: "t", path: path, migrator: migrator, options: .init())
        try db.write { conn in
            try conn.prepare("INSERT INTO mote_migrations (id, applied_at_ns, moted_version) VALUES ('0003_future', 0, '9.9')").run()
        }
        db.close()
        let before = try FileSystem.readBytes(path)
        do {
            _ = try Database(name: "t", path: path, migrator: migrator, options: .init())
            Issue.record("opened a newer database")
        } catch {
            #expect(error.code == .schemaTooNew)
            #expect(error.message.contains("0003_future"))
        }
        #expect(try FileSystem.readBytes(path) == before)
    }

    @Test("Storage lays out the state directory and opens both databases")
    func storageLayout() throws {
        let dir = temporaryDirectory() + "/state"
        let storage = try Storage(directory: StateDirectory(root: dir), options: .init(), schema: [])
        #expect(FileSystem.isDirectory(dir + "/artifacts/sha256"))
        #expect(FileSystem.isDirectory(dir + "/tmp"))
        #expect(storage.databases.map(\.name) == ["registry", "features"])
        #expect(storage.registry.diskBytes() > 0)
        storage.close()
    }
}

@Suite("SQLite snapshots")
struct SnapshotTests {
    @Test("a cached statement left mid-way does not pin a reader to an old snapshot")
    func cachedStatementsDoNotPinSnapshots() throws {
        var template = Array("/tmp/mote-storage-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let db = try Database(
            name: "t", path: dir + "/s.sqlite",
            migrator: Migrator([.init("0001", sql: "CREATE TABLE t (x INTEGER) STRICT")]), options: .init(readers: 1))
        func count() throws -> Int64 {
            try db.read { conn in
                let statement = try conn.cached("SELECT count(*) FROM t")
                _ = try statement.step()  // read one row, leave the statement unfinished
                return statement.int64(0)
            }
        }
        #expect(try count() == 0)
        try db.write { try $0.prepare("INSERT INTO t VALUES (1)").run() }
        #expect(try count() == 1)
    }
}
