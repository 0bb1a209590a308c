import MoteML

/// A version rolling out beside a model's champion: as a shadow it scores every answered row
/// off the request path (its scores are logged, never answered); as a canary it answers a
/// share of the traffic, chosen by a stable hash of each row's entity key (or the request's
/// id), so one entity keeps seeing one version.
public struct Challenger: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case shadow, canary
    }
    public let mode: Mode
    public let model: LoadedModel
    /// The canary's share of routing keys, 0 to 1 (a shadow answers none).
    public let share: Double

    public init(mode: Mode, model: LoadedModel, share: Double) {
        self.mode = mode
        self.model = model
        self.share = mode == .canary ? share : 0
    }

    /// Whether a canary answers the row or request with this routing key: the key's 64-bit
    /// FNV-1a hash, mixed, read as a fraction below `share`. The same key always lands on the
    /// same side while the share stays.
    public func answers(_ key: String) -> Bool {
        guard mode == .canary, share > 0 else { return false }
        guard share < 1 else { return true }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return Double(SplitMix64.mix(hash) >> 11) / Double(1 << 53) < share
    }

    /// A canary's choice for a request without a routing key: at random, by the share.
    public func answersUnkeyed() -> Bool {
        mode == .canary && PredictionLog.sampled(share)
    }
}
