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
}
