import Foundation
import MoteClient
import MoteCore
import Testing

/// `POST /v1/sync?wait=true` against a central server that never answers: waiting callers
/// hold no thread of the blocking pool and are answered before the request timeout.
@Suite("waiting for a drain", .serialized)
struct SyncWaitTests {
    /// A TCP port that accepts connections (the kernel's backlog) and never answers.
    final class SilentServer {
        let fd: Int32
        let port: UInt16

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0, listen(fd, 64) == 0 else { throw TestFailure("cannot listen: \(String(cString: strerror(errno)))") }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            self.port = UInt16(bigEndian: address.sin_port)
        }

        deinit { close(fd) }
    }

    @Test("three waiting callers on a 2-thread pool: status still answers at once, each wait ends before the request timeout with drained false")
    func waitHoldsNoThread() throws {
        let central = try SilentServer()
        let daemon = DaemonProcess(
            config: """
                [daemon]
                blocking_threads = 2
                [limits]
                request_timeout = "3s"
                [sync]
                enabled = true
                url = "http://127.0.0.1:\(central.port)"
                interval = "1h"
                timeout = "60s"
                """)
        try daemon.start()
        // Something to send, so a drain has to talk to the silent server.
        let body = #"{"name":"exp-wait"}"#
        #expect(try daemon.client().post("/v1/experiments", json: Array(body.utf8)).status == 201)

        let answers = LockedBox<[(Int, String, Double)]>([])
        let threads = (0..<3).map { _ in
            Thread {
                let started = Date()
                let client = MoteClient(socketPath: daemon.socketPath, timeoutSeconds: 20)
                let r = try? client.post("/v1/sync?wait=true", json: [])
                answers.update { $0.append((r?.status ?? -1, r?.text ?? "", Date().timeIntervalSince(started))) }
            }
        }
        threads.forEach { $0.start() }
        Thread.sleep(forTimeInterval: 0.5)
        // A blocking route while all three wait.
        let started = Date()
        let status = try daemon.client().get("/v1/status")
        #expect(status.status == 200)
        #expect(Date().timeIntervalSince(started) < 1.0, "status waited for a pool thread")
        #expect(eventually(timeout: 10) { answers.value.count == 3 })
        for (code, text, seconds) in answers.value {
            #expect(code == 200, "\(text)")
            #expect(text.contains("\"drained\":false"), "\(text)")
            #expect(seconds < 3.0, "answered after \(seconds) s, not before the request timeout")
        }
        daemon.stop()
    }
}

/// The outbox of a box that does not sync stays within `sync.max_outbox`.
@Suite("outbox bound while sync is off", .serialized)
struct OutboxBoundTests {
    @Test("with sync off, changes are still queued but the outbox keeps only the newest sync.max_outbox rows, and says what it dropped")
    func boundedWhileOff() throws {
        let daemon = DaemonProcess(config: "[sync]\nenabled = false\ninterval = \"1s\"\nmax_outbox = 5\n")
        try daemon.start()
        let client = daemon.client()
        for k in 0..<12 {
            let created = try client.post("/v1/experiments", json: Array(#"{"name":"e\#(k)"}"#.utf8))
            #expect(created.status == 200 || created.status == 201, "\(created.text)")
        }
        #expect(eventually(timeout: 10) { ((try? client.get("/v1/sync").json()["pending"]?.int64Value) ?? -1) == 5 })
        let entries = try client.get("/v1/sync/outbox?limit=100").json()["entries"]?.arrayValue ?? []
        // The newest five remain: experiments e7..e11.
        #expect(entries.compactMap { $0["subject"]?.stringValue } == (7..<12).map { "experiment:e\($0)" }, "\(entries)")
        #expect(eventually { daemon.log().contains("event=outbox_dropped") && daemon.log().contains("sync is off") })
        #expect(daemon.stop() == 0)
    }
}
