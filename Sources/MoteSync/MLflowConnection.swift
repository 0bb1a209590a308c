import Synchronization

/// A worker's client of the central MLflow server, made from `[sync]`'s settings and made
/// again when they change (a reload: another server, credentials or TLS); the old one is shut
/// down once replaced.
public final class MLflowConnection: Sendable {
    private let current = Mutex<(client: MLflowClient?, settings: SyncSettings?)>((nil, nil))

    public init() {}

    /// The client for `s` (the authorization read from its token file or credential).
    public func client(for s: SyncSettings) throws -> MLflowClient {
        if let c = current.withLock({ $0.settings == s ? $0.client : nil }) { return c }
        let client = try MLflowClient(settings: s, authorization: try SyncWorker.authorization(s))
        let old = current.withLock { slot -> MLflowClient? in
            defer { slot = (client, s) }
            return slot.client
        }
        if let old { Task { await old.shutdown() } }
        return client
    }

    /// Shuts the client down (at the end of the worker's loop).
    public func close() async {
        let client = current.withLock { slot -> MLflowClient? in
            defer { slot = (nil, nil) }
            return slot.client
        }
        await client?.shutdown()
    }
}
