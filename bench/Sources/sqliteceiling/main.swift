// sqliteceiling: the ceiling for durable pushes. Inserts ROWS rows of 10 REAL fields plus an
// entity key and two timestamps into a WAL database (synchronous=NORMAL), BATCH rows per
// transaction, with one prepared statement: what a plain SQLite batch insert does.
// usage: sqliteceiling DBPATH BATCH ROWS
import CSQLiteBench

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 4, let batch = Int(args[2]), let total = Int(args[3]) else {
    print("usage: sqliteceiling DBPATH BATCH ROWS")
    exit(2)
}
var db: OpaquePointer?
unlink(args[1]); unlink(args[1] + "-wal"); unlink(args[1] + "-shm")
sqlite3_open(args[1], &db)
sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (k TEXT, e INTEGER, c INTEGER, f0 REAL, f1 REAL, f2 REAL, f3 REAL, f4 REAL, f5 REAL, f6 REAL, f7 REAL, f8 REAL, f9 REAL)", nil, nil, nil)
var stmt: OpaquePointer?
sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &stmt, nil)
var ts = timespec()
clock_gettime(CLOCK_MONOTONIC, &ts)
let start = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
var written = 0
let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
while written < total {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nil, nil, nil)
    for i in 0..<min(batch, total - written) {
        sqlite3_reset(stmt)
        let key = "m\((written + i) % 1000)"
        sqlite3_bind_text(stmt, 1, key, -1, transient)
        sqlite3_bind_int64(stmt, 2, 1_700_000_000_000_000_000 + Int64(written + i))
        sqlite3_bind_int64(stmt, 3, 1_700_000_000_000_000_000)
        for f in 0..<10 { sqlite3_bind_double(stmt, Int32(4 + f), Double(f) * 1.5) }
        sqlite3_step(stmt)
    }
    sqlite3_exec(db, "COMMIT", nil, nil, nil)
    written += min(batch, total - written)
}
clock_gettime(CLOCK_MONOTONIC, &ts)
let elapsed = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 - start
print("sqlite batch=\(batch) rows=\(total) seconds=\(Double(Int(elapsed * 1000)) / 1000) rows_per_s=\(Int(Double(total) / elapsed))")
