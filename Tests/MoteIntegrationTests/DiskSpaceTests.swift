import Foundation
import MoteClient
import MoteCore
import Testing

/// A state directory on a small tmpfs that fills up: writes get their own answer (507), the
/// journal one warning per episode, reads go on, and freeing space ends the episode.
@Suite(
    "disk full and headroom", .serialized,
    .enabled(if: isRoot && which("mount") != nil, "needs root to mount a small tmpfs"))
struct DiskSpaceTests {
    /// A daemon whose state directory is a tmpfs of `megabytes` MiB (nil when mounting is not allowed here).
    func daemonOnTmpfs(megabytes: Int, config: String) throws -> DaemonProcess? {
        let daemon = DaemonProcess(config: config)
        try FileManager.default.createDirectory(atPath: daemon.stateDir, withIntermediateDirectories: true)
        let mounted = try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", daemon.stateDir])
        guard mounted.status == 0 else { return nil }
        return daemon
    }

    func unmount(_ daemon: DaemonProcess) {
        _ = try? runCommand("/bin/umount", ["-l", daemon.stateDir])
    }

    func apply(_ daemon: DaemonProcess) throws {
        let defs = """
            [[entity]]
            name = "machine"
            join_key = "machine_id"

            [[feature_view]]
            name = "readings"
            entity = "machine"
            ttl = "0s"
            fields = [{ name = "note", type = "string" }, { name = "temp", type = "float64" }]
            """
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("toml")
        writer.string(defs)
        writer.endObject()
        let body = writer.bytes
        let applied = try daemon.client().post("/v1/apply", json: body)
        #expect(applied.status == 200, "\(applied.text)")
    }

    /// 200 rows of about 2 KiB each for entities `batch*200 ..< batch*200+200`.
    func push(_ daemon: DaemonProcess, batch: Int) throws -> ClientResponse {
        let keys = (0..<200).map { "\"m\(batch * 200 + $0)\"" }.joined(separator: ",")
        let note = "\"" + String(repeating: "n", count: 2000) + "\""
        let body = """
            {"feature_view":"readings","df":{"machine_id":[\(keys)],"event_timestamp":[\(Array(repeating: "1700000000", count: 200).joined(separator: ","))],\
            "note":[\(Array(repeating: note, count: 200).joined(separator: ","))],"temp":[\(Array(repeating: "1.5", count: 200).joined(separator: ","))]}}
            """
        return try daemon.client().post("/v1/push", json: Array(body.utf8))
    }

    func online(_ daemon: DaemonProcess, _ key: String) throws -> Double? {
        let body = #"{"features":["readings:temp"],"entities":{"machine_id":["\#(key)"]}}"#
        let answer = try daemon.client().post("/v1/get-online-features", json: Array(body.utf8))
        guard answer.status == 200 else { return nil }
        return try answer.json()["results"]?.arrayValue?.last?["values"]?.arrayValue?.first?.doubleValue
    }

    func events(_ daemon: DaemonProcess, _ name: String) -> Int {
        daemon.log().split(separator: "\n").filter { $0.contains("event=\(name)") }.count
    }

    @Test("a full disk is 507 disk_full with no path of the box, one warning per episode; reads go on; freeing space ends it")
    func diskFull() throws {
        guard let daemon = try daemonOnTmpfs(megabytes: 16, config: "[storage]\nmin_free_mib = 0\n") else { return }
        defer { unmount(daemon) }
        try daemon.start()
        try apply(daemon)
        // Ballast to free later.
        let ballast = daemon.stateDir + "/ballast"
        _ = FileManager.default.createFile(atPath: ballast, contents: Data(repeating: 7, count: 6 * 1_048_576))
        var refused: ClientResponse?
        var stored = 0
        for batch in 0..<200 {
            let answer = try push(daemon, batch: batch)
            if answer.status != 200 {
                refused = answer
                break
            }
            stored += 1
        }
        let full = try #require(refused, "the disk never filled")
        #expect(full.status == 507, "\(full.text)")
        #expect(full.apiError?.code == "disk_full")
        #expect(full.apiError?.message.contains(daemon.stateDir) == false, "an answer names a path of the box: \(full.text)")
        #expect(full.apiError?.message.contains("/tmp") == false)
        #expect(stored > 0)
        // More refusals, still one warning.
        for batch in 1000..<1010 {
            #expect(try push(daemon, batch: batch).status == 507)
        }
        #expect(events(daemon, "disk_full") == 1, "\(daemon.log())")
        // Reads and health are served while the disk is full; stored rows read back.
        #expect(try daemon.client().get("/v2/health/ready").status == 200)
        #expect(try online(daemon, "m0") == 1.5)
        #expect(try daemon.client().get("/v1/status").status == 200)
        // Freeing space ends the episode: new data is accepted again.
        try FileManager.default.removeItem(atPath: ballast)
        usleep(1_100_000)
        #expect(try push(daemon, batch: 5000).status == 200)
        #expect(try online(daemon, "m\(5000 * 200)") == 1.5)
        #expect(events(daemon, "disk_space_recovered") == 1)
        #expect(daemon.stop() == 0)
    }

    @Test("below storage.min_free_mib new data is 507 disk_space_low before SQLite fails; deletes still run")
    func headroom() throws {
        guard let daemon = try daemonOnTmpfs(megabytes: 24, config: "[storage]\nmin_free_mib = 12\n") else { return }
        defer { unmount(daemon) }
        try daemon.start()
        try apply(daemon)
        #expect(try daemon.client().post("/v1/models", json: Array(#"{"name":"m"}"#.utf8)).status == 201)
        var refused: ClientResponse?
        for batch in 0..<200 {
            let answer = try push(daemon, batch: batch)
            if answer.status != 200 {
                refused = answer
                break
            }
        }
        let low = try #require(refused, "free space never went below the headroom")
        #expect(low.status == 507, "\(low.text)")
        #expect(low.apiError?.code == "disk_space_low")
        #expect(low.apiError?.message.contains("storage.min_free_mib") == true)
        #expect(events(daemon, "disk_space_low") == 1)
        #expect(events(daemon, "disk_full") == 0, "SQLite never ran out: the headroom held")
        // Registry additions are refused too; a removal is not.
        #expect(try daemon.client().post("/v1/models", json: Array(#"{"name":"n"}"#.utf8)).status == 507)
        let removal = try daemon.client().send("DELETE", "/v1/models/m/aliases/champion")
        #expect(removal.status == 404, "a removal is judged on its merits (no such alias), not refused for space: \(removal.text)")
        #expect(daemon.stop() == 0)
    }
}
