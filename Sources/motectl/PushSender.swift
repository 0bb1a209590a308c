import ArgumentParser
import Dispatch
import MoteClient
import MoteCore
import Synchronization

/// Sends push bodies on a thread of its own, so that reading and encoding the next batch of
/// a CSV overlaps the daemon storing the last one. At most two bodies wait (bounded memory);
/// `send` blocks when both places are taken.
final class PushSender: Sendable {
    private struct State {
        var bodies: [(body: [UInt8], rows: Int)] = []
        var closed = false
        var pushed = 0
        var failure: ClientResponse?
        var unreachable: String?
    }

    private let state = Mutex(State())
    private let places = DispatchSemaphore(value: 2)
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(socketPath: String) {
        DetachedThread.start { [self] in
            let client = MoteClient(socketPath: socketPath)
            while true {
                ready.wait()
                guard let next = state.withLock({ s in s.bodies.isEmpty ? nil : s.bodies.removeFirst() }) else { break }
                places.signal()
                let failed = state.withLock { $0.failure != nil || $0.unreachable != nil }
                if failed { continue }  // drain without sending after a failure
                do {
                    let response = try client.send("POST", "/v1/push", body: next.body, contentType: "application/json")
                    state.withLock { s in
                        if response.status >= 400 { s.failure = response } else { s.pushed += next.rows }
                    }
                } catch {
                    state.withLock { $0.unreachable = "\(error)" }
                }
            }
            finished.signal()
        }
    }

    /// Rows the daemon has stored so far.
    var pushed: Int { state.withLock { $0.pushed } }

    /// Queues a body of `rows` rows; waits while two are queued. Throws the first failure.
    func send(_ body: [UInt8], rows: Int) throws {
        try check()
        places.wait()
        state.withLock { $0.bodies.append((body, rows)) }
        ready.signal()
    }

    /// Waits until every queued body is answered; throws the first failure.
    func finish() throws {
        state.withLock { $0.closed = true }
        ready.signal()  // an empty queue ends the thread
        finished.wait()
        try check()
    }

    /// Ends the command the way `CLIOutput.call` does on a failed answer.
    private func check() throws {
        let (failure, unreachable) = state.withLock { ($0.failure, $0.unreachable) }
        if let unreachable {
            CLIOutput.error(unreachable)
            throw ExitCode(ExitStatus.unreachable)
        }
        if let failure { throw CLIOutput.refused(failure) }
    }
}
