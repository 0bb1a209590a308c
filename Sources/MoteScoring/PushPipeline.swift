import Dispatch
import MoteFeatures
import Synchronization

/// A scoring run's pushes, committed while the next chunk is read and scored: at most two
/// batches in flight (the writer groups them into its commits); the first failure is thrown
/// by the next `push` or by `finish`.
final class PushPipeline: Sendable {
    private let store: FeatureStore
    private static let inFlight = 2
    private let slots = DispatchSemaphore(value: PushPipeline.inFlight)
    private let failure = Mutex<(any Error)?>(nil)

    init(store: FeatureStore) {
        self.store = store
    }

    /// Hands a batch to the store's writer; waits while two are in flight.
    func push(_ batch: PushBatch) throws {
        slots.wait()
        if let error = failure.withLock({ $0 }) {
            slots.signal()
            throw error
        }
        store.push(batch) { [self] result in
            if case .failure(let error) = result { failure.withLock { if $0 == nil { $0 = error } } }
            slots.signal()
        }
    }

    /// Waits until every batch handed over is stored; throws the first failure.
    func finish() throws {
        for _ in 0..<Self.inFlight { slots.wait() }
        for _ in 0..<Self.inFlight { slots.signal() }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
