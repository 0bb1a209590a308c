import Synchronization

/// A service loop's sleep that another thread can end early (`wake()`), without holding a
/// thread while it waits. A wake that comes while the loop is not sleeping ends the next
/// sleep at once, so a request made during a pass is never lost.
public final class WakeableSleep: Sendable {
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
