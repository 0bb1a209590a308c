#if canImport(Glibc)
import Glibc
#endif

/// A plain detached pthread for a long-lived worker (the training queue, the prediction log
/// writer): not a pooled Dispatch thread, so it may block for as long as it likes and its
/// niceness stays its own.
public enum DetachedThread {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    public static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        pthread_create(&thread, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box)
        pthread_detach(thread)
    }

    /// Runs `body` on a thread of its own and returns its result to the awaiting task: for
    /// work that blocks for seconds (an import, an evaluation) without holding one of the
    /// concurrency pool's few threads meanwhile.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            start {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}
