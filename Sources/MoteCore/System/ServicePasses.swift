import Synchronization

/// A service loop's sleep that another thread can end early (`wake()`), without holding a
/// thread while it waits. A wake that comes while the loop is not sleeping ends the next
/// sleep at once, so a request made during a pass is never lost.
final class WakeableSleep: Sendable {
    /// The waiting sleep's continuation; `open` is false once that sleep is over (so a late
    /// waiter resumes at once instead of waiting for a wake that already happened).
    private let slot = Mutex<(continuation: CheckedContinuation<Void, Never>?, open: Bool)>((nil, false))
    private let woken = Atomic<Bool>(false)

    public init() {}

    /// Ends the current sleep, or the next one if none is running.
    public func wake() {
        woken.store(true, ordering: .sequentiallyConsistent)
        close()
    }

    /// Sleeps until the wall clock reaches `untilNanos`, a `wake()`, or cancellation.
    public func sleep(untilNanos: Int64) async {
        if woken.exchange(false, ordering: .sequentiallyConsistent) { return }
        slot.withLock { $0 = (nil, true) }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    let wait = max(0, untilNanos - SystemClock.nowNanos())
                    try? await Task.sleep(for: .nanoseconds(wait))
                }
                group.addTask { [self] in
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let resumeNow = slot.withLock { s -> Bool in
                            if !s.open || woken.load(ordering: .sequentiallyConsistent) { return true }
                            s.continuation = c
                            return false
                        }
                        if resumeNow { c.resume() }
                    }
                }
                _ = await group.next()
                group.cancelAll()
                close()
            }
        } onCancel: { [self] in
            close()
        }
        woken.store(false, ordering: .sequentiallyConsistent)
    }

    /// Resumes a waiting continuation and refuses later ones until the next sleep.
    private func close() {
        let c = slot.withLock { s -> CheckedContinuation<Void, Never>? in
            let c = s.continuation
            s = (nil, false)
            return c
        }
        c?.resume()
    }
}

/// The passes of a service loop (a sync drain, a fleet poll): counted, one running at a time,
/// a sleep between them that `trigger()` ends early, and a way to wait, holding no thread,
/// for a pass that started after a trigger to end.
public final class ServicePasses: Sendable {
    private let state = Mutex<(ended: Int, running: Bool)>((0, false))
    private let pause = WakeableSleep()

    public init() {}

    /// Passes ended since start.
    public var ended: Int { state.withLock { $0.ended } }
    /// Whether a pass runs now.
    public var running: Bool { state.withLock { $0.running } }

    /// Runs one pass: marked running meanwhile, counted when it ends.
    public func run(_ pass: () async -> Void) async {
        state.withLock { $0.running = true }
        await pass()
        state.withLock {
            $0.running = false
            $0.ended += 1
        }
    }

    /// Asks for a pass now; returns the count of ended passes that means a pass started after
    /// this call has ended (one more, or two when one runs now).
    @discardableResult
    public func trigger() -> Int {
        let target = state.withLock { $0.ended + ($0.running ? 2 : 1) }
        pause.wake()
        return target
    }

    /// Waits until `target` passes have ended or the monotonic clock reaches `deadline`;
    /// whether they did in time.
    public func wait(for target: Int, deadline: UInt64) async -> Bool {
        while ended < target {
            let now = SystemClock.monotonicNanos()
            guard now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .nanoseconds(Int64(min(deadline - now, 20_000_000))))
        }
        return true
    }

    /// The loop's sleep until the wall clock reaches `untilNanos` or a trigger.
    public func sleep(untilNanos: Int64) async {
        await pause.sleep(untilNanos: untilNanos)
    }
}
